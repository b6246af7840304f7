package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// svcFixture is a verify.Service with one WebAuthn engine over a memory
// store, all on a clock the test may move.
type svcFixture struct {
	t     testing.TB
	now   time.Time
	mu    sync.Mutex
	store *memory.Store
	e     *Engine
	svc   *verify.Service
}

func (f *svcFixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

func (f *svcFixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func newSvcFixture(t testing.TB, typ verify.Type, mutate func(*Config)) *svcFixture {
	t.Helper()
	f := &svcFixture{t: t, now: testNow}
	var err error
	f.store, err = memory.New(memory.Config{Now: f.clock})
	require.NoError(t, err)
	cfg := baseConfig()
	cfg.Now = f.clock
	if mutate != nil {
		mutate(&cfg)
	}
	f.e, err = New(typ, f.store, cfg)
	require.NoError(t, err)
	f.svc = testService(t, f.store, f.clock, f.e)
	return f
}

// begin starts an enrollment for sub and returns it with its options.
func (f *svcFixture) begin(sub verify.Subject) (*verify.Enrollment, creationOptions) {
	f.t.Helper()
	enr, err := f.svc.Start(context.Background(), sub, verify.StartRequest{Type: f.e.Type()}, verify.Client{UserAgent: chromeMacUA})
	require.NoError(f.t, err)
	var opts creationOptions
	require.NoError(f.t, json.Unmarshal(enr.AuthnParamsPublicKey, &opts))
	return enr, opts
}

func (f *svcFixture) finish(sub verify.Subject, enr *verify.Enrollment, body jsontext.Value) (*verify.Method, error) {
	return f.svc.Verify(context.Background(), sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession, AuthnResponse: body}, verify.Client{UserAgent: chromeMacUA})
}

func (f *svcFixture) count(sub verify.Subject) int {
	f.t.Helper()
	ms, err := f.store.List(context.Background(), sub.ID)
	require.NoError(f.t, err)
	return len(ms)
}

func created(opts creationOptions) clientData {
	return clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin, CrossOrigin: new(bool)}
}

// TestServiceCeremony runs enrollments through verify.Service with the real
// iron sealer and the memory store.
//
// Checklist: WA-09.
func TestServiceCeremony(t *testing.T) {
	t.Run("passkey", func(t *testing.T) {
		f := newSvcFixture(t, verify.TypePasskey, nil)
		enr, opts := f.begin(alice)
		assert.Equal(t, "passkey|new", enr.ID)
		a := newTestAuthenticator(t)
		m, err := f.finish(alice, enr, a.register(t, registration{RPID: testRPID, Format: "packed-self", Flags: 0x5d, ClientDat: created(opts)}, "internal", "hybrid"))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(m.ID, "passkey|dev_"), m.ID)
		assert.Equal(t, []verify.Usage{verify.UsagePrimary}, m.Usage)
		assert.Equal(t, alice.ID, m.IdentityUserID)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		require.NoError(t, spectest.CheckSchema("AuthenticationMethodPasskey", b), string(b))
		var wire map[string]any
		require.NoError(t, json.Unmarshal(b, &wire))
		for _, k := range []string{"id", "type", "key_id", "public_key", "credential_device_type", "credential_backed_up", "transports",
			"user_agent", "user_handle", "aaguid", "relying_party_id", "identity_user_id", "usage", "created_at"} {
			assert.Contains(t, wire, k)
		}
		assert.Equal(t, "multi_device", wire["credential_device_type"])
		assert.Equal(t, "Chrome 131.0.0 / Mac OS X 10.15.7", wire["user_agent"])
		assert.Equal(t, b64.EncodeToString(a.credID), wire["key_id"])
		assert.Equal(t, 1, f.count(alice))
	})
	for _, typ := range []verify.Type{verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming} {
		t.Run(string(typ), func(t *testing.T) {
			f := newSvcFixture(t, typ, nil)
			enr, opts := f.begin(alice)
			assert.Equal(t, string(typ)+"|new", enr.ID)
			m, err := f.finish(alice, enr, newTestAuthenticator(t).register(t, registration{RPID: testRPID, Flags: 0x41, ClientDat: created(opts)}, "usb"))
			require.NoError(t, err)
			assert.Equal(t, []verify.Usage{verify.UsageSecondary}, m.Usage)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			schema := map[verify.Type]string{verify.TypeWebAuthnPlatform: "AuthenticationMethodWebAuthnPlatform", verify.TypeWebAuthnRoaming: "AuthenticationMethodWebAuthnRoaming"}[typ]
			require.NoError(t, spectest.CheckSchema(schema, b), string(b))
		})
	}
}

// serviceReplayAndRetry: SECURITY-CHECKLIST WA-09 (a), (c) and (d).
func serviceReplayAndRetry(t *testing.T) {
	f := newSvcFixture(t, verify.TypeWebAuthnRoaming, nil)
	a := newTestAuthenticator(t)
	enr, opts := f.begin(alice)
	good := a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: created(opts)})
	// (d) Pinned policy: a failed attempt does not consume the
	// auth_session; up to verify.Config.MaxAttempts (5) attempts are allowed,
	// so the retry with a valid response succeeds.
	_, err := f.finish(alice, enr, flipSignatureBit(t, good))
	refused(t, err, "webauthn_attestation")
	_, err = f.finish(alice, enr, good)
	require.NoError(t, err)
	// (c) The replay of the successful body is refused and stores nothing.
	_, err = f.finish(alice, enr, good)
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)
	assert.Equal(t, 1, f.count(alice))
	// (a) 301 s after the start (TTL 300 s) the auth_session has expired.
	enr, opts = f.begin(alice)
	f.advance(301 * time.Second)
	_, err = f.finish(alice, enr, newTestAuthenticator(t).register(t, registration{RPID: testRPID, ClientDat: created(opts)}))
	require.ErrorIs(t, err, verify.ErrExpired)
	assert.Equal(t, 1, f.count(alice))
}

// serviceDuplicateRace: SECURITY-CHECKLIST WA-25 (c). Two users enroll the
// same credential id concurrently; the store's atomic uniqueness lets
// exactly one through.
func serviceDuplicateRace(t *testing.T) {
	for range 20 {
		f := newSvcFixture(t, verify.TypeWebAuthnRoaming, nil)
		a, b := newTestAuthenticator(t), newTestAuthenticator(t)
		b.credID = a.credID
		enrA, optsA := f.begin(alice)
		enrB, optsB := f.begin(bob)
		bodyA := a.register(t, registration{RPID: testRPID, ClientDat: created(optsA)})
		bodyB := b.register(t, registration{RPID: testRPID, ClientDat: created(optsB)})
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 2)
		for i, run := range []func() error{
			func() error { _, err := f.finish(alice, enrA, bodyA); return err },
			func() error { _, err := f.finish(bob, enrB, bodyB); return err },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = run()
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Equal(t, "duplicate_credential", verify.ReasonOf(err))
		}
		require.Equal(t, 1, wins)
		assert.Equal(t, 1, f.count(alice)+f.count(bob))
	}
}

// serviceCrossUser: SECURITY-CHECKLIST WA-28. Alice's auth_session and
// response, sent by Bob: refused, nothing stored for either.
func serviceCrossUser(t *testing.T) {
	f := newSvcFixture(t, verify.TypePasskey, nil)
	enr, opts := f.begin(alice)
	body := newTestAuthenticator(t).register(t, registration{RPID: testRPID, ClientDat: created(opts)})
	_, err := f.finish(bob, enr, body)
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	assert.Zero(t, f.count(alice))
	assert.Zero(t, f.count(bob))
}

// TestHTTPNegative sends each refused registration of the issue through
// verify/httpapi: every one is answered 400 with the spec's ErrorResponse,
// and nothing is stored.
func TestHTTPNegative(t *testing.T) {
	tests := []struct {
		name    string
		uv      string
		prepare func(*svcFixture, *testAuthenticator)
		body    func(t *testing.T, a *testAuthenticator, opts creationOptions) jsontext.Value
		typ     string // problem type
	}{
		{name: "wrong challenge", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			cd := created(o)
			cd.Challenge = b64.EncodeToString(bytes.Repeat([]byte{1}, 32))
			return a.register(t, registration{RPID: testRPID, ClientDat: cd})
		}},
		{name: "wrong origin", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			cd := created(o)
			cd.Origin = "https://evil.example"
			return a.register(t, registration{RPID: testRPID, ClientDat: cd})
		}},
		{name: "wrong rpIdHash", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			return a.register(t, registration{RPID: "evil.example", Format: "packed-self", ClientDat: created(o)})
		}},
		{name: "missing UP", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			return a.register(t, registration{RPID: testRPID, Format: "packed-self", Flags: 0x44, ClientDat: created(o)})
		}},
		{name: "missing UV when required", uv: UVRequired, typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			return a.register(t, registration{RPID: testRPID, Format: "packed-self", Flags: 0x41, ClientDat: created(o)})
		}},
		{name: "unoffered alg", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			// The offer is EdDSA, ES256, RS256; the key is ES384.
			return a.register(t, registration{RPID: testRPID, COSEKey: p384Key(t), ClientDat: created(o)})
		}},
		{name: "oversized credential id", typ: "invalid_request", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			return a.register(t, registration{RPID: testRPID, CredID: bytes.Repeat([]byte{7}, 1024), ClientDat: created(o)})
		}},
		{name: "duplicate credential", typ: "invalid_proof",
			prepare: func(f *svcFixture, a *testAuthenticator) {
				enr, opts := f.begin(bob)
				_, err := f.finish(bob, enr, a.register(f.t, registration{RPID: testRPID, ClientDat: created(opts)}))
				require.NoError(f.t, err)
			},
			body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
				return a.register(t, registration{RPID: testRPID, ClientDat: created(o)})
			}},
		{name: "malformed CBOR", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			obj, cdj := a.attestationObject(t, registration{RPID: testRPID, ClientDat: created(o)})
			return responseJSON(t, a.credID, obj[:len(obj)-5], cdj)
		}},
		{name: "trailing bytes", typ: "invalid_proof", body: func(t *testing.T, a *testAuthenticator, o creationOptions) jsontext.Value {
			obj, cdj := a.attestationObject(t, registration{RPID: testRPID, ClientDat: created(o)})
			return responseJSON(t, a.credID, append(obj, 0x00), cdj)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSvcFixture(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.UserVerification = tc.uv })
			a := newTestAuthenticator(t)
			if tc.prepare != nil {
				tc.prepare(f, a)
			}
			srv := httpServer(t, f)
			status, body := post(t, srv, "/me/v1/authentication-methods", `{"type":"webauthn-roaming"}`)
			require.Equal(t, http.StatusOK+2, status, body)
			var enr struct {
				ID          string          `json:"id"`
				AuthSession string          `json:"auth_session"`
				Options     creationOptions `json:"authn_params_public_key"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &enr))
			req := mustJSON(t, map[string]any{"auth_session": enr.AuthSession, "authn_response": jsontext.Value(tc.body(t, a, enr.Options))})
			status, body = post(t, srv, "/me/v1/authentication-methods/"+strings.ReplaceAll(enr.ID, "|", "%7C")+"/verify", string(req))
			require.Equal(t, http.StatusBadRequest, status, body)
			var problem map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &problem))
			assert.Equal(t, tc.typ, problem["type"])
			require.NoError(t, spectest.CheckSchema("ErrorResponse", []byte(body)))
			assert.Zero(t, f.count(alice), "nothing stored")
		})
	}
}

func p384Key(t testing.TB) []byte {
	t.Helper()
	b, err := ctap2.Marshal(map[int]any{1: 2, 3: -35, -1: 2,
		-2: unhex(t, "4866bd8b01da789e9eb806e5eab05ae5a638542296ab057a2f1bbce9b58f8a08b9171390b58a37ac7fffc2c5f45857da"),
		-3: unhex(t, "2a0b024c7f4b72072a1f96bd30a7261aae9571dd39870eb29e55c0941c6b08e89629a1ea1216aa64ce57c2807bf3901a")})
	require.NoError(t, err)
	return b
}

const testToken = "verifykit-passkey-test-token-0123456789"

func httpServer(t testing.TB, f *svcFixture) *httptest.Server {
	t.Helper()
	auth, err := httpapi.NewStaticBearer(httpapi.StaticToken{Token: testToken, Principal: httpapi.Principal{
		Subject: alice, Scopes: []string{"create:me:authentication_methods"}}})
	require.NoError(t, err)
	h, err := httpapi.New(httpapi.Config{Verifier: f.svc, Authenticator: auth, Limiter: ratelimit.Unlimited(f.clock),
		BaseURL: "https://example.org/me/v1", Now: f.clock, Logger: discardLogger()})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, srv *httptest.Server, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
