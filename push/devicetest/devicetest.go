// Package devicetest is a test device for push's device API: an
// authenticator app that speaks Auth0 Guardian's device protocol byte for
// byte as Guardian.Android (GuardianAPIClient, DeviceAPIClient) does, for
// end-to-end tests. It is not an authenticator for real use.
//
// What it reproduces:
//   - the headers of every request: Content-Type "application/json;
//     charset=utf-8" (with a body), Auth0-Client (base64url without padding
//     of {"name":"Guardian.Android","version":"…"}), User-Agent
//     "GuardianSDK/0.9.0(17) Android 14", Accept-Language;
//   - the bodies as Gson writes the SDK's HashMaps: members in HashMap
//     iteration order, strings HTML-safe escaped;
//   - an RSA 2048 key whose JWK carries n and e as Java's
//     BigInteger.toByteArray() gives them (a leading 0x00 on n);
//   - the challenge response JWT: header {"alg":"RS256","typ":"JWT"},
//     claims iat, exp = iat + 30, aud (the resolve URL), iss (the device
//     identifier), sub (the challenge), auth0_guardian_method "push",
//     auth0_guardian_accepted and, on a rejection with a reason,
//     auth0_guardian_reason, signed SHA256withRSA;
//   - Guardian.Android's parsing of a notification's data
//     (ParcelableNotification.parse) and of the enrollment answer
//     (EnrollRequest.createEnrollment: id, url, issuer, user_id and token
//     required).
package devicetest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SDK version the device claims, as Guardian.Android's BuildConfig.
const (
	sdkVersion     = "0.9.0"
	sdkVersionCode = "17"
	androidRelease = "14"
)

var b64 = base64.RawURLEncoding

// Device is an enrolled or enrolling Guardian app.
type Device struct {
	// Identifier, Name and PushToken are what the device tells the server
	// (CurrentDevice). Service is "GCM", as GuardianAPIClient sends it.
	Identifier, Name, PushToken, Service string
	// Key is the device's RSA key pair.
	Key *rsa.PrivateKey
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Now is the clock of the JWTs; nil means time.Now.
	Now func() time.Time
	// Enrollment is set by Enroll.
	Enrollment *Enrollment
	// BaseURL is the base_url the device enrolled with.
	BaseURL string
}

// Enrollment is what the device keeps of its enrollment answer.
type Enrollment struct {
	ID, URL, Issuer, UserID, Token string
	TOTP                           *TOTP
}

// TOTP is the enrollment answer's TOTP data.
type TOTP struct {
	Secret, Algorithm string
	Digits, Period    int
}

// New returns a device with a fresh RSA 2048 key and a random identifier
// and push token.
func New(name string) (*Device, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	r := make([]byte, 24)
	if _, err := rand.Read(r); err != nil {
		return nil, err
	}
	return &Device{
		Identifier: fmt.Sprintf("%x", r[:8]), Name: name, PushToken: "fcm-" + b64.EncodeToString(r[8:]),
		Service: "GCM", Key: k,
	}, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	Code int
	Body []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("devicetest: HTTP %d: %s", e.Code, e.Body) }

// Status returns the HTTP status of the non-2xx answer err reports (an
// error of Enroll, Update, Delete, Allow or Reject), or 0 for any other
// error.
func Status(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// javaBytes is BigInteger.toByteArray() of a positive x: big-endian two's
// complement, so with a 0x00 byte first when the high bit is set.
func javaBytes(x *big.Int) []byte {
	b := x.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// JWK returns the members of the device's public key as createJWK puts
// them, in insertion order: kty, alg, use, e, n.
func (d *Device) jwk() []member {
	return []member{
		{key: "kty", value: "RSA"}, {key: "alg", value: "RS256"}, {key: "use", value: "sig"},
		{key: "e", value: b64.EncodeToString(javaBytes(big.NewInt(int64(d.Key.E))))},
		{key: "n", value: b64.EncodeToString(javaBytes(d.Key.N))},
	}
}

// EnrollBody returns the body of the enroll request, as Gson writes it.
func (d *Device) EnrollBody() string {
	pc := []member{{key: "service", value: d.Service}, {key: "token", value: d.PushToken}}
	body := []member{
		{key: "identifier", value: d.Identifier},
		{key: "name", value: d.Name},
		{key: "push_credentials", value: pc, cap: hashMapCapacity(2, len(pc))},
		{key: "public_key", value: d.jwk(), cap: hashMapCapacity(5, 5)},
	}
	return gson(body, hashMapCapacity(0, len(body)))
}

// Enroll enrolls the device with the enrollment URI of a barcode
// (otpauth://…?enrollment_tx_id=…&base_url=…), as Guardian.enroll does,
// and keeps the answer in d.Enrollment.
func (d *Device) Enroll(ctx context.Context, enrollmentURI string) (*Enrollment, error) {
	u, err := url.Parse(enrollmentURI)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	ticket, base := q.Get("enrollment_tx_id"), q.Get("base_url")
	if ticket == "" || base == "" {
		return nil, errors.New("devicetest: the URI has no enrollment_tx_id or base_url")
	}
	b, err := d.do(ctx, http.MethodPost, addPath(base, "api/enroll"), fmt.Sprintf(`Ticket id="%s"`, ticket), d.EnrollBody())
	if err != nil {
		return nil, err
	}
	// EnrollRequest.createEnrollment: these members are required.
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("devicetest: enroll answer: %w", err)
	}
	e := &Enrollment{}
	for key, dst := range map[string]*string{"id": &e.ID, "url": &e.URL, "issuer": &e.Issuer, "user_id": &e.UserID, "token": &e.Token} {
		s, ok := m[key].(string)
		if !ok {
			return nil, fmt.Errorf("devicetest: invalid response, missing required field %q", key)
		}
		*dst = s
	}
	if t, ok := m["totp"].(map[string]any); ok {
		digits, _ := t["digits"].(float64)
		period, _ := t["period"].(float64)
		secret, _ := t["secret"].(string)
		alg, _ := t["algorithm"].(string)
		e.TOTP = &TOTP{Secret: secret, Algorithm: alg, Digits: int(digits), Period: int(period)}
	}
	d.Enrollment, d.BaseURL = e, base
	return e, nil
}

// Update sends DeviceAPIClient.update: PATCH <base>/api/device-accounts/{id}
// with the device token, and the members that are not nil (Gson drops
// null parameters). It returns the answer's members.
func (d *Device) Update(ctx context.Context, identifier, name, pushToken *string) (map[string]any, error) {
	if d.Enrollment == nil {
		return nil, errors.New("devicetest: not enrolled")
	}
	var body []member
	if identifier != nil {
		body = append(body, member{key: "identifier", value: *identifier})
	}
	if name != nil {
		body = append(body, member{key: "name", value: *name})
	}
	if pushToken != nil {
		pc := []member{{key: "service", value: "GCM"}, {key: "token", value: *pushToken}}
		body = append(body, member{key: "push_credentials", value: pc, cap: hashMapCapacity(2, len(pc))})
	}
	s := ""
	if len(body) > 0 {
		s = gson(body, hashMapCapacity(0, len(body)))
	}
	b, err := d.do(ctx, http.MethodPatch, d.accountURL(), "Bearer "+d.Enrollment.Token, s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("devicetest: update answer: %w", err)
	}
	if identifier != nil {
		d.Identifier = *identifier
	}
	if name != nil {
		d.Name = *name
	}
	if pushToken != nil {
		d.PushToken = *pushToken
	}
	return m, nil
}

// Delete sends DeviceAPIClient.delete: DELETE <base>/api/device-accounts/{id}.
func (d *Device) Delete(ctx context.Context) error {
	if d.Enrollment == nil {
		return errors.New("devicetest: not enrolled")
	}
	_, err := d.do(ctx, http.MethodDelete, d.accountURL(), "Bearer "+d.Enrollment.Token, "")
	return err
}

func (d *Device) accountURL() string {
	return addPath(d.BaseURL, "api/device-accounts") + "/" + d.Enrollment.ID
}

// Notification is a parsed sign-in notification, as
// ParcelableNotification.parse returns it.
type Notification struct {
	URL, EnrollmentID, TransactionToken, Challenge string
	Date                                           time.Time
	BrowserName, BrowserVersion, OSName, OSVersion string
}

// ParseNotification parses a push payload's data as Guardian.Android
// does: sh, dai, txtkn, c and d are required, d in
// yyyy-MM-dd'T'HH:mm:ss.SSS'Z' (UTC), s a JSON string {"b":{"n","v"},
// "os":{"n","v"}}; sh without a scheme is an https host.
func ParseNotification(data map[string]string) (*Notification, error) {
	for _, k := range []string{"sh", "dai", "txtkn", "c", "d"} {
		if data[k] == "" {
			return nil, fmt.Errorf("devicetest: not a Guardian notification: no %q", k)
		}
	}
	date, err := time.Parse("2006-01-02T15:04:05.000Z", data["d"])
	if err != nil {
		return nil, fmt.Errorf("devicetest: date %q: %w", data["d"], err)
	}
	n := &Notification{URL: data["sh"], EnrollmentID: data["dai"], TransactionToken: data["txtkn"], Challenge: data["c"], Date: date}
	if !strings.HasPrefix(strings.ToLower(n.URL), "http") {
		n.URL = "https://" + n.URL
	}
	var src struct {
		B  *struct{ N, V *string } `json:"b"`
		OS *struct{ N, V *string } `json:"os"`
	}
	if json.Unmarshal([]byte(data["s"]), &src) == nil {
		if src.B != nil && src.B.N != nil {
			n.BrowserName = *src.B.N
		}
		if src.B != nil && src.B.V != nil {
			n.BrowserVersion = *src.B.V
		}
		if src.OS != nil && src.OS.N != nil {
			n.OSName = *src.OS.N
		}
		if src.OS != nil && src.OS.V != nil {
			n.OSVersion = *src.OS.V
		}
	}
	return n, nil
}

// Allow approves n: GuardianAPIClient.allow.
func (d *Device) Allow(ctx context.Context, n *Notification) error {
	return d.resolve(ctx, n, true, nil)
}

// Reject rejects n, with an optional reason: GuardianAPIClient.reject.
func (d *Device) Reject(ctx context.Context, n *Notification, reason *string) error {
	return d.resolve(ctx, n, false, reason)
}

func (d *Device) resolve(ctx context.Context, n *Notification, accepted bool, reason *string) error {
	if d.Enrollment == nil {
		return errors.New("devicetest: not enrolled")
	}
	u := addPath(d.BaseURL, "api/resolve-transaction")
	jwt, err := d.ChallengeResponse(u, n.Challenge, accepted, reason)
	if err != nil {
		return err
	}
	body := []member{{key: "challenge_response", value: jwt}}
	_, err = d.do(ctx, http.MethodPost, u, "Bearer "+n.TransactionToken, gson(body, hashMapCapacity(0, 1)))
	return err
}

// ChallengeResponse returns the JWT createJWT makes: RS256 over Gson's
// header and claims maps.
func (d *Device) ChallengeResponse(audience, challenge string, accepted bool, reason *string) (string, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	iat := now().Unix()
	header := []member{{key: "alg", value: "RS256"}, {key: "typ", value: "JWT"}}
	claims := []member{
		{key: "iat", value: iat}, {key: "exp", value: iat + 30}, {key: "aud", value: audience},
		{key: "iss", value: d.Identifier}, {key: "sub", value: challenge},
		{key: "auth0_guardian_method", value: "push"}, {key: "auth0_guardian_accepted", value: accepted},
	}
	if reason != nil {
		claims = append(claims, member{key: "auth0_guardian_reason", value: *reason})
	}
	input := b64.EncodeToString([]byte(gson(header, hashMapCapacity(0, len(header))))) + "." +
		b64.EncodeToString([]byte(gson(claims, hashMapCapacity(0, len(claims)))))
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, d.Key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// addPath is OkHttp's HttpUrl.newBuilder().addPathSegments(p): p appended
// to base's path, replacing an empty last segment.
func addPath(base, p string) string {
	return strings.TrimSuffix(base, "/") + "/" + p
}

// do sends one request with the SDK's headers and returns the body of a
// 2xx answer, or a *statusError.
func (d *Device) do(ctx context.Context, method, u, auth, body string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept-Language", "en_US")
	req.Header.Set("User-Agent", fmt.Sprintf("GuardianSDK/%s(%s) Android %s", sdkVersion, sdkVersionCode, androidRelease))
	req.Header.Set("Auth0-Client", b64.EncodeToString([]byte(fmt.Sprintf(`{"name":"Guardian.Android","version":"%s"}`, sdkVersion))))
	c := d.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, &statusError{Code: res.StatusCode, Body: bytes.TrimSpace(b)}
	}
	return b, nil
}
