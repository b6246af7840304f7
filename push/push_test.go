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
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// clock is a settable test clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

const testBaseURL = "https://id.example.com/push"

// testStartLimit lifts the start limit for tests that start many enrollments.
var testStartLimit = verify.Limit{Requests: maxStartRequests, Window: time.Hour}

// fixture is a verify.Service with the real session sealer, the memory
// store and limiter and a Push engine, all on one test clock.
type fixture struct {
	clock    *clock
	store    *memory.Store
	push     *Push
	svc      *verify.Service
	observer *recorder
	alice    verify.Subject
	bob      verify.Subject
}

type recorder struct {
	mu     sync.Mutex
	events []verify.Event
}

func (r *recorder) Observe(_ context.Context, e verify.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func newFixture(t testing.TB, cfg Config, sessionTTL time.Duration) *fixture {
	t.Helper()
	clk := &clock{}
	clk.ns.Store(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC).UnixNano())
	st, err := memory.New(memory.Config{Now: clk.Now})
	require.NoError(t, err)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: clk.Now})
	require.NoError(t, err)
	if cfg.Issuer == "" {
		cfg.Issuer = "Example"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = testBaseURL
	}
	cfg.Now = clk.Now
	p, err := New(cfg, st, lim)
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "push-test-sealing-password-0123456789"}}, Now: clk.Now})
	require.NoError(t, err)
	rec := &recorder{}
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{p}, Sealer: sealer, Store: st, Now: clk.Now, SessionTTL: sessionTTL, Observer: rec})
	require.NoError(t, err)
	return &fixture{
		clock: clk, store: st, push: p, svc: svc, observer: rec,
		alice: verify.Subject{ID: "auth0|alice", Email: "alice@example.com"},
		bob:   verify.Subject{ID: "auth0|bob", Email: "bob@example.com"},
	}
}

// enrollment is a started push enrollment with the values of its barcode.
type enrollment struct {
	*verify.Enrollment
	ticket, baseURL, secret string
}

func (f *fixture) start(t testing.TB, sub verify.Subject) *enrollment {
	t.Helper()
	en, err := f.svc.Start(context.Background(), sub, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	require.NoError(t, err)
	u, err := url.Parse(en.BarcodeURI)
	require.NoError(t, err)
	q := u.Query()
	return &enrollment{Enrollment: en, ticket: q.Get("enrollment_tx_id"), baseURL: q.Get("base_url"), secret: q.Get("secret")}
}

func (f *fixture) verify(sub verify.Subject, en *enrollment) (*verify.Method, error) {
	return f.svc.Verify(context.Background(), sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
}

// device is an authenticator app: a key pair and an identifier.
type device struct {
	id   string
	name string
	alg  string
	key  crypto.Signer
	jwk  jsontext.Value
}

func b64u(b []byte) string { return b64.EncodeToString(b) }

func newECDevice(t testing.TB, id string) *device {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pt, err := k.PublicKey.Bytes()
	require.NoError(t, err)
	jwk := fmt.Sprintf(`{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","x":"%s","y":"%s"}`, b64u(pt[1:33]), b64u(pt[33:]))
	return &device{id: id, name: "Pixel of " + id, alg: "ES256", key: k, jwk: jsontext.Value(jwk)}
}

func newRSADevice(t testing.TB, id string) *device {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	// Java's BigInteger.toByteArray adds a sign byte, as Guardian.Android
	// sends it: the leading zero must be accepted.
	n := append([]byte{0}, k.N.Bytes()...)
	jwk := fmt.Sprintf(`{"kty":"RSA","alg":"RS256","use":"sig","n":"%s","e":"AQAB"}`, b64u(n))
	return &device{id: id, name: "iPhone of " + id, alg: "RS256", key: k, jwk: jsontext.Value(jwk)}
}

// sign makes a compact JWS of claims with header {"alg": alg, "typ": "JWT"}.
func (d *device) sign(t testing.TB, header map[string]any, claims any) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"alg": d.alg, "typ": "JWT"}
	}
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	return d.signJSON(t, string(h), string(c))
}

// signJSON makes a compact JWS of header and claims, JSON texts taken as
// they are.
func (d *device) signJSON(t testing.TB, header, claims string) string {
	t.Helper()
	input := b64u([]byte(header)) + "." + b64u([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	var err error
	var sig []byte
	switch k := d.key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		require.NoError(t, err)
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		require.NoError(t, err)
	}
	return input + "." + b64u(sig)
}

// claims are the proof claims the protocol asks for.
func (d *device) claims(aud, ticket string, now time.Time) map[string]any {
	return map[string]any{"aud": aud, "sub": ticket, "iss": d.id, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
}

// request is the device's enrollment request for ticket at base.
func (d *device) request(t testing.TB, base, ticket string, now time.Time) *EnrollRequest {
	return &EnrollRequest{
		Identifier: d.id, Name: d.name,
		PushCredentials: &PushCredentials{Service: "FCM", Token: "fcm-token-" + d.id},
		PublicKey:       d.jwk,
		Proof:           d.sign(t, nil, d.claims(base+"/api/enroll", ticket, now)),
	}
}

func (f *fixture) enroll(t testing.TB, d *device, en *enrollment) (*EnrollResponse, error) {
	return f.push.Enroll(context.Background(), en.ticket, d.request(t, en.baseURL, en.ticket, f.clock.Now()))
}

func TestStart(t *testing.T) {
	f := newFixture(t, Config{Issuer: "Acme & Co"}, 0)
	f.alice.Email = "a@b.c:evil?secret=AAAA&issuer=X#"
	en := f.start(t, f.alice)
	assert.True(t, strings.HasPrefix(en.ID, "push-notification|dev_"), en.ID)
	assert.True(t, strings.HasPrefix(en.BarcodeURI, "otpauth://totp/Acme%20%26%20Co:a@b.c_evil%3Fsecret%3DAAAA%26issuer%3DX%23?enrollment_tx_id="), en.BarcodeURI)
	u, err := url.Parse(en.BarcodeURI)
	require.NoError(t, err)
	q := u.Query()
	assert.ElementsMatch(t, []string{"enrollment_tx_id", "base_url", "secret", "issuer"}, keys(q))
	assert.Equal(t, "Acme & Co", q.Get("issuer"))
	assert.Equal(t, testBaseURL, en.baseURL)
	ticket, err := ticketEncoding.DecodeString(en.ticket)
	require.NoError(t, err)
	assert.Len(t, ticket, defaultTicketSize)
	secret, err := b32.DecodeString(en.secret)
	require.NoError(t, err)
	assert.Len(t, secret, defaultSecretSize)
	assert.Equal(t, en.secret, en.ManualInputCode)
	body, err := json.Marshal(en.Enrollment)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	assert.ElementsMatch(t, []string{"id", "auth_session", "barcode_uri", "manual_input_code"}, keysOf(m))

	// The store holds the ticket's hash for this user and method, never the ticket.
	h := sha256.Sum256([]byte(en.ticket))
	tk, err := f.store.PushTicket(context.Background(), h[:])
	require.NoError(t, err)
	assert.Equal(t, f.alice.ID, tk.Subject)
	assert.Equal(t, en.ID, tk.MethodID)
	assert.Equal(t, en.ExpiresAt, tk.Expires)
	assert.Nil(t, tk.Device)
}

func keys(q url.Values) []string {
	var ks []string
	for k := range q {
		ks = append(ks, k)
	}
	return ks
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEnrollAndConfirm(t *testing.T) {
	for _, mk := range []func(testing.TB, string) *device{newECDevice, newRSADevice} {
		d := mk(t, "device-1")
		t.Run(d.alg, func(t *testing.T) {
			f := newFixture(t, Config{}, 0)
			en := f.start(t, f.alice)
			_, err := f.verify(f.alice, en)
			require.ErrorIs(t, err, verify.ErrPending)
			assert.Equal(t, "verify: enrollment pending", err.Error())

			resp, err := f.enroll(t, d, en)
			require.NoError(t, err)
			secret, _ := b32.DecodeString(en.secret)
			assert.Equal(t, ticketEncoding.EncodeToString(deviceCredentialID(f.alice.ID, d.id)), resp.ID, "the device account id")
			assert.Equal(t, testBaseURL, resp.URL)
			assert.Equal(t, "Example", resp.Issuer)
			assert.Equal(t, f.alice.ID, resp.UserID)
			assert.Equal(t, &TOTPParams{Secret: b32.EncodeToString(secret), Algorithm: "sha1", Digits: 6, Period: 30}, resp.TOTP)
			tok, err := ticketEncoding.DecodeString(resp.Token)
			require.NoError(t, err)
			assert.Len(t, tok, deviceTokenSize)

			m, err := f.verify(f.alice, en)
			require.NoError(t, err)
			assert.Equal(t, en.ID, m.ID)
			assert.Equal(t, d.name, m.Name)
			body, err := json.Marshal(m)
			require.NoError(t, err)
			assert.JSONEq(t, `{"id":"`+en.ID+`","type":"push-notification","confirmed":true,"name":"`+d.name+`","usage":["secondary"],"created_at":"2026-05-06T07:08:09.000Z"}`, string(body))

			rec, err := f.store.Get(context.Background(), f.alice.ID, en.ID)
			require.NoError(t, err)
			dv, err := ParseDevice(rec.Secret)
			require.NoError(t, err)
			assert.Equal(t, d.id, dv.Identifier)
			assert.Equal(t, "FCM", dv.Service)
			assert.Equal(t, "fcm-token-device-1", dv.Token)
			assert.Equal(t, secret, dv.TOTPSecret)
			th := sha256.Sum256([]byte(resp.Token))
			assert.Equal(t, th[:], dv.TokenHash, "the device token is stored hashed")
			assert.NotContains(t, string(rec.Secret), resp.Token)
			assert.Equal(t, resp.ID, deviceAccountID(rec))
			key, err := parseDeviceKey(dv.PublicKey)
			require.NoError(t, err)
			assert.Equal(t, d.alg, key.Alg)
			assert.Equal(t, deviceCredentialID(f.alice.ID, d.id), rec.CredentialID)

			_, err = f.verify(f.alice, en)
			require.ErrorIs(t, err, verify.ErrAlreadyUsed)
		})
	}
}

func TestEnrollErrors(t *testing.T) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	d, other := newECDevice(t, "d1"), newECDevice(t, "d2")
	now := f.clock.Now()
	for _, tc := range []struct {
		name string
		mod  func(r *EnrollRequest, en *enrollment)
		want error
	}{
		{"no identifier", func(r *EnrollRequest, _ *enrollment) { r.Identifier = "" }, ErrInvalidRequest},
		{"control character in name", func(r *EnrollRequest, _ *enrollment) { r.Name = "a\nb" }, ErrInvalidRequest},
		{"over-long name", func(r *EnrollRequest, _ *enrollment) { r.Name = strings.Repeat("n", 256) }, ErrInvalidRequest},
		{"no push credentials", func(r *EnrollRequest, _ *enrollment) { r.PushCredentials = nil }, ErrInvalidRequest},
		{"unknown service", func(r *EnrollRequest, _ *enrollment) { r.PushCredentials.Service = "SMS" }, ErrInvalidRequest},
		{"empty token", func(r *EnrollRequest, _ *enrollment) { r.PushCredentials.Token = "" }, ErrInvalidRequest},
		{"missing key", func(r *EnrollRequest, _ *enrollment) { r.PublicKey = nil }, ErrInvalidRequest},
		{"null key", func(r *EnrollRequest, _ *enrollment) { r.PublicKey = jsontext.Value("null") }, ErrInvalidRequest},
		{"private key", func(r *EnrollRequest, _ *enrollment) {
			r.PublicKey = jsontext.Value(strings.Replace(string(r.PublicKey), `"use"`, `"d":"AAAA","use"`, 1))
		}, ErrInvalidRequest},
		{"proof over another ticket", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, nil, d.claims(testBaseURL+"/api/enroll", "AAAAAAAAAAAAAAAAAAAAAA", now))
		}, ErrInvalidProof},
		{"proof by another key", func(r *EnrollRequest, en *enrollment) {
			r.Proof = other.sign(t, nil, other.claims(testBaseURL+"/api/enroll", en.ticket, now))
		}, ErrInvalidProof},
		{"proof for another endpoint", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, nil, d.claims("https://evil.example/api/enroll", en.ticket, now))
		}, ErrInvalidProof},
		{"proof by another identifier", func(r *EnrollRequest, en *enrollment) {
			c := d.claims(testBaseURL+"/api/enroll", en.ticket, now)
			c["iss"] = "someone-else"
			r.Proof = d.sign(t, nil, c)
		}, ErrInvalidProof},
		{"expired proof", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, nil, d.claims(testBaseURL+"/api/enroll", en.ticket, now.Add(-2*time.Minute)))
		}, ErrInvalidProof},
		{"proof from the future", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, nil, d.claims(testBaseURL+"/api/enroll", en.ticket, now.Add(2*time.Minute)))
		}, ErrInvalidProof},
		{"long-lived proof", func(r *EnrollRequest, en *enrollment) {
			c := d.claims(testBaseURL+"/api/enroll", en.ticket, now)
			c["exp"] = now.Add(time.Hour).Unix()
			r.Proof = d.sign(t, nil, c)
		}, ErrInvalidProof},
		{"alg none", func(r *EnrollRequest, en *enrollment) {
			p := d.sign(t, map[string]any{"alg": "none"}, d.claims(testBaseURL+"/api/enroll", en.ticket, now))
			r.Proof = p[:strings.LastIndexByte(p, '.')+1]
		}, ErrInvalidProof},
		{"alg mismatch", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, map[string]any{"alg": "RS256"}, d.claims(testBaseURL+"/api/enroll", en.ticket, now))
		}, ErrInvalidProof},
		{"embedded jwk header", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, map[string]any{"alg": "ES256", "jwk": jsontext.Value(d.jwk)}, d.claims(testBaseURL+"/api/enroll", en.ticket, now))
		}, ErrInvalidProof},
		{"crit header", func(r *EnrollRequest, en *enrollment) {
			r.Proof = d.sign(t, map[string]any{"alg": "ES256", "crit": []string{"exp"}}, d.claims(testBaseURL+"/api/enroll", en.ticket, now))
		}, ErrInvalidProof},
		{"no exp", func(r *EnrollRequest, en *enrollment) {
			c := d.claims(testBaseURL+"/api/enroll", en.ticket, now)
			delete(c, "exp")
			r.Proof = d.sign(t, nil, c)
		}, ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en := f.start(t, f.alice)
			req := d.request(t, en.baseURL, en.ticket, now)
			tc.mod(req, en)
			_, err := f.push.Enroll(context.Background(), en.ticket, req)
			require.ErrorIs(t, err, tc.want)
			// A refused request does not spend the ticket.
			_, err = f.enroll(t, d, en)
			require.NoError(t, err)
		})
	}
	t.Run("unknown ticket", func(t *testing.T) {
		ticket := b64u(bytes.Repeat([]byte{7}, defaultTicketSize))
		_, err := f.push.Enroll(context.Background(), ticket, d.request(t, testBaseURL, ticket, now))
		require.ErrorIs(t, err, ErrInvalidTicket)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("unknown ticket is refused before the proof is checked", func(t *testing.T) {
		ticket := b64u(bytes.Repeat([]byte{8}, defaultTicketSize))
		req := d.request(t, testBaseURL, ticket, now)
		req.Proof = "e30.e30.AAAA"
		_, err := f.push.Enroll(context.Background(), ticket, req)
		require.ErrorIs(t, err, ErrInvalidTicket)
	})
	t.Run("malformed ticket", func(t *testing.T) {
		for _, ticket := range []string{"", "short", strings.Repeat("A", 200), "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAA+"} {
			_, err := f.push.Enroll(context.Background(), ticket, d.request(t, testBaseURL, ticket, now))
			require.ErrorIs(t, err, ErrInvalidTicket, ticket)
		}
	})
	t.Run("ticket reuse", func(t *testing.T) {
		en := f.start(t, f.alice)
		_, err := f.enroll(t, d, en)
		require.NoError(t, err)
		_, err = f.enroll(t, other, en)
		require.ErrorIs(t, err, ErrInvalidTicket)
		require.ErrorIs(t, err, store.ErrConsumed)
	})
	t.Run("store outage is internal", func(t *testing.T) {
		p := *f.push
		p.devices = failingDevices{}
		en := f.start(t, f.alice)
		_, err := p.Enroll(context.Background(), en.ticket, d.request(t, en.baseURL, en.ticket, now))
		require.Error(t, err)
		for _, k := range []error{ErrInvalidTicket, ErrInvalidRequest, ErrInvalidProof} {
			assert.NotErrorIs(t, err, k)
		}
		_, err = p.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.alice, MethodID: en.ID, State: jsontext.Value(`{"v":1,"t":"` + b64std(make([]byte, 32)) + `","s":"` + b64std(make([]byte, 20)) + `"}`)})
		require.Error(t, err)
		assert.Nil(t, verify.Kind(err), "an outage is not pending nor invalid: %v", err)
	})
}

func b64std(b []byte) string {
	s, _ := json.Marshal(b)
	return strings.Trim(string(s), `"`)
}

type failingDevices struct{ store.Methods }

var errOutage = errors.New("store down")

func (failingDevices) CreatePushTicket(context.Context, store.PushTicket) error { return errOutage }
func (failingDevices) RedeemPushTicket(context.Context, []byte, store.PushDevice) (store.PushTicket, error) {
	return store.PushTicket{}, errOutage
}
func (failingDevices) PushTicket(context.Context, []byte) (store.PushTicket, error) {
	return store.PushTicket{}, errOutage
}
func (failingDevices) CreatePushTransaction(context.Context, store.PushTransaction) error {
	return errOutage
}
func (failingDevices) ResolvePushTransaction(context.Context, []byte, bool, string) (store.PushTransaction, error) {
	return store.PushTransaction{}, errOutage
}
func (failingDevices) PushTransaction(context.Context, []byte) (store.PushTransaction, error) {
	return store.PushTransaction{}, errOutage
}

// TestPolls: polling verify before the device enrolls is answered
// "pending" and counted against the poll budget, not the service's 5
// attempts; a device that enrolls within it is confirmed.
func TestPolls(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	assert.Equal(t, defaultMaxPolls, f.push.MaxAttempts())
	en := f.start(t, f.alice)
	for i := 0; i < defaultMaxPolls-1; i++ {
		_, err := f.verify(f.alice, en)
		require.ErrorIs(t, err, verify.ErrPending, "poll %d", i+1)
	}
	_, err := f.enroll(t, newECDevice(t, "d"), en)
	require.NoError(t, err)
	_, err = f.verify(f.alice, en)
	require.NoError(t, err, "the last poll of the budget confirms")

	g := newFixture(t, Config{MaxPolls: 3}, 0)
	en = g.start(t, g.alice)
	for i := 0; i < 3; i++ {
		_, err := g.verify(g.alice, en)
		require.ErrorIs(t, err, verify.ErrPending)
	}
	_, err = g.enroll(t, newECDevice(t, "d"), en)
	require.NoError(t, err)
	_, err = g.verify(g.alice, en)
	require.ErrorIs(t, err, verify.ErrTooManyAttempts)
}

func TestConfig(t *testing.T) {
	st, err := memory.New(memory.Config{})
	require.NoError(t, err)
	lim := ratelimit.Unlimited(nil)
	for _, tc := range []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"no issuer", Config{BaseURL: testBaseURL}, "Issuer"},
		{"issuer with colon", Config{Issuer: "a:b", BaseURL: testBaseURL}, "Issuer"},
		{"no base url", Config{Issuer: "X"}, "BaseURL"},
		{"relative base url", Config{Issuer: "X", BaseURL: "/push"}, "BaseURL"},
		{"base url with query", Config{Issuer: "X", BaseURL: "https://id.example.com/push?x=1"}, "BaseURL"},
		{"http base url", Config{Issuer: "X", BaseURL: "http://id.example.com/push"}, "BaseURL must be https"},
		{"ticket 13 bytes (PU-01, PU-02)", Config{Issuer: "X", BaseURL: testBaseURL, TicketSize: 13}, "TicketSize 13 out of range [14, 64] bytes"},
		{"ticket 65 bytes", Config{Issuer: "X", BaseURL: testBaseURL, TicketSize: 65}, "TicketSize 65 out of range"},
		{"secret 15 bytes", Config{Issuer: "X", BaseURL: testBaseURL, SecretSize: 15}, "SecretSize 15 out of range [16, 64] bytes"},
		{"polls 101", Config{Issuer: "X", BaseURL: testBaseURL, MaxPolls: 101}, "MaxPolls 101 out of range [1, 100]"},
		{"start window", Config{Issuer: "X", BaseURL: testBaseURL, StartLimit: verify.Limit{Requests: 1, Window: time.Second}}, "StartLimit.Window 1s out of range"},
		{"service with space", Config{Issuer: "X", BaseURL: testBaseURL, Services: []string{"A B"}}, "Services[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, st, lim)
			require.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	_, err = New(Config{Issuer: "X", BaseURL: testBaseURL}, nil, lim)
	require.ErrorIs(t, err, ErrConfig)
	_, err = New(Config{Issuer: "X", BaseURL: testBaseURL}, st, nil)
	require.ErrorIs(t, err, ErrConfig)
	for _, base := range []string{"http://127.0.0.1:8080/push", "http://localhost:8080", "http://[::1]:80/x/"} {
		p, err := New(Config{Issuer: "X", BaseURL: base}, st, lim)
		require.NoError(t, err, base)
		assert.True(t, strings.HasSuffix(p.EnrollURL(), "/api/enroll") && !strings.Contains(p.EnrollURL(), "//api"), p.EnrollURL())
	}
}

func TestParsePublicKey(t *testing.T) {
	ec := newECDevice(t, "x")
	k, err := parseDeviceKey(ec.jwk)
	require.NoError(t, err)
	assert.Equal(t, "ES256", k.Alg)
	assert.NotContains(t, string(k.JWK()), "use", "the canonical JWK keeps only the key")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	x := strings.Repeat("A", 43)
	for name, jwk := range map[string]string{
		"not JSON":       `{`,
		"array":          `[]`,
		"no kty":         `{}`,
		"oct":            `{"kty":"oct","k":"AAAA"}`,
		"OKP":            `{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}`,
		"RSA 1024":       `{"kty":"RSA","n":"` + b64u(small.N.Bytes()) + `","e":"AQAB"}`,
		"RSA e=3":        `{"kty":"RSA","n":"` + b64u(newRSADevice(t, "r").key.Public().(*rsa.PublicKey).N.Bytes()) + `","e":"Aw"}`,
		"RSA alg PS256":  strings.Replace(string(newRSADevice(t, "r").jwk), "RS256", "PS256", 1),
		"EC P-384":       strings.Replace(string(ec.jwk), "P-256", "P-384", 1),
		"EC off curve":   `{"kty":"EC","crv":"P-256","x":"` + x + `","y":"` + x + `"}`,
		"EC short x":     `{"kty":"EC","crv":"P-256","x":"AAAA","y":"` + x + `"}`,
		"EC use enc":     strings.Replace(string(ec.jwk), `"use":"sig"`, `"use":"enc"`, 1),
		"EC padded b64":  strings.Replace(string(ec.jwk), `","y"`, `=","y"`, 1),
		"private member": strings.Replace(string(ec.jwk), `"use"`, `"d":"AAAA","use"`, 1),
		"RSA private p":  strings.Replace(string(newRSADevice(t, "r").jwk), `"use"`, `"p":"AAAA","use"`, 1),
	} {
		_, err := parseDeviceKey([]byte(jwk))
		assert.Error(t, err, name)
	}
	_ = big.NewInt
}

// TestEnrollConcurrent: 20 devices redeem one ticket at once; exactly one
// is enrolled.
func TestEnrollConcurrent(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	en := f.start(t, f.alice)
	devs := make([]*device, 20)
	reqs := make([]*EnrollRequest, 20)
	for i := range devs {
		devs[i] = newECDevice(t, fmt.Sprint("d", i))
		reqs[i] = devs[i].request(t, en.baseURL, en.ticket, f.clock.Now())
	}
	var wins, refused atomic.Int32
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for i := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startGate
			_, err := f.push.Enroll(context.Background(), en.ticket, reqs[i])
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, ErrInvalidTicket):
				refused.Add(1)
			}
		}()
	}
	close(startGate)
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
	assert.EqualValues(t, 19, refused.Load())
}
