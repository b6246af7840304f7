package tokenauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// fakeVerifier records the subjects it serves.
type fakeVerifier struct {
	mu       sync.Mutex
	subjects []verify.Subject
}

func (v *fakeVerifier) served(sub verify.Subject) {
	v.mu.Lock()
	v.subjects = append(v.subjects, sub)
	v.mu.Unlock()
}

func (v *fakeVerifier) Start(_ context.Context, sub verify.Subject, req verify.StartRequest, _ verify.Client) (*verify.Enrollment, error) {
	v.served(sub)
	return &verify.Enrollment{
		ID: "totp|dev_1", AuthSession: "Fe26.2**session", Type: verify.TypeTOTP,
		BarcodeURI: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", ManualInputCode: "JBSWY3DPEHPK3PXP",
		ExpiresAt: time.Now().Add(5 * time.Minute),
	}, nil
}

func (v *fakeVerifier) Verify(_ context.Context, sub verify.Subject, id string, _ verify.VerifyRequest, _ verify.Client) (*verify.Method, error) {
	v.served(sub)
	return &verify.Method{ID: id, Type: verify.TypeTOTP, Confirmed: true, Usage: []verify.Usage{verify.UsageSecondary}, CreatedAt: time.Now()}, nil
}

// server is an httpapi.Handler authenticating with a fixture.
type server struct {
	f        *fixture
	h        *httpapi.Handler
	verifier *fakeVerifier
	logs     *bytes.Buffer
}

func newServer(t *testing.T, f *fixture) *server {
	s := &server{f: f, verifier: &fakeVerifier{}, logs: &bytes.Buffer{}}
	var err error
	s.h, err = httpapi.New(httpapi.Config{
		Verifier: s.verifier, Authenticator: f.auth, Limiter: ratelimit.Unlimited(f.clock.Now),
		BaseURL: testPublic + "/me/v1", Now: f.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	return s
}

// route is one of the handler's routes: its path, body and success status.
type route struct {
	name, path, body string
	ok               int
}

var routes = []route{
	{"start", testPath, `{"type":"totp"}`, http.StatusAccepted},
	{"verify", testPath + "/totp%7Cdev_1/verify", `{"auth_session":"Fe26.2**session","otp_code":"123456"}`, http.StatusCreated},
}

// do serves a POST of rt with the Authorization header auth (none when
// "") and, when proof is set, a DPoP proof made by proof for the route's
// URL.
func (s *server) do(rt route, auth string, proof func(uri string) string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, rt.path, strings.NewReader(rt.body))
	r.Header.Set("Content-Type", "application/json")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if proof != nil {
		r.Header.Set("DPoP", proof(testPublic+rt.path))
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func problemType(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), w.Body.String())
	assert.Equal(t, w.Code, p.Status)
	return p.Type
}

// TestHandler runs the Authenticator inside httpapi.Handler: every status
// a credential can produce, on both routes, with the challenges.
func TestHandler(t *testing.T) {
	algs := `algs="ES256 ES384 EdDSA PS256 RS256"`
	type tc struct {
		name     string
		cfg      tokenauth.Config
		auth     func(f *fixture) (string, func(uri string) string)
		status   int    // 0: the route's success
		problem  string // problem type
		bearer   string // Bearer challenge, exactly
		dpop     string // DPoP challenge, exactly (after the algs)
		nonceErr error
	}
	bearerTok := func(edit map[string]any) func(f *fixture) (string, func(string) string) {
		return func(f *fixture) (string, func(string) string) { return "Bearer " + f.token(nil, edit), nil }
	}
	dpopTok := func(edit, proofEdit map[string]any) func(f *fixture) (string, func(string) string) {
		return func(f *fixture) (string, func(string) string) {
			at := f.boundToken(edit)
			return "DPoP " + at, func(uri string) string { return f.proof(nil, http.MethodPost, uri, at, proofEdit, nil) }
		}
	}
	readOnly := map[string]any{"scope": httpapi.ScopeReadMethods + " " + httpapi.ScopeReadFactors}
	insufficient := `error="insufficient_scope", error_description="The access token lacks a required scope", scope="create:me:authentication_methods"`
	tests := []tc{
		{name: "bearer", auth: bearerTok(nil)},
		{name: "DPoP", auth: dpopTok(nil, nil)},
		{name: "no credentials", auth: func(*fixture) (string, func(string) string) { return "", nil },
			status: 401, problem: "unauthorized", bearer: `Bearer realm="verifykit"`, dpop: ""},
		{name: "no credentials, with a DPoP header", auth: func(*fixture) (string, func(string) string) {
			return "", func(string) string { return "garbage" }
		}, status: 401, problem: "unauthorized", bearer: `Bearer realm="verifykit"`, dpop: ""},
		{name: "malformed Authorization", auth: func(*fixture) (string, func(string) string) { return "Basic dXNlcg==", nil },
			status: 400, problem: "unauthorized",
			bearer: `Bearer realm="verifykit", error="invalid_request", error_description="The Authorization header must be a single Bearer or DPoP credential"`,
			dpop:   `, error="invalid_request", error_description="The Authorization header must be a single Bearer or DPoP credential"`},
		{name: "expired bearer", auth: bearerTok(map[string]any{"exp": storetest.Epoch.Add(-time.Hour).Unix()}),
			status: 401, problem: "unauthorized",
			bearer: `Bearer realm="verifykit", error="invalid_token", error_description="The access token has expired"`},
		{name: "wrong audience", auth: bearerTok(map[string]any{"aud": "https://other.example.com/"}),
			status: 401, problem: "unauthorized",
			bearer: `Bearer realm="verifykit", error="invalid_token", error_description="The access token is invalid"`},
		{name: "DPoP-bound token as bearer", auth: func(f *fixture) (string, func(string) string) { return "Bearer " + f.boundToken(nil), nil },
			status: 401, problem: "unauthorized",
			bearer: `Bearer realm="verifykit", error="invalid_token", error_description="The access token is bound to a DPoP key and must be presented with the DPoP scheme"`},
		{name: "DPoP without proof", auth: func(f *fixture) (string, func(string) string) { return "DPoP " + f.boundToken(nil), nil },
			status: 401, problem: "unauthorized", bearer: `Bearer realm="verifykit"`,
			dpop: `, error="invalid_dpop_proof", error_description="A single DPoP proof header is required"`},
		{name: "DPoP proof for another URL", auth: func(f *fixture) (string, func(string) string) {
			at := f.boundToken(nil)
			return "DPoP " + at, func(string) string { return f.proof(nil, http.MethodPost, testURL+"/other/verify", at, nil, nil) }
		}, status: 401, problem: "unauthorized", bearer: `Bearer realm="verifykit"`,
			dpop: `, error="invalid_dpop_proof", error_description="The DPoP proof is invalid"`},
		{name: "DPoP proof by another key", auth: func(f *fixture) (string, func(string) string) {
			at := f.boundToken(nil)
			return "DPoP " + at, func(uri string) string { return f.proof(keyMaterial().client2, http.MethodPost, uri, at, nil, nil) }
		}, status: 401, problem: "unauthorized", bearer: `Bearer realm="verifykit"`,
			dpop: `, error="invalid_token", error_description="The DPoP proof key does not match the access token's binding"`},
		{name: "bearer without the scope", auth: bearerTok(readOnly), status: 403, problem: "insufficient_scope",
			bearer: `Bearer realm="verifykit", ` + insufficient, dpop: ", " + insufficient},
		{name: "bearer without scope claim", auth: bearerTok(map[string]any{"scope": nil}), status: 403, problem: "insufficient_scope",
			bearer: `Bearer realm="verifykit", ` + insufficient, dpop: ", " + insufficient},
		{name: "DPoP without the scope", auth: dpopTok(readOnly, nil), status: 403, problem: "insufficient_scope",
			bearer: `Bearer realm="verifykit", ` + insufficient, dpop: ", " + insufficient},
		{name: "stale authentication", cfg: tokenauth.Config{MaxAuthAge: 20 * time.Minute},
			auth:   bearerTok(map[string]any{"auth_time": storetest.Epoch.Add(-time.Hour).Unix()}),
			status: 401, problem: "unauthorized",
			bearer: `Bearer realm="verifykit", error="insufficient_user_authentication", error_description="A more recent authentication is required", max_age="1200"`},
		{name: "recent authentication", cfg: tokenauth.Config{MaxAuthAge: 20 * time.Minute},
			auth: bearerTok(map[string]any{"auth_time": storetest.Epoch.Add(-time.Minute).Unix()})},
		{name: "nonce store down", nonceErr: errors.New("database is down"), auth: dpopTok(nil, nil), status: 500, problem: "internal_error"},
	}
	for _, tc := range tests {
		for _, rt := range routes {
			t.Run(tc.name+"/"+rt.name, func(t *testing.T) {
				f := newFixture(t, tc.cfg)
				f.nonces.err = tc.nonceErr
				s := newServer(t, f)
				auth, proof := tc.auth(f)
				w := s.do(rt, auth, proof)
				status := tc.status
				if status == 0 {
					status = rt.ok
				}
				require.Equal(t, status, w.Code, w.Body.String())
				if tc.status == 0 {
					require.Len(t, s.verifier.subjects, 1)
					assert.Equal(t, testSubject, s.verifier.subjects[0].ID)
					return
				}
				assert.Empty(t, s.verifier.subjects, "the verifier is not called")
				assert.Equal(t, tc.problem, problemType(t, w))
				ch := w.Header().Values("WWW-Authenticate")
				if status == 500 {
					assert.Empty(t, ch)
					return
				}
				assert.Equal(t, []string{tc.bearer, `DPoP realm="verifykit", ` + algs + tc.dpop}, ch)
			})
		}
	}
}

// TestHandlerJWKSOutage: a key set that cannot be loaded fails requests
// with 500, never 401.
func TestHandlerJWKSOutage(t *testing.T) {
	f, srv := urlFixture(t, tokenauth.Config{}, keyMaterial().es256)
	srv.set(http.StatusBadGateway, nil)
	s := newServer(t, f)
	w := s.do(routes[0], "Bearer "+f.token(nil, nil), nil)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, "internal_error", problemType(t, w))
	assert.Contains(t, s.logs.String(), "status 502", "the cause is logged")
}
