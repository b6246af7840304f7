package push

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/store"
)

// Errors of the device API. Every error of Enroll, UpdateDevice,
// DeleteDevice and Resolve matches exactly one of them, or none for an
// internal failure (a store outage).
var (
	// ErrInvalidTicket: the ticket is unknown, expired or already used.
	// The three are one answer (HTTP 401): a device learns nothing about
	// tickets it does not hold. errors.Is also matches store.ErrNotFound
	// or store.ErrConsumed, for logs and tests.
	ErrInvalidTicket = errors.New("push: invalid enrollment ticket")
	// ErrInvalidRequest: the request body is malformed; *RequestError
	// names the field.
	ErrInvalidRequest = errors.New("push: invalid device request")
	// ErrInvalidProof: the proof of possession of the device key, or a
	// challenge response, does not verify, or is not over this ticket or
	// transaction and endpoint.
	ErrInvalidProof = errors.New("push: invalid proof of possession")
	// ErrAlreadyEnrolled: this device is enrolled for this user already
	// (HTTP 409); delete its device account first. The ticket is not spent.
	ErrAlreadyEnrolled = errors.New("push: device already enrolled")
	// ErrUnauthorized: a device-account request whose device token is
	// missing, wrong, or for another device account, or whose device
	// account does not exist (HTTP 401, one answer for all).
	ErrUnauthorized = errors.New("push: invalid device token")
	// ErrInvalidTransaction: a resolve-transaction whose transaction token
	// is unknown, expired or already answered, or whose device was deleted
	// (HTTP 401, one answer for all).
	ErrInvalidTransaction = errors.New("push: invalid transaction")
)

// RequestError is an ErrInvalidRequest about one field of the body.
type RequestError struct {
	Field  string // e.g. "push_credentials.token"
	Detail string // never echoes the value
}

func (e *RequestError) Error() string {
	return "push: invalid device request: " + e.Field + ": " + e.Detail
}

// Is reports whether target is ErrInvalidRequest.
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

func badField(field, detail string) error { return &RequestError{Field: field, Detail: detail} }

// Bounds of the device API's requests.
const (
	maxIdentifierLen = 255
	maxNameLen       = 255
	maxTokenLen      = 4096
	maxPublicKeyLen  = 4096
	maxProofLen      = 8192
	maxReasonLen     = 255
	// maxEnrollBody bounds the JSON body of every device API request.
	maxEnrollBody = 16 << 10
	// deviceTokenSize is the device token's length: 256 bits.
	deviceTokenSize = 32
)

// PushCredentials says how to reach the device.
type PushCredentials struct {
	Service string `json:"service"` // one of Config.Services, e.g. "FCM", "APNS"
	Token   string `json:"token"`
}

// EnrollRequest is the body of POST <base>/api/enroll: Guardian's enroll
// request, plus the optional proof of possession (an extension).
type EnrollRequest struct {
	// Identifier and Name are each 1 to 255 bytes of UTF-8 without control
	// characters.
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	// PushCredentials is required; its Token is 1 to 4096 printable ASCII
	// characters.
	PushCredentials *PushCredentials `json:"push_credentials"`
	// PublicKey is the device's public key as a JWK (RFC 7517): RSA
	// ("kty":"RSA", 2048 to 4096 bits, e = 65537, alg RS256), as
	// Guardian's SDKs send it, or EC P-256 ("kty":"EC","crv":"P-256",
	// alg ES256), an extension; at most 4096 bytes. RSA n and e may carry
	// the leading 0x00 byte of Java's BigInteger.toByteArray(); a key with
	// private members is refused.
	PublicKey jsontext.Value `json:"public_key"`
	// Proof, optional unless Config.RequireProof, is a compact JWS (a JWT)
	// signed with the private key of PublicKey, whose claims bind it to
	// this ticket, this device and this endpoint: see the package
	// documentation. Guardian's SDKs send none.
	Proof string `json:"proof,omitempty"`
}

// TOTPParams are the TOTP parameters of an enrollment answer, as Guardian
// returns them: the same secret as the barcode's, SHA-1, 6 digits, 30 s.
type TOTPParams struct {
	Secret    string `json:"secret"` // base32, no padding
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
}

// EnrollResponse is the body of a successful enrollment (HTTP 201), the
// members Guardian.Android's EnrollRequest reads (it refuses an answer
// without id, url, issuer, user_id or token).
type EnrollResponse struct {
	// ID is the device account id: the {id} of the device-account routes
	// and the "dai" of sign-in notifications.
	ID string `json:"id"`
	// URL is the base URL of the device API (Config.BaseURL).
	URL    string `json:"url"`
	Issuer string `json:"issuer"`
	// UserID is the user the device is enrolled for.
	UserID string `json:"user_id"`
	// Token is the device token: "Authorization: Bearer <token>" of the
	// device-account routes. It is shown once; only its SHA-256 is stored.
	Token string      `json:"token"`
	TOTP  *TOTPParams `json:"totp,omitempty"`
}

// deviceAccountID is the device account id of a push method: base64url
// of its CredentialID, which is unique across users, so that the device
// API finds the method by its id alone (store.Methods.ByCredentialID). It
// is fixed at enrollment: renaming the device or changing its identifier
// keeps it.
func deviceAccountID(m store.Method) string { return ticketEncoding.EncodeToString(m.CredentialID) }

// Enroll is the device side of enrollment, transport-free: the device
// presents the ticket (enrollment_tx_id) from the barcode and describes
// itself in req. Enroll validates req, refuses an unknown, expired or used
// ticket before any signature work, verifies the proof of possession of
// the device key when one is sent (or Config.RequireProof asks for one;
// signed over this ticket and EnrollURL, PU-02), refuses a device this
// user has enrolled already (ErrAlreadyEnrolled), then redeems the ticket
// in the store — atomically, once (PU-01) — recording the device and the
// hash of a fresh device token against the pending enrollment. The user's
// verify then succeeds (Confirm).
//
// An invalid request or proof, or an enrolled device, does not spend the
// ticket.
func (p *Push) Enroll(ctx context.Context, ticket string, req *EnrollRequest) (*EnrollResponse, error) {
	raw, err := ticketEncoding.DecodeString(ticket)
	if err != nil || len(raw) != p.ticketSize {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTicket, store.ErrNotFound)
	}
	if err := p.checkRequest(req); err != nil {
		return nil, err
	}
	// A cheap read first, so that unknown, expired and used tickets cost
	// no signature verification; the redemption below is what decides.
	h := sha256.Sum256([]byte(ticket))
	pending, err := p.devices.PushTicket(ctx, h[:])
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: %w", ErrInvalidTicket, err)
	case err != nil:
		return nil, fmt.Errorf("push: read ticket: %w", err)
	case pending.Device != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalidTicket, store.ErrConsumed)
	}
	key, err := parseDeviceKey(req.PublicKey)
	if err != nil {
		return nil, badField("public_key", err.Error())
	}
	if req.Proof != "" {
		if err := p.checkProof(key, req.Proof, ticket, req.Identifier); err != nil {
			return nil, err
		}
	}
	credID := deviceCredentialID(pending.Subject, req.Identifier)
	switch _, err := p.devices.ByCredentialID(ctx, credID); {
	case err == nil:
		return nil, ErrAlreadyEnrolled
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("push: read device account: %w", err)
	}
	tokenRaw := make([]byte, deviceTokenSize)
	if _, err := rand.Read(tokenRaw); err != nil {
		return nil, fmt.Errorf("push: random: %w", err)
	}
	token := ticketEncoding.EncodeToString(tokenRaw)
	tokenHash := sha256.Sum256([]byte(token))
	t, err := p.devices.RedeemPushTicket(ctx, h[:], store.PushDevice{
		Identifier: req.Identifier, Name: req.Name, Service: req.PushCredentials.Service,
		Token: req.PushCredentials.Token, PublicKey: key.jwk, TokenHash: tokenHash[:],
		EnrolledAt: p.now().UTC().Truncate(time.Millisecond),
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConsumed):
		return nil, fmt.Errorf("%w: %w", ErrInvalidTicket, err)
	case err != nil:
		return nil, fmt.Errorf("push: redeem ticket: %w", err)
	}
	resp := &EnrollResponse{
		ID: ticketEncoding.EncodeToString(credID), URL: p.baseURL, Issuer: p.issuer,
		UserID: t.Subject, Token: token,
	}
	if len(t.Secret) > 0 {
		resp.TOTP = &TOTPParams{Secret: b32.EncodeToString(t.Secret), Algorithm: "sha1", Digits: 6, Period: 30}
	}
	return resp, nil
}

func (p *Push) checkRequest(req *EnrollRequest) error {
	if req == nil {
		return badField("", "body is required")
	}
	if err := checkString(req.Identifier, maxIdentifierLen); err != "" {
		return badField("identifier", err)
	}
	if err := checkString(req.Name, maxNameLen); err != "" {
		return badField("name", err)
	}
	if req.PushCredentials == nil {
		return badField("push_credentials", "is required")
	}
	if err := p.checkPushCredentials(req.PushCredentials); err != nil {
		return err
	}
	if len(req.PublicKey) == 0 || string(req.PublicKey) == "null" {
		return badField("public_key", "is required")
	}
	if len(req.PublicKey) > maxPublicKeyLen {
		return badField("public_key", fmt.Sprintf("is longer than %d bytes", maxPublicKeyLen))
	}
	if req.Proof == "" && p.requireProof {
		return badField("proof", "is required")
	}
	if len(req.Proof) > maxProofLen {
		return badField("proof", fmt.Sprintf("is longer than %d bytes", maxProofLen))
	}
	return nil
}

// checkPushCredentials checks the service and the push token.
func (p *Push) checkPushCredentials(pc *PushCredentials) error {
	known := false
	for _, s := range p.services {
		known = known || s == pc.Service
	}
	if !known {
		return badField("push_credentials.service", "must be one of "+strings.Join(p.services, ", "))
	}
	if pc.Token == "" || len(pc.Token) > maxTokenLen || strings.IndexFunc(pc.Token, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return badField("push_credentials.token", fmt.Sprintf("must be 1 to %d printable ASCII characters", maxTokenLen))
	}
	return nil
}

// checkString returns why s is not 1 to max bytes of UTF-8 without control
// characters, or "".
func checkString(s string, max int) string {
	if s == "" || len(s) > max || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Sprintf("must be 1 to %d bytes of UTF-8 without control characters", max)
	}
	return ""
}

// proofClaims are the claims of a device's proof.
type proofClaims struct {
	Aud jsontext.Value `json:"aud"`
	Sub string         `json:"sub"`
	Iss string         `json:"iss"`
	Iat *int64         `json:"iat"`
	Exp *int64         `json:"exp"`
}

// checkProof verifies the device's proof: a JWS by key whose claims are
// aud = EnrollURL, sub = the ticket, iss = the device identifier, and a
// current iat/exp no more than proofMaxLifetime apart. The claims are
// read as json/v2 reads by default: case-sensitive names, a repeated name
// or invalid UTF-8 refused; other claims are ignored.
func (p *Push) checkProof(key *deviceKey, proof, ticket, identifier string) error {
	payload, err := verifyJWS(key, proof)
	if err != nil {
		return err
	}
	var c proofClaims
	if json.Unmarshal(payload, &c) != nil || c.Iat == nil || c.Exp == nil {
		return fmt.Errorf("%w: claims", ErrInvalidProof)
	}
	if subtle.ConstantTimeCompare([]byte(c.Sub), []byte(ticket)) != 1 {
		return fmt.Errorf("%w: signed over another ticket", ErrInvalidProof)
	}
	if c.Iss != identifier || !audience(c.Aud, p.enrollURL) {
		return fmt.Errorf("%w: issuer or audience", ErrInvalidProof)
	}
	now := p.now().Unix()
	iat, exp := *c.Iat, *c.Exp
	if iat > now+int64(proofClockSkew/time.Second) || exp <= now || exp < iat || exp-iat > int64(proofMaxLifetime/time.Second) {
		return fmt.Errorf("%w: not current", ErrInvalidProof)
	}
	return nil
}

// audience reports whether aud, a string or an array of strings, is or
// contains want.
func audience(aud jsontext.Value, want string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(aud, &many) != nil || len(many) > 8 {
		return false
	}
	for _, a := range many {
		if a == want {
			return true
		}
	}
	return false
}

// deviceKey is a device's public key parsed from its JWK.
type deviceKey struct {
	// Alg is "RS256" or "ES256".
	Alg string
	// Key is an *rsa.PublicKey or an *ecdsa.PublicKey.
	Key crypto.PublicKey
	jwk []byte // the canonical JWK: only the members that define the key
}

// JWK returns the key's canonical JWK: kty, alg, and n, e or crv, x, y.
func (k *deviceKey) JWK() []byte { return bytes.Clone(k.jwk) }

type jwk struct {
	Kty string `json:"kty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

var b64 = base64.RawURLEncoding.Strict()

// parseDeviceKey parses a device's JWK (RFC 7517, 7518): RSA of 2048 to
// 4096 bits with e = 65537 for RS256, or EC P-256 for ES256 (the point is
// checked to be on the curve). RSA n and e may carry the leading 0x00 byte
// of Java's BigInteger.toByteArray() (Guardian.Android does); the
// canonical form drops it. "alg", when present, must match; "use",
// when present, must be "sig"; a key with private members ("d", …) is
// refused. Other members are ignored and dropped from the canonical form.
// Member names are case-sensitive; a repeated name or invalid UTF-8 makes
// raw not a JWK (json/v2's default reading).
func parseDeviceKey(raw []byte) (*deviceKey, error) {
	if len(raw) > maxPublicKeyLen {
		return nil, errors.New("JWK too long")
	}
	var k jwk
	var members map[string]jsontext.Value
	if json.Unmarshal(raw, &k) != nil || json.Unmarshal(raw, &members) != nil {
		return nil, errors.New("not a JWK object")
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := members[private]; ok {
			return nil, errors.New("JWK contains private key material")
		}
	}
	if k.Use != "" && k.Use != "sig" {
		return nil, errors.New(`JWK use must be "sig"`)
	}
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != "RS256" {
			return nil, errors.New("RSA JWK alg must be RS256")
		}
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			return nil, errors.New("RSA JWK n or e is not base64url")
		}
		n, ok1 := unsignedBytes(n)
		e, ok2 := unsignedBytes(e)
		if !ok1 || !ok2 {
			return nil, errors.New("RSA JWK n or e has leading zero bytes")
		}
		nn := new(big.Int).SetBytes(n)
		if bits := nn.BitLen(); bits < 2048 || bits > 4096 || nn.Bit(0) == 0 {
			return nil, errors.New("RSA JWK modulus must be odd and of 2048 to 4096 bits")
		}
		if ee := new(big.Int).SetBytes(e); !ee.IsInt64() || ee.Int64() != 65537 {
			return nil, errors.New("RSA JWK exponent must be 65537")
		}
		canon, _ := json.Marshal(jwk{Kty: "RSA", Alg: "RS256", N: b64.EncodeToString(nn.Bytes()), E: "AQAB"})
		return &deviceKey{Alg: "RS256", Key: &rsa.PublicKey{N: nn, E: 65537}, jwk: canon}, nil
	case "EC":
		if k.Alg != "" && k.Alg != "ES256" {
			return nil, errors.New("EC JWK alg must be ES256")
		}
		if k.Crv != "P-256" {
			return nil, errors.New("EC JWK crv must be P-256")
		}
		x, err1 := b64.DecodeString(k.X)
		y, err2 := b64.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("EC JWK x and y must be 32 bytes of base64url")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, errors.New("EC JWK point is not on P-256")
		}
		canon, _ := json.Marshal(jwk{Kty: "EC", Alg: "ES256", Crv: "P-256", X: k.X, Y: k.Y})
		return &deviceKey{Alg: "ES256", Key: pub, jwk: canon}, nil
	}
	return nil, errors.New(`JWK kty must be "RSA" or "EC"`)
}

// unsignedBytes returns the big-endian magnitude b encodes, accepting the
// minimal unsigned form of RFC 7518 §6.3.1 and the two's-complement form
// of Java's BigInteger.toByteArray(), which Guardian.Android sends: one
// 0x00 byte before a first byte whose high bit is set. Any other leading
// zero is not a canonical encoding of either kind and is refused.
func unsignedBytes(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	if b[0] != 0 {
		return b, true
	}
	if len(b) >= 2 && b[1]&0x80 != 0 {
		return b[1:], true
	}
	return nil, false
}

// verifyJWS verifies a compact JWS (RFC 7515) made with key and returns its
// payload. The protected header's "alg" must be key.Alg ("none" and every
// other algorithm are refused); headers that change how the signature is
// checked ("crit", "jwk", "jku", "x5u", "x5c", "b64") are refused rather
// than honoured. The header is one JSON object without repeated names or
// invalid UTF-8. ES256 signatures are the 64-byte r‖s of RFC 7518 §3.4;
// both s and n − s are accepted (no low-S normalization): single use rests
// on the ticket or transaction, never on the signature's bytes, so a
// second encoding of one signature gains nothing. Errors match
// ErrInvalidProof.
func verifyJWS(key *deviceKey, token string) ([]byte, error) {
	if len(token) > maxProofLen {
		return nil, fmt.Errorf("%w: too long", ErrInvalidProof)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrInvalidProof)
	}
	hdr, err1 := b64.DecodeString(parts[0])
	payload, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrInvalidProof)
	}
	var h map[string]jsontext.Value
	if json.Unmarshal(hdr, &h) != nil {
		return nil, fmt.Errorf("%w: header", ErrInvalidProof)
	}
	var alg string
	if json.Unmarshal(h["alg"], &alg) != nil || alg != key.Alg {
		return nil, fmt.Errorf("%w: alg", ErrInvalidProof)
	}
	for _, name := range []string{"crit", "jwk", "jku", "x5u", "x5c", "b64"} {
		if _, ok := h[name]; ok {
			return nil, fmt.Errorf("%w: header %q is not supported", ErrInvalidProof, name)
		}
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	ok := false
	switch pub := key.Key.(type) {
	case *rsa.PublicKey:
		ok = len(sig) == pub.Size() && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			ok = ecdsa.Verify(pub, digest[:], r, s)
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: signature", ErrInvalidProof)
	}
	return payload, nil
}
