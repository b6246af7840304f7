package push_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/push/devicetest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

const base = "https://id.example.com/push"

// gclock is a settable clock.
type gclock struct{ ns atomic.Int64 }

func (c *gclock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *gclock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// outbox records the notifications a Push engine sends.
type outbox struct {
	mu   sync.Mutex
	sent []push.Notification
	to   []push.Device
}

func (o *outbox) Notify(_ context.Context, d push.Device, n push.Notification) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent, o.to = append(o.sent, n), append(o.to, d)
	return nil
}

func (o *outbox) last(t *testing.T) push.Notification {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.NotEmpty(t, o.sent)
	return o.sent[len(o.sent)-1]
}

// gfix is a Push engine behind its device API, a verify.Service for
// enrollment, and a transport that routes devices' requests to the API.
type gfix struct {
	clock  *gclock
	store  *memory.Store
	push   *push.Push
	svc    *verify.Service
	out    *outbox
	client *http.Client
	alice  verify.Subject
	bob    verify.Subject
	ip     atomic.Value // the client IP of devices' requests
}

type routeTo struct {
	h  http.Handler
	ip func() string
}

func (r routeTo) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	req = req.Clone(req.Context())
	req.RemoteAddr = r.ip() + ":4321"
	req.RequestURI = req.URL.RequestURI()
	r.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func newGfix(t *testing.T, cfg push.Config) *gfix {
	t.Helper()
	f := &gfix{clock: &gclock{}, out: &outbox{},
		alice: verify.Subject{ID: "auth0|alice", Email: "alice@example.com"},
		bob:   verify.Subject{ID: "auth0|bob", Email: "bob@example.com"}}
	f.clock.ns.Store(time.Now().UnixNano()) // devicetest signs with the real clock
	f.ip.Store("192.0.2.1")
	var err error
	f.store, err = memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
	require.NoError(t, err)
	cfg.Issuer, cfg.BaseURL, cfg.Now = "Example", base, f.clock.Now
	if cfg.Notifier == nil {
		cfg.Notifier = f.out
	}
	if cfg.StartLimit == (verify.Limit{}) {
		cfg.StartLimit = verify.Limit{Requests: 1000, Window: time.Hour} // the largest StartLimit
	}
	f.push, err = push.New(cfg, f.store, lim)
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "push-test-sealing-password-0123456789"}}, Now: f.clock.Now})
	require.NoError(t, err)
	f.svc, err = verify.NewService(verify.Config{Engines: []verify.Engine{f.push}, Sealer: sealer, Store: f.store, Now: f.clock.Now})
	require.NoError(t, err)
	f.client = &http.Client{Transport: routeTo{h: f.push.Handler(), ip: func() string { return f.ip.Load().(string) }}}
	return f
}

// enroll enrolls a new Guardian device for sub and confirms the method.
func (f *gfix) enroll(t *testing.T, sub verify.Subject) (*devicetest.Device, *verify.Method) {
	t.Helper()
	d, err := devicetest.New("Pixel of " + sub.ID)
	require.NoError(t, err)
	d.Client = f.client
	en, err := f.svc.Start(context.Background(), sub, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	require.NoError(t, err)
	_, err = d.Enroll(context.Background(), en.BarcodeURI)
	require.NoError(t, err)
	m, err := f.svc.Verify(context.Background(), sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.NoError(t, err)
	return d, m
}

// signIn is a sign-in challenge as the service makes it: the engine's
// state, as sealed, and the notification sent.
type signIn struct {
	state jsontext.Value
	match string
	n     push.Notification
	rec   store.Method
	m     verify.Method
	sub   verify.Subject
}

func (f *gfix) challenge(t *testing.T, sub verify.Subject, m *verify.Method) (*signIn, error) {
	t.Helper()
	rec, err := f.store.Get(context.Background(), sub.ID, m.ID)
	require.NoError(t, err)
	before := len(f.out.sent)
	st, err := f.push.Challenge(context.Background(), &verify.EngineStart{
		Subject: sub, Method: *m, Record: rec, ExpiresAt: f.clock.Now().Add(5 * time.Minute),
		Client: verify.Client{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	})
	if err != nil {
		return nil, err
	}
	require.Len(t, f.out.sent, before+1, "one notification per challenge")
	state, err := json.Marshal(st.State)
	require.NoError(t, err)
	return &signIn{state: state, match: st.MatchNumber, n: f.out.last(t), rec: rec, m: *m, sub: sub}, nil
}

func (f *gfix) authenticate(s *signIn) (*verify.Confirmation, error) {
	return f.push.Authenticate(context.Background(), &verify.EngineConfirm{
		Subject: s.sub, Method: s.m, Record: s.rec, State: s.state, Request: verify.VerifyRequest{AuthSession: "x"},
	})
}

func parse(t *testing.T, n push.Notification) *devicetest.Notification {
	t.Helper()
	dn, err := devicetest.ParseNotification(n.Data())
	require.NoError(t, err)
	return dn
}

// TestGuardianDeviceLifecycle drives the Guardian device protocol from
// end to end against the engine's device API: enroll without a proof
// (PU-02) with an RSA key in BigInteger form, update, approve, reject and
// delete (PU-05).
func TestGuardianDeviceLifecycle(t *testing.T) {
	f := newGfix(t, push.Config{})
	ctx := context.Background()
	d, m := f.enroll(t, f.alice)
	assert.Equal(t, "Pixel of auth0|alice", m.Name)
	e := d.Enrollment
	assert.Equal(t, base, e.URL)
	assert.Equal(t, f.alice.ID, e.UserID)
	assert.Equal(t, "Example", e.Issuer)
	require.NotNil(t, e.TOTP)
	assert.Equal(t, devicetest.TOTP{Secret: e.TOTP.Secret, Algorithm: "sha1", Digits: 6, Period: 30}, *e.TOTP)

	// Update: the name and push token change, the identifier stays.
	name, tok := "Renamed", "fcm-new-token"
	got, err := d.Update(ctx, nil, &name, &tok)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"id": e.ID, "identifier": d.Identifier, "name": "Renamed",
		"push_credentials": map[string]any{"service": "GCM", "token": "fcm-new-token"}}, got)

	// Approve: the notification carries Guardian's keys and reaches the
	// updated push token; authenticate is pending until the device answers.
	s, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	assert.Equal(t, "fcm-new-token", f.out.to[len(f.out.to)-1].Token)
	data := s.n.Data()
	assert.ElementsMatch(t, []string{"txtkn", "c", "dai", "sh", "d", "s"}, keysOf(data))
	assert.Equal(t, e.ID, data["dai"])
	assert.Equal(t, base, data["sh"])
	assert.Equal(t, `{"b":{"n":"Chrome","v":"131.0.0.0"},"os":{"n":"Linux","v":""}}`, data["s"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, data["d"])
	_, err = f.authenticate(s)
	require.ErrorIs(t, err, verify.ErrPending)
	dn := parse(t, s.n)
	require.NoError(t, d.Allow(ctx, dn))
	a, err := f.authenticate(s)
	require.NoError(t, err)
	assert.Equal(t, m.ID, a.Record.ID)
	// SI-09: the answer is single use.
	require.Equal(t, http.StatusUnauthorized, devicetest.Status(d.Allow(ctx, dn)), "a replayed approval")
	require.Equal(t, http.StatusUnauthorized, devicetest.Status(d.Reject(ctx, dn, nil)), "a second answer")

	// Reject, with a reason: the authentication fails with invalid proof (400).
	s, err = f.challenge(t, f.alice, m)
	require.NoError(t, err)
	reason := "I did not sign in"
	require.NoError(t, d.Reject(ctx, parse(t, s.n), &reason))
	_, err = f.authenticate(s)
	require.ErrorIs(t, err, verify.ErrInvalidProof)

	// Delete: the method is gone, and an outstanding transaction can no
	// longer be approved (PU-05: revocation).
	s, err = f.challenge(t, f.alice, m)
	require.NoError(t, err)
	require.NoError(t, d.Delete(ctx))
	_, err = f.store.Get(ctx, f.alice.ID, m.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Equal(t, http.StatusUnauthorized, devicetest.Status(d.Allow(ctx, parse(t, s.n))))
	assert.Equal(t, http.StatusUnauthorized, devicetest.Status(d.Delete(ctx)), "deleted once")
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestEnrolledDeviceConflicts: an enrolled device's second enrollment for
// the same user is 409, and spends no ticket.
//
// Checklist: PU-05.
func TestEnrolledDeviceConflicts(t *testing.T) {
	f := newGfix(t, push.Config{})
	d, _ := f.enroll(t, f.alice)
	en, err := f.svc.Start(context.Background(), f.alice, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	require.NoError(t, err)
	_, err = d.Enroll(context.Background(), en.BarcodeURI)
	assert.Equal(t, http.StatusConflict, devicetest.Status(err), err)
	other, err := devicetest.New("other")
	require.NoError(t, err)
	other.Client = f.client
	_, err = other.Enroll(context.Background(), en.BarcodeURI)
	require.NoError(t, err, "the ticket was not spent")
}

// TestDeviceTokenAuthorizesItsOwnAccountOnly: a device token updates and
// deletes its own device account, never another.
func TestDeviceTokenAuthorizesItsOwnAccountOnly(t *testing.T) {
	f := newGfix(t, push.Config{})
	ctx := context.Background()
	a, _ := f.enroll(t, f.alice)
	b, _ := f.enroll(t, f.bob)
	name := "stolen"
	for _, tc := range []struct {
		name      string
		id, token string
	}{
		{"another account's id", b.Enrollment.ID, a.Enrollment.Token},
		{"a wrong token", a.Enrollment.ID, b.Enrollment.Token},
		{"an unknown id", base64.RawURLEncoding.EncodeToString(make([]byte, 32)), a.Enrollment.Token},
		{"a malformed id", "x", a.Enrollment.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.push.UpdateDevice(ctx, tc.id, tc.token, &push.DeviceUpdate{Name: &name})
			require.ErrorIs(t, err, push.ErrUnauthorized)
			require.ErrorIs(t, f.push.DeleteDevice(ctx, tc.id, tc.token), push.ErrUnauthorized)
		})
	}
	// Over HTTP: no bearer, another scheme.
	for _, auth := range []string{"", "Ticket id=\"" + a.Enrollment.Token + "\"", "Bearer " + b.Enrollment.Token} {
		req := httptest.NewRequest(http.MethodDelete, "/push/api/device-accounts/"+a.Enrollment.ID, nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		f.push.Handler().ServeHTTP(rec, req)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, auth)
		assert.Equal(t, `Bearer error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
	}
	ms, err := f.store.List(ctx, f.bob.ID)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	dv, err := push.ParseDevice(ms[0].Secret)
	require.NoError(t, err)
	assert.Equal(t, "Pixel of auth0|bob", dv.Name, "bob's account is untouched")
}

// TestDeviceUpdateBodies: a null member leaves its field; unknown members,
// duplicate members and bad values are refused.
func TestDeviceUpdateBodies(t *testing.T) {
	f := newGfix(t, push.Config{})
	d, _ := f.enroll(t, f.alice)
	patch := func(body string) (int, map[string]any) {
		req := httptest.NewRequest(http.MethodPatch, "/push/api/device-accounts/"+d.Enrollment.ID, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+d.Enrollment.Token)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		rec := httptest.NewRecorder()
		f.push.Handler().ServeHTTP(rec, req)
		var m map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m), rec.Body.String())
		return rec.Code, m
	}
	st, m := patch(`{"identifier":null,"name":"N","push_credentials":null}`)
	require.Equal(t, http.StatusOK, st, m)
	assert.Equal(t, d.Identifier, m["identifier"])
	assert.Equal(t, "N", m["name"])
	assert.Equal(t, map[string]any{"service": "GCM", "token": d.PushToken}, m["push_credentials"])
	st, m = patch(`{"identifier":"new-id"}`)
	require.Equal(t, http.StatusOK, st, m)
	assert.Equal(t, "new-id", m["identifier"])
	for _, body := range []string{
		`{"name":"a","name":"b"}`, `{"extra":1}`, `{"name":""}`, `{"name":"a\u202e"}x`,
		`{"push_credentials":{"service":"SMS","token":"t"}}`, `{"push_credentials":{"service":"GCM"}}`, `[]`,
	} {
		st, m := patch(body)
		assert.Equal(t, http.StatusBadRequest, st, "%s: %v", body, m)
	}
}

// TestResolveRefusesForgedResponses (SI-09): a challenge response signed by
// another key, over another challenge, for another audience or issuer,
// expired, long-lived, with another algorithm or without Guardian's
// claims is refused (400) and leaves the transaction open; the device's
// own then approves it.
//
// Checklist: PU-02.
func TestResolveRefusesForgedResponses(t *testing.T) {
	f := newGfix(t, push.Config{})
	ctx := context.Background()
	d, m := f.enroll(t, f.alice)
	other, err := devicetest.New("other")
	require.NoError(t, err)
	other.Identifier = d.Identifier
	s, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	n := parse(t, s.n)
	resolveURL := f.push.ResolveURL()
	now := time.Now()
	sign := func(dev *devicetest.Device, aud, sub string) string {
		j, err := dev.ChallengeResponse(aud, sub, true, nil)
		require.NoError(t, err)
		return j
	}
	// Claims of our own, signed by the device key through a JWT of
	// devicetest's making, then re-signed: craft(claims) builds the JWT.
	craft := func(header string, claims map[string]any) string {
		c, _ := json.Marshal(claims)
		in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(c)
		return in + "." + rsaSign(t, d, in)
	}
	good := func() map[string]any {
		return map[string]any{"iat": now.Unix(), "exp": now.Unix() + 30, "aud": resolveURL, "iss": d.Identifier,
			"sub": n.Challenge, "auth0_guardian_method": "push", "auth0_guardian_accepted": true}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hdr := `{"alg":"RS256","typ":"JWT"}`
	for name, jwt := range map[string]string{
		"another key":            sign(other, resolveURL, n.Challenge),
		"another challenge":      sign(d, resolveURL, "another-challenge"),
		"another audience":       sign(d, base+"/api/enroll", n.Challenge),
		"another issuer":         craft(hdr, with("iss", "someone")),
		"expired":                craft(hdr, with("exp", now.Unix()-1)),
		"longer than 30 s":       craft(hdr, with("exp", now.Unix()+31)),
		"issued in the future":   craft(hdr, map[string]any{"iat": now.Unix() + 120, "exp": now.Unix() + 130, "aud": resolveURL, "iss": d.Identifier, "sub": n.Challenge, "auth0_guardian_method": "push", "auth0_guardian_accepted": true}),
		"no iat":                 craft(hdr, with("iat", nil)),
		"no accepted":            craft(hdr, with("auth0_guardian_accepted", nil)),
		"method otp":             craft(hdr, with("auth0_guardian_method", "otp")),
		"an unknown claim":       craft(hdr, with("admin", true)),
		"accepted as a string":   craft(hdr, with("auth0_guardian_accepted", "true")),
		"alg none":               craft(`{"alg":"none"}`, good()),
		"alg HS256":              craft(`{"alg":"HS256","typ":"JWT"}`, good()),
		"an embedded jwk header": craft(`{"alg":"RS256","jwk":{"kty":"oct","k":"AAAA"}}`, good()),
		"a crit header":          craft(`{"alg":"RS256","crit":["exp"],"exp":1}`, good()),
		"not a JWT":              "a.b",
	} {
		t.Run(name, func(t *testing.T) {
			err := f.push.Resolve(ctx, n.TransactionToken, jwt)
			require.ErrorIs(t, err, push.ErrInvalidProof)
			_, err = f.authenticate(s)
			require.ErrorIs(t, err, verify.ErrPending, "the transaction is still open")
		})
	}
	require.NoError(t, f.push.Resolve(ctx, n.TransactionToken, craft(hdr, good())))
	_, err = f.authenticate(s)
	require.NoError(t, err)

	// A response for this transaction presented with another one's token.
	s2, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	s3, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	err = f.push.Resolve(ctx, parse(t, s3.n).TransactionToken, sign(d, resolveURL, parse(t, s2.n).Challenge))
	require.ErrorIs(t, err, push.ErrInvalidProof, "bound to its transaction")
	require.ErrorIs(t, f.push.Resolve(ctx, "", "x"), push.ErrInvalidTransaction)
}

// rsaSign signs in with d's key (RS256).
func rsaSign(t *testing.T, d *devicetest.Device, in string) string {
	t.Helper()
	// ChallengeResponse signs its own input; sign ours the same way.
	j, err := signRS256(d, in)
	require.NoError(t, err)
	return j
}

// TestAuthenticateIsBoundToItsMethod: a sign-in state opened for another
// method or user never authenticates, even once approved.
func TestAuthenticateIsBoundToItsMethod(t *testing.T) {
	f := newGfix(t, push.Config{})
	d, m := f.enroll(t, f.alice)
	_, mb := f.enroll(t, f.bob)
	s, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	require.NoError(t, d.Allow(context.Background(), parse(t, s.n)))
	recB, err := f.store.Get(context.Background(), f.bob.ID, mb.ID)
	require.NoError(t, err)
	_, err = f.push.Authenticate(context.Background(), &verify.EngineConfirm{
		Subject: f.bob, Method: *mb, Record: recB, State: s.state,
	})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	otp := "123456"
	_, err = f.push.Authenticate(context.Background(), &verify.EngineConfirm{
		Subject: f.alice, Method: *m, Record: s.rec, State: s.state, Request: verify.VerifyRequest{OTPCode: &otp},
	})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "push takes auth_session alone")
	f.clock.Add(5 * time.Minute)
	_, err = f.authenticate(s)
	require.ErrorIs(t, err, verify.ErrExpired)
}

// TestSignInPushesAreThrottled (PU-04): sign-in pushes per user are
// limited; a refused challenge sends nothing.
//
// Checklist: SI-09.
func TestSignInPushesAreThrottled(t *testing.T) {
	f := newGfix(t, push.Config{})
	_, m := f.enroll(t, f.alice)
	refused := 0
	for i := 0; i < 20; i++ {
		_, err := f.challenge(t, f.alice, m)
		if err != nil {
			require.ErrorIs(t, err, verify.ErrRateLimited)
			refused++
		}
	}
	assert.Equal(t, 20-10, refused, "the default ChallengeLimit is 10 in 10 minutes")
	assert.Len(t, f.out.sent, 10, "nothing sent when refused")
}

// TestDeviceAPIIsRateLimitedPerIP (issue 16 item 7): the device API
// answers 429 with Retry-After past DeviceLimit for one client IP, and
// serves another IP.
//
// Checklist: PU-04.
func TestDeviceAPIIsRateLimitedPerIP(t *testing.T) {
	f := newGfix(t, push.Config{DeviceLimit: verify.Limit{Requests: 3, Window: time.Minute}})
	h := f.push.Handler()
	call := func(ip string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/push/api/resolve-transaction", strings.NewReader(`{"challenge_response":"x"}`))
		req.RemoteAddr = ip + ":1"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 43))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 3; i++ {
		assert.Equal(t, http.StatusUnauthorized, call("198.51.100.7").Code)
	}
	rec := call("198.51.100.7")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
	assert.Equal(t, http.StatusUnauthorized, call("198.51.100.8").Code, "another IP has its own budget")
}

// TestNumberMatching (PU-04): with NumberMatching, an approval counts only
// with the number shown to the user.
//
// Checklist: SI-09.
func TestNumberMatching(t *testing.T) {
	f := newGfix(t, push.Config{NumberMatching: true})
	ctx := context.Background()
	d, m := f.enroll(t, f.alice)
	answer := func(s *signIn, number *string) error {
		n := parse(t, s.n)
		c := map[string]any{"iat": time.Now().Unix(), "exp": time.Now().Unix() + 30, "aud": f.push.ResolveURL(), "iss": d.Identifier,
			"sub": n.Challenge, "auth0_guardian_method": "push", "auth0_guardian_accepted": true}
		if number != nil {
			c["verifykit_number"] = *number
		}
		b, _ := json.Marshal(c)
		in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(b)
		sig, err := signRS256(d, in)
		require.NoError(t, err)
		return f.push.Resolve(ctx, n.TransactionToken, in+"."+sig)
	}
	s, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	require.Regexp(t, `^[1-9][0-9]$`, s.match)
	assert.NotContains(t, fmt.Sprint(s.n.Data()), `"`+s.match+`"`)
	require.NoError(t, answer(s, nil))
	_, err = f.authenticate(s)
	require.ErrorIs(t, err, verify.ErrInvalidProof, "an approval without the number")

	s, err = f.challenge(t, f.alice, m)
	require.NoError(t, err)
	wrong := "00"
	require.NoError(t, answer(s, &wrong))
	_, err = f.authenticate(s)
	require.ErrorIs(t, err, verify.ErrInvalidProof, "the wrong number")

	s, err = f.challenge(t, f.alice, m)
	require.NoError(t, err)
	require.NoError(t, answer(s, &s.match))
	_, err = f.authenticate(s)
	require.NoError(t, err)
}

// TestRequireProof (PU-02): by default a Guardian enrollment carries no
// proof and is accepted; with RequireProof it is refused (400).
func TestRequireProof(t *testing.T) {
	f := newGfix(t, push.Config{RequireProof: true})
	d, err := devicetest.New("p")
	require.NoError(t, err)
	d.Client = f.client
	en, err := f.svc.Start(context.Background(), f.alice, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	require.NoError(t, err)
	_, err = d.Enroll(context.Background(), en.BarcodeURI)
	assert.Equal(t, http.StatusBadRequest, devicetest.Status(err))
	assert.Contains(t, err.Error(), "Invalid proof: is required")
}

// TestECDeviceHighS documents the choice of issue 16 item 7: an ES256
// challenge response is accepted with s or n − s (no low-S rule); the
// transaction's single use, not the signature bytes, makes it once.
func TestECDeviceHighS(t *testing.T) {
	f := newGfix(t, push.Config{})
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pt, _ := key.PublicKey.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	en, err := f.svc.Start(ctx, f.alice, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	require.NoError(t, err)
	u := en.BarcodeURI
	ticket := u[strings.Index(u, "enrollment_tx_id=")+len("enrollment_tx_id="):]
	ticket = ticket[:strings.IndexByte(ticket, '&')]
	resp, err := f.push.Enroll(ctx, ticket, &push.EnrollRequest{
		Identifier: "ec-1", Name: "EC phone", PushCredentials: &push.PushCredentials{Service: "APNs", Token: "apns-token"},
		PublicKey: jsontext.Value(fmt.Sprintf(`{"kty":"EC","crv":"P-256","x":"%s","y":"%s"}`, b64(pt[1:33]), b64(pt[33:]))),
	})
	require.NoError(t, err)
	m, err := f.svc.Verify(ctx, f.alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.NoError(t, err)
	assert.NotEmpty(t, resp.Token)
	for _, high := range []bool{false, true} {
		s, err := f.challenge(t, f.alice, m)
		require.NoError(t, err)
		n := parse(t, s.n)
		c, _ := json.Marshal(map[string]any{"iat": time.Now().Unix(), "exp": time.Now().Unix() + 30, "aud": f.push.ResolveURL(), "iss": "ec-1",
			"sub": n.Challenge, "auth0_guardian_method": "push", "auth0_guardian_accepted": true})
		in := b64([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + b64(c)
		digest := sha256.Sum256([]byte(in))
		r, sv, err := ecdsa.Sign(rand.Reader, key, digest[:])
		require.NoError(t, err)
		half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
		if (sv.Cmp(half) > 0) != high {
			sv.Sub(elliptic.P256().Params().N, sv)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		sv.FillBytes(sig[32:])
		require.NoError(t, f.push.Resolve(ctx, n.TransactionToken, in+"."+b64(sig)), "high S: %v", high)
		_, err = f.authenticate(s)
		require.NoError(t, err)
		require.ErrorIs(t, f.push.Resolve(ctx, n.TransactionToken, in+"."+b64(sig)), push.ErrInvalidTransaction, "once")
	}
}

// deviceEvents records the events push.Config.Observer receives.
type deviceEvents struct {
	mu     sync.Mutex
	events []verify.Event
}

func (r *deviceEvents) Observe(_ context.Context, e verify.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// TestDeviceChangesAreReportedToTheObserver: an update or a deletion made
// through the device API, which does not pass through verify.Service,
// still reaches the host's observer, once each, naming the user and the
// method; a refused request reports nothing.
//
// PU-06: the user is notified of every new method, and (beyond it) of
// the changes the device makes.
func TestDeviceChangesAreReportedToTheObserver(t *testing.T) {
	obs := &deviceEvents{}
	f := newGfix(t, push.Config{Observer: obs})
	ctx := context.Background()
	d, m := f.enroll(t, f.alice)
	name := "Pixel 10"
	_, err := f.push.UpdateDevice(ctx, d.Enrollment.ID, "wrong-token", &push.DeviceUpdate{Name: &name})
	require.ErrorIs(t, err, push.ErrUnauthorized)
	_, err = f.push.UpdateDevice(ctx, d.Enrollment.ID, d.Enrollment.Token, &push.DeviceUpdate{Name: &name})
	require.NoError(t, err)
	require.NoError(t, f.push.DeleteDevice(ctx, d.Enrollment.ID, d.Enrollment.Token))
	require.ErrorIs(t, f.push.DeleteDevice(ctx, d.Enrollment.ID, d.Enrollment.Token), push.ErrUnauthorized)

	obs.mu.Lock()
	defer obs.mu.Unlock()
	require.Len(t, obs.events, 2)
	for i, kind := range []verify.EventKind{verify.EventUpdated, verify.EventDeleted} {
		e := obs.events[i]
		assert.Equal(t, kind, e.Kind)
		assert.Equal(t, f.alice.ID, e.Subject)
		assert.Equal(t, verify.TypePushNotification, e.Type)
		assert.Equal(t, m.ID, e.MethodID)
		assert.Equal(t, "device", e.Reason)
		assert.False(t, e.Time.IsZero())
	}
}
