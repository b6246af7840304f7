package httpapi_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

const (
	base = "https://id.example.com/me/v1"

	aliceToken = "alice-token-0123456789abcdef"
	bobToken   = "bob-token-0123456789abcdefgh"
	carolToken = "carol-token-0123456789abcdef" // no scope
	sealKey    = "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

	theCode     = "314159"
	thePassword = "correct horse battery staple"
)

var (
	alice = verify.Subject{ID: "auth0|alice"}
	bob   = verify.Subject{ID: "auth0|bob"}
)

// fakeEngine serves any type: otp types accept theCode, passkey types any
// authn_response whose id is "cred", password thePassword, the others
// nothing. Its state is sealed in the auth_session like a real engine's.
type fakeEngine struct {
	typ      verify.Type
	methodID string // Challenge.MethodID, for a fixed id (GN-05)
	confirms atomic.Int32
}

type fakeState struct {
	Code string `json:"code"`
}

func (e *fakeEngine) Type() verify.Type { return e.typ }

func (e *fakeEngine) Start(_ context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	ch := &verify.Challenge{State: fakeState{Code: theCode}, MethodID: e.methodID}
	switch e.typ {
	case verify.TypeTOTP:
		ch.BarcodeURI, ch.ManualInputCode = "otpauth://totp/verifykit:alice?secret=JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"
	case verify.TypePushNotification:
		ch.BarcodeURI = "verifykit-push://enroll?ticket=abc"
	case verify.TypeRecoveryCode:
		ch.RecoveryCode = "ABCDEFGHJKMNPQRSTVWXYZ01"
	case verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
		ch.AuthnParamsPublicKey = jsontext.Value(`{"challenge":"dGVzdA","rp":{"id":"example.org","name":"Example"},"user":{"id":"dXNlcg","name":"alice","displayName":"Alice"},"pubKeyCredParams":[{"type":"public-key","alg":-7}]}`)
		if e.typ == verify.TypePasskey {
			ch.PendingID = "passkey|new"
		}
	case verify.TypePassword:
		ch.Policy = jsontext.Value(`{"complexity":{"min_length":15,"character_types":[],"character_type_rule":"all","identical_characters":"allow","sequential_characters":"allow","max_length_exceeded":"error"},"profile_data":{"active":true,"blocked_fields":["name","email"]},"history":{"active":true,"size":5},"dictionary":{"active":true,"default":"en_10k"}}`)
		ch.PendingID = "password|new"
		ch.MethodID = "password|" + req.Subject.ID
	}
	return ch, nil
}

// Challenge and Authenticate: a fakeEngine enrolls only; fakeSignIn adds
// the sign-in half.
func (e *fakeEngine) Challenge(context.Context, *verify.EngineStart) (*verify.Challenge, error) {
	return nil, verify.NewError(verify.ErrInvalidRequest, "sign_in_unsupported", "Sign-in is not supported")
}

func (e *fakeEngine) Authenticate(context.Context, *verify.EngineConfirm) (*verify.Confirmation, error) {
	return nil, verify.NewError(verify.ErrInvalidRequest, "sign_in_unsupported", "Sign-in is not supported")
}

func (e *fakeEngine) Confirm(_ context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.confirms.Add(1)
	var st fakeState
	if err := json.Unmarshal(req.State, &st); err != nil {
		return nil, err
	}
	bad := verify.NewError(verify.ErrInvalidProof, "wrong_proof", "The verification failed")
	c := &verify.Confirmation{Secret: []byte("engine secret")}
	switch e.typ.Proof() {
	case "otp_code":
		if subtle.ConstantTimeCompare([]byte(*req.Request.OTPCode), []byte(st.Code)) != 1 {
			return nil, bad
		}
		if e.typ == verify.TypePhone {
			c.Method.PhoneNumber, c.Method.PreferredAuthenticationMethod = "+15551234567", "sms"
		}
		if e.typ == verify.TypeEmail {
			c.Method.Email = "alice@example.com"
		}
	case "authn_response":
		var r struct{ ID string }
		if json.Unmarshal(req.Request.AuthnResponse, &r) != nil || r.ID != "cred" {
			return nil, bad
		}
		c.Method.WebAuthn = &verify.WebAuthnCredential{CredentialID: []byte("cred"), PublicKey: []byte("pk"), UserHandle: []byte("uh")}
		c.CredentialID = []byte("cred-" + req.MethodID)
		c.Method.IdentityUserID = req.Subject.ID
	case "new_password":
		if *req.Request.NewPassword != thePassword {
			return nil, verify.NewError(verify.ErrInvalidProof, "password_policy", "The password does not satisfy the policy")
		}
		c.Method.IdentityUserID = req.Subject.ID
	}
	return c, nil
}

// fixture is a Handler over a real Service (real sealer, memory store)
// with fake engines of every type.
type fixture struct {
	h       *httpapi.Handler
	svc     *verify.Service
	store   *faultStore
	clock   *storetest.Clock
	logs    *syncBuffer
	engines map[verify.Type]*fakeEngine
}

type options struct {
	cfg      func(*httpapi.Config)
	svc      func(*verify.Config)
	verifier verify.Verifier // replaces the service in the handler
}

func newFixture(t testing.TB, o options) *fixture {
	t.Helper()
	f := &fixture{clock: storetest.NewClock(storetest.Epoch), logs: &syncBuffer{}, engines: map[verify.Type]*fakeEngine{}}
	mem, err := memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	f.store = &faultStore{Store: mem}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: sealKey}}, Now: f.clock.Now, Skew: time.Millisecond})
	require.NoError(t, err)
	var engines []verify.Engine
	for _, typ := range verify.Types() {
		e := &fakeEngine{typ: typ}
		f.engines[typ] = e
		engines = append(engines, e)
	}
	vc := verify.Config{Engines: engines, Sealer: sealer, Store: f.store, Now: f.clock.Now}
	if o.svc != nil {
		o.svc(&vc)
	}
	f.svc, err = verify.NewService(vc)
	require.NoError(t, err)
	auth, err := httpapi.NewStaticBearer(
		httpapi.StaticToken{Token: aliceToken, Principal: httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}},
		httpapi.StaticToken{Token: bobToken, Principal: httpapi.Principal{Subject: bob, Scopes: []string{"read:me:factors", httpapi.ScopeCreateMethods}}},
		httpapi.StaticToken{Token: carolToken, Principal: httpapi.Principal{Subject: verify.Subject{ID: "auth0|carol"}, Scopes: []string{httpapi.ScopeReadMethods}}},
	)
	require.NoError(t, err)
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
	require.NoError(t, err)
	var verifier verify.Verifier = f.svc
	if o.verifier != nil {
		verifier = o.verifier
	}
	cfg := httpapi.Config{
		Verifier: verifier, Authenticator: auth, Limiter: limiter, BaseURL: base, Now: f.clock.Now,
		RateLimit: verify.Limit{Requests: 1000, Window: time.Minute},
		Logger:    slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	f.h, err = httpapi.New(cfg)
	require.NoError(t, err)
	return f
}

// req describes one request.
type req struct {
	method, path, token, ctype string
	body                       string
	header                     http.Header
	noSpec                     bool // a route that is deliberately not served: no spec check
}

// do serves r and validates the response against the spec when the path
// is one of the operations.
func (f *fixture) do(t testing.TB, r req) *httptest.ResponseRecorder {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.ctype == "" {
		r.ctype = "application/json"
	}
	hr := httptest.NewRequest(r.method, "https://id.example.com"+r.path, strings.NewReader(r.body))
	hr.RemoteAddr = "192.0.2.7:4711"
	if r.ctype != "-" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, vs := range r.header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, hr)
	if op := operationOf(r.method, r.path); op != "" && !r.noSpec {
		spectest.ValidateRecorder(t, op, rec)
	}
	return rec
}

// operationOf names the operation a request addresses, "" for none.
func operationOf(method, path string) string {
	rest, ok := strings.CutPrefix(path, "/me/v1/")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "?")
	segs := strings.Split(rest, "/")
	switch {
	case len(segs) == 1 && segs[0] == "factors" && method == http.MethodGet:
		return httpapi.OpFactors
	case segs[0] != "authentication-methods":
		return ""
	case len(segs) == 1:
		return map[string]string{http.MethodPost: httpapi.OpCreate, http.MethodGet: httpapi.OpList}[method]
	case segs[1] == "":
		return ""
	case len(segs) == 2:
		return map[string]string{http.MethodGet: httpapi.OpGet, http.MethodPatch: httpapi.OpUpdate, http.MethodDelete: httpapi.OpDelete}[method]
	case len(segs) == 3 && segs[2] == "verify" && method == http.MethodPost:
		return httpapi.OpVerify
	}
	return ""
}

func (f *fixture) start(t testing.TB, token, body string) enrollment {
	t.Helper()
	rec := f.do(t, req{path: "/me/v1/authentication-methods", token: token, body: body})
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var e enrollment
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
	return e
}

func verifyPath(id string) string {
	return "/me/v1/authentication-methods/" + escape(id) + "/verify"
}

func escape(id string) string { return strings.ReplaceAll(id, "|", "%7C") }

type enrollment struct {
	ID                   string         `json:"id"`
	AuthSession          string         `json:"auth_session"`
	BarcodeURI           string         `json:"barcode_uri"`
	ManualInputCode      string         `json:"manual_input_code"`
	RecoveryCode         string         `json:"recovery_code"`
	AuthnParamsPublicKey jsontext.Value `json:"authn_params_public_key"`
	Policy               jsontext.Value `json:"policy"`
}

type problem struct {
	Type             string `json:"type"`
	Status           int    `json:"status"`
	Title            string `json:"title"`
	Detail           string `json:"detail"`
	ValidationErrors []struct {
		Field   string `json:"field"`
		Pointer string `json:"pointer"`
		Detail  string `json:"detail"`
	} `json:"validation_errors"`
}

func problemOf(t testing.TB, rec *httptest.ResponseRecorder) problem {
	t.Helper()
	var p problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	return p
}

// faultStore fails the operations it is told to.
type faultStore struct {
	store.Store
	failCommit atomic.Bool
	failSignIn atomic.Bool
}

func (s *faultStore) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	if s.failSignIn.Load() {
		return store.Method{}, io.ErrUnexpectedEOF
	}
	return s.Store.SignIn(ctx, in)
}

func (s *faultStore) Commit(ctx context.Context, c store.Commit) error {
	if s.failCommit.Load() {
		return io.ErrUnexpectedEOF
	}
	return s.Store.Commit(ctx, c)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer = faulttest.Buffer

// requirePeer skips a test whose external peer is missing, except in CI
// (CI=true), where the peer must be there.
func requirePeer(t testing.TB, ok bool, what string) {
	t.Helper()
	if !ok {
		peer.Missing(t, "%s not available", what)
	}
}

func okMethod(id string) (*verify.Method, error) {
	return &verify.Method{ID: id, Type: verify.TypeTOTP, Confirmed: true, Usage: []verify.Usage{verify.UsageSecondary}, CreatedAt: storetest.Epoch}, nil
}

func decodeJSON(r *http.Response, v any) error {
	defer r.Body.Close()
	return json.NewDecoder(r.Body).Decode(v)
}
