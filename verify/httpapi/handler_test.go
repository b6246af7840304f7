package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

const createPath = "/me/v1/authentication-methods"

func TestCreateEveryType(t *testing.T) {
	// The connections a request may name are the configured ones (AB-02);
	// identity_user_id other than the subject's own is AB-01's.
	f := newFixture(t, options{svc: func(c *verify.Config) { c.Connections = []string{"Username-Password-Authentication", "db-1"} }})
	tests := []struct {
		body   string
		idPfx  string
		fields []string // members of the body besides id and auth_session
	}{
		{`{"type":"totp"}`, "totp|dev_", []string{"barcode_uri", "manual_input_code"}},
		{`{"type":"recovery-code"}`, "recovery-code|dev_", []string{"recovery_code"}},
		{`{"type":"push-notification"}`, "push-notification|dev_", []string{"barcode_uri"}},
		{`{"type":"email","email":"alice@example.com"}`, "email|dev_", nil},
		{`{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"voice"}`, "phone|dev_", nil},
		{`{"type":"phone","phone_number":"+15551234567"}`, "phone|dev_", nil},
		{`{"type":"passkey"}`, "passkey|new", []string{"authn_params_public_key"}},
		{`{"type":"passkey","connection":"Username-Password-Authentication","identity_user_id":"auth0|alice","use_exclude_credentials":false}`, "passkey|new", []string{"authn_params_public_key"}},
		{`{"type":"webauthn-platform"}`, "webauthn-platform|dev_", []string{"authn_params_public_key"}},
		{`{"type":"webauthn-roaming","use_exclude_credentials":true}`, "webauthn-roaming|dev_", []string{"authn_params_public_key"}},
		{`{"type":"password"}`, "password|new", []string{"policy"}},
		{`{"type":"password","connection":"db-1"}`, "password|new", []string{"policy"}},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			rec := f.do(t, req{path: createPath, token: aliceToken, body: tc.body})
			require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
			var body map[string]jsontext.Value
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			var id string
			require.NoError(t, json.Unmarshal(body["id"], &id))
			assert.True(t, strings.HasPrefix(id, tc.idPfx), id)
			assert.Equal(t, base+"/authentication-methods/"+escape(id), rec.Header().Get("Location"))
			assert.Contains(t, string(body["auth_session"]), "Fe26.2*")
			want := append([]string{"id", "auth_session"}, tc.fields...)
			assert.Len(t, body, len(want))
			for _, k := range want {
				assert.Contains(t, body, k)
			}
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		})
	}
}

func TestConfirmEveryType(t *testing.T) {
	f := newFixture(t, options{})
	authn := `{"id":"cred","rawId":"cred","type":"public-key","authenticatorAttachment":"platform","clientExtensionResults":{"credProps":{"rk":true}},"response":{"attestationObject":"o2NmbXRkbm9uZQ","clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0","transports":["internal","hybrid"]}}`
	tests := []struct {
		start, proof string
		status       int
	}{
		{`{"type":"totp"}`, `"otp_code":"` + theCode + `"`, 201},
		{`{"type":"email","email":"alice@example.com"}`, `"otp_code":"` + theCode + `"`, 201},
		{`{"type":"phone","phone_number":"+15551234567"}`, `"otp_code":"` + theCode + `"`, 201},
		{`{"type":"recovery-code"}`, ``, 201},
		{`{"type":"push-notification"}`, ``, 201},
		{`{"type":"passkey"}`, `"authn_response":` + authn, 201},
		{`{"type":"webauthn-platform"}`, `"authn_response":` + authn, 201},
		{`{"type":"webauthn-roaming"}`, `"authn_response":` + authn, 201},
		{`{"type":"password"}`, `"new_password":"` + thePassword + `"`, 201},
	}
	for _, tc := range tests {
		t.Run(tc.start, func(t *testing.T) {
			e := f.start(t, aliceToken, tc.start)
			body := `{"auth_session":"` + e.AuthSession + `"`
			if tc.proof != "" {
				body += "," + tc.proof
			}
			body += "}"
			rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: body})
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			var m map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
			id := m["id"].(string)
			assert.Equal(t, base+"/authentication-methods/"+escape(id), rec.Header().Get("Location"))
			stored, err := f.store.Get(context.Background(), alice.ID, id)
			require.NoError(t, err)
			assert.Equal(t, m["type"], stored.Type)
		})
	}
}

// TestPathID pins GN-03: the id is percent-decoded exactly once.
func TestPathID(t *testing.T) {
	var got atomic.Value
	fake := &fakeVerifier{verify: func(id string) (*verify.Method, error) {
		got.Store(id)
		return &verify.Method{ID: id, Type: verify.TypeTOTP, Confirmed: true, Usage: []verify.Usage{verify.UsageSecondary}}, nil
	}}
	f := newFixture(t, options{verifier: fake})
	for _, tc := range []struct{ path, id string }{
		{"phone%7Cdev_1", "phone|dev_1"},
		{"phone|dev_1", "phone|dev_1"},
		{"phone%257Cdev_1", "phone%7Cdev_1"},
		{"a%2Fb", "a/b"},
		{"%E2%9C%93", "✓"},
		{"a+b", "a+b"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := f.do(t, req{path: "/me/v1/authentication-methods/" + tc.path + "/verify", token: aliceToken, body: `{"auth_session":"x","otp_code":"1"}`})
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			assert.Equal(t, tc.id, got.Load())
			// The Location escapes the id again, exactly once.
			assert.Equal(t, base+"/authentication-methods/"+pathEscape(tc.id), rec.Header().Get("Location"))
		})
	}
}

func pathEscape(s string) string {
	return strings.NewReplacer("|", "%7C", "%", "%25", "/", "%2F", "✓", "%E2%9C%93", "+", "+").Replace(s)
}

func TestRouting(t *testing.T) {
	f := newFixture(t, options{})
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", createPath, 405, "POST, GET"},
		{"POST", "/me/v1/authentication-methods/x", 405, "GET, PATCH, DELETE"},
		{"HEAD", "/me/v1/authentication-methods/x", 405, "GET, PATCH, DELETE"},
		{"POST", "/me/v1/factors", 405, "GET"},
		{"GET", "/me/v1/factors/x", 404, ""},
		{"DELETE", "/me/v1/authentication-methods/x/verify", 405, "POST"},
		{"POST", "/me/v1/authentication-methods/", 404, ""},
		{"POST", "/me/v1/authentication-methods//verify", 404, ""},
		{"POST", "/me/v1/authentication-methods/x/verify/", 404, ""},
		{"POST", "/me/v1/authentication-methods/x/y/verify", 404, ""},
		{"POST", "/me/v2/authentication-methods", 404, ""},
		{"POST", "/authentication-methods", 404, ""},
		{"POST", "/me/v1/Authentication-Methods", 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := f.do(t, req{method: tc.method, path: tc.path, token: aliceToken, body: `{"type":"totp"}`})
			require.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.allow, rec.Header().Get("Allow"))
			p := problemOf(t, rec)
			assert.Equal(t, tc.status, p.Status)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.NotEmpty(t, rec.Header().Get("X-RateLimit-Limit"), "every response carries the rate-limit headers")
		})
	}
}

func TestMounting(t *testing.T) {
	t.Run("under a ServeMux with the BaseURL's prefix", func(t *testing.T) {
		f := newFixture(t, options{})
		mux := http.NewServeMux()
		mux.Handle("/me/v1/", f.h)
		mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
		srv := httptest.NewServer(mux)
		defer srv.Close()
		hr, _ := http.NewRequest(http.MethodPost, srv.URL+"/me/v1/authentication-methods", strings.NewReader(`{"type":"totp"}`))
		hr.Header.Set("Authorization", "Bearer "+aliceToken)
		hr.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(hr)
		require.NoError(t, err)
		defer res.Body.Close()
		assert.Equal(t, http.StatusAccepted, res.StatusCode)
		assert.True(t, strings.HasPrefix(res.Header.Get("Location"), base+"/authentication-methods/totp%7Cdev_"))
	})
	t.Run("behind StripPrefix with Prefix /", func(t *testing.T) {
		f := newFixture(t, options{cfg: func(c *httpapi.Config) { c.Prefix = "/" }})
		h := http.StripPrefix("/api/account", f.h)
		hr := httptest.NewRequest(http.MethodPost, "/api/account/authentication-methods", strings.NewReader(`{"type":"totp"}`))
		hr.Header.Set("Authorization", "Bearer "+aliceToken)
		hr.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, hr)
		assert.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
		assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), base+"/authentication-methods/"), "Location follows BaseURL")
	})
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, options{})
	for _, tc := range []struct {
		name    string
		header  http.Header
		status  int
		typ     string
		www     string
		exclude string
	}{
		{"no credentials", nil, 401, httpapi.ProblemUnauthorized, `Bearer realm="verifykit"`, "error="},
		{"unknown token", http.Header{"Authorization": {"Bearer not-a-known-token-0123456789"}}, 401, httpapi.ProblemUnauthorized,
			`Bearer realm="verifykit", error="invalid_token", error_description="The access token is invalid"`, "not-a-known"},
		{"lower-case scheme", http.Header{"Authorization": {"bearer " + aliceToken}}, 202, "", "", ""},
		{"basic scheme", http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}, 400, httpapi.ProblemUnauthorized, `error="invalid_request"`, "YWxp"},
		{"two headers", http.Header{"Authorization": {"Bearer " + aliceToken, "Bearer " + aliceToken}}, 400, httpapi.ProblemUnauthorized, `error="invalid_request"`, ""},
		{"malformed token", http.Header{"Authorization": {"Bearer a b"}}, 400, httpapi.ProblemUnauthorized, `error="invalid_request"`, ""},
		{"empty token", http.Header{"Authorization": {"Bearer "}}, 400, httpapi.ProblemUnauthorized, `error="invalid_request"`, ""},
		{"token prefix", http.Header{"Authorization": {"Bearer " + aliceToken[:len(aliceToken)-1]}}, 401, httpapi.ProblemUnauthorized, `error="invalid_token"`, ""},
		{"missing scope", http.Header{"Authorization": {"Bearer " + carolToken}}, 403, httpapi.ProblemInsufficientScope,
			`Bearer realm="verifykit", error="insufficient_scope", error_description="The access token lacks the scope create:me:authentication_methods", scope="create:me:authentication_methods"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, req{path: createPath, header: tc.header, body: `{"type":"totp"}`})
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.status == 202 {
				return
			}
			assert.Equal(t, tc.typ, problemOf(t, rec).Type)
			if tc.www != "" {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), tc.www)
			}
			if tc.exclude != "" {
				assert.NotContains(t, rec.Body.String()+rec.Header().Get("WWW-Authenticate"), tc.exclude)
			}
		})
	}
	t.Run("no credentials challenge carries no error", func(t *testing.T) {
		rec := f.do(t, req{path: createPath, body: `{"type":"totp"}`})
		assert.Equal(t, `Bearer realm="verifykit"`, rec.Header().Get("WWW-Authenticate"))
	})
}

func TestAuthenticatorErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		typ    string
		detail string
	}{
		{"outage", errors.New("jwks fetch: dial tcp 10.0.0.1: secret-ish internals"), 500, httpapi.ProblemInternal, "An internal error occurred"},
		{"forbidden", verify.NewError(verify.ErrForbidden, "aal", "Step-up authentication is required"), 403, httpapi.ProblemForbidden, "Step-up authentication is required"},
		{"unauthenticated kind", verify.NewError(verify.ErrUnauthenticated, "expired_token", "The access token expired"), 401, httpapi.ProblemUnauthorized, "The access token expired"},
		{"empty subject", nil, 401, httpapi.ProblemUnauthorized, "The access token is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, options{cfg: func(c *httpapi.Config) {
				c.Authenticator = httpapi.AuthenticatorFunc(func(*http.Request) (httpapi.Principal, error) {
					return httpapi.Principal{Scopes: []string{httpapi.ScopeCreateMethods}}, tc.err
				})
			}})
			rec := f.do(t, req{path: createPath, body: `{"type":"totp"}`})
			require.Equal(t, tc.status, rec.Code)
			p := problemOf(t, rec)
			assert.Equal(t, tc.typ, p.Type)
			assert.Equal(t, tc.detail, p.Detail)
			assert.NotContains(t, rec.Body.String(), "internals")
			if tc.status == 500 {
				assert.Contains(t, f.logs.String(), "internals", "the cause goes to the log")
			}
		})
	}
}

// challenger writes DPoP challenges.
type challenger struct{ httpapi.Authenticator }

func (challenger) Challenges(err error, scope string) []string {
	v := `DPoP algs="ES256"`
	if err != nil {
		v += `, error="invalid_token"`
	}
	if scope != "" {
		v += `, error="insufficient_scope", scope="` + scope + `"`
	}
	return []string{v, `Bearer realm="x"`}
}

func TestChallenger(t *testing.T) {
	auth, err := httpapi.NewStaticBearer(
		httpapi.StaticToken{Token: carolToken, Principal: httpapi.Principal{Subject: alice}},
	)
	require.NoError(t, err)
	f := newFixture(t, options{cfg: func(c *httpapi.Config) { c.Authenticator = challenger{auth} }})
	rec := f.do(t, req{path: createPath, body: `{"type":"totp"}`})
	assert.Equal(t, []string{`DPoP algs="ES256"`, `Bearer realm="x"`}, rec.Header().Values("WWW-Authenticate"))
	rec = f.do(t, req{path: createPath, token: "wrong-token-0123456789abcdef", body: `{"type":"totp"}`})
	assert.Equal(t, `DPoP algs="ES256", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
	rec = f.do(t, req{path: createPath, token: carolToken, body: `{"type":"totp"}`})
	assert.Equal(t, 403, rec.Code)
	assert.Equal(t, `DPoP algs="ES256", error="insufficient_scope", scope="create:me:authentication_methods"`, rec.Header().Get("WWW-Authenticate"))
}

func TestContentType(t *testing.T) {
	f := newFixture(t, options{})
	for _, tc := range []struct {
		ctype  string
		status int
	}{
		{"application/json", 202},
		{"application/json; charset=utf-8", 202},
		{"Application/JSON;charset=UTF-8", 202},
		{"-", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"application/json; charset=latin1", 415},
		{"application/json; boundary=x", 415},
		{"application/jsonx", 415},
		{"application/problem+json", 415},
		{"application/json;", 202},
		{"application/json; charset", 415},
	} {
		t.Run(tc.ctype, func(t *testing.T) {
			rec := f.do(t, req{path: createPath, token: aliceToken, ctype: tc.ctype, body: `{"type":"totp"}`})
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.status == 415 {
				assert.Equal(t, httpapi.ProblemUnsupportedMediaType, problemOf(t, rec).Type)
			}
		})
	}
}

func TestContentEncoding(t *testing.T) {
	f := newFixture(t, options{})
	for _, tc := range []struct {
		enc    []string
		status int
	}{
		{nil, 202},
		{[]string{"identity"}, 202},
		{[]string{"gzip"}, 415},
		{[]string{"identity", "identity"}, 415},
		{[]string{"br"}, 415},
	} {
		rec := f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp"}`, header: http.Header{"Content-Encoding": tc.enc}})
		assert.Equal(t, tc.status, rec.Code, "%v", tc.enc)
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, options{cfg: func(c *httpapi.Config) { c.MaxBodyBytes = 8 << 10 }})
	e := f.start(t, aliceToken, `{"type":"totp"}`)
	pad := strings.Repeat(" ", 8<<10)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: `{"auth_session":"` + e.AuthSession + `",` + pad + `"otp_code":"` + theCode + `"}`})
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	p := problemOf(t, rec)
	assert.Equal(t, httpapi.ProblemPayloadTooLarge, p.Type)
	assert.Equal(t, "The request body exceeds 8192 bytes", p.Detail)
	assert.Zero(t, f.engines[verify.TypeTOTP].confirms.Load())
	// The session is untouched: it still confirms.
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: `{"auth_session":"` + e.AuthSession + `","otp_code":"` + theCode + `"}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
}

// fakeVerifier answers with its functions and counts calls.
type fakeVerifier struct {
	calls  atomic.Int32
	start  func(verify.StartRequest) (*verify.Enrollment, error)
	verify func(id string) (*verify.Method, error)
}

func (v *fakeVerifier) Start(_ context.Context, _ verify.Subject, r verify.StartRequest, _ verify.Client) (*verify.Enrollment, error) {
	v.calls.Add(1)
	if v.start == nil {
		return &verify.Enrollment{ID: "totp|dev_X", AuthSession: "Fe26.2**x", BarcodeURI: "otpauth://totp/x"}, nil
	}
	return v.start(r)
}

func (v *fakeVerifier) Verify(_ context.Context, _ verify.Subject, id string, _ verify.VerifyRequest, _ verify.Client) (*verify.Method, error) {
	v.calls.Add(1)
	return v.verify(id)
}

func TestErrorMapping(t *testing.T) {
	reset := storetest.Epoch.Add(90 * time.Second)
	for _, tc := range []struct {
		err    error
		status int
		typ    string
		detail string
	}{
		{verify.InvalidField("otp_code", "/otp_code", "must be 6 digits"), 400, httpapi.ProblemInvalidRequest, "Invalid request payload input"},
		{verify.NewError(verify.ErrInvalidSession, "session_unseal", "The auth_session is invalid"), 400, httpapi.ProblemInvalidSession, "The auth_session is invalid"},
		{verify.NewError(verify.ErrExpired, "session_expired", ""), 400, httpapi.ProblemSessionExpired, "The auth_session has expired; start the enrollment again"},
		{verify.NewError(verify.ErrAlreadyUsed, "already_used", "The auth_session has already been used"), 400, httpapi.ProblemSessionUsed, "The auth_session has already been used"},
		{verify.NewError(verify.ErrTooManyAttempts, "too_many_attempts", "Too many attempts; start the enrollment again"), 400, httpapi.ProblemTooManyAttempts, "Too many attempts; start the enrollment again"},
		{verify.NewError(verify.ErrInvalidProof, "wrong_code", "Invalid code"), 400, httpapi.ProblemInvalidProof, "Invalid code"},
		{verify.NewError(verify.ErrPending, "push_pending", ""), 400, httpapi.ProblemPending, "The enrollment is not complete yet; retry later"},
		{verify.NewError(verify.ErrUnauthenticated, "no_subject", "No authenticated user"), 401, httpapi.ProblemUnauthorized, "No authenticated user"},
		{verify.NewError(verify.ErrForbidden, "policy", "Phone enrollment is disabled"), 403, httpapi.ProblemForbidden, "Phone enrollment is disabled"},
		{verify.NewError(verify.ErrNotFound, "not_found", "Authentication method not found"), 404, httpapi.ProblemNotFound, "Authentication method not found"},
		{&verify.Error{Kind: verify.ErrConflict, Reason: "method_exists", Detail: "The authentication method already exists"}, 409, httpapi.ProblemConflict, "The authentication method already exists"},
		{&verify.Error{Kind: verify.ErrRateLimited, Reason: "send_throttled", Detail: "Too many codes sent",
			RateLimit: &verify.RateLimit{Limit: 3, Remaining: 0, Reset: reset, RetryAfter: 1500 * time.Millisecond}}, 429, httpapi.ProblemRateLimited, "Too many codes sent"},
		{verify.NewError(verify.ErrRateLimited, "send_throttled", ""), 429, httpapi.ProblemRateLimited, "Too many requests; retry later"},
		{fmt.Errorf("verify: save method: %w", errors.New("pq: connection refused to db.internal")), 500, httpapi.ProblemInternal, "An internal error occurred"},
		{context.DeadlineExceeded, 500, httpapi.ProblemInternal, "An internal error occurred"},
	} {
		t.Run(tc.typ+"/"+verify.ReasonOf(tc.err), func(t *testing.T) {
			fake := &fakeVerifier{verify: func(string) (*verify.Method, error) { return nil, tc.err }}
			f := newFixture(t, options{verifier: fake})
			rec := f.do(t, req{path: verifyPath("totp|dev_1"), token: aliceToken, body: `{"auth_session":"s","otp_code":"123456"}`})
			require.Equal(t, tc.status, rec.Code)
			p := problemOf(t, rec)
			assert.Equal(t, tc.typ, p.Type)
			assert.Equal(t, tc.status, p.Status)
			assert.Equal(t, http.StatusText(tc.status), p.Title)
			assert.Equal(t, tc.detail, p.Detail)
			assert.Empty(t, rec.Header().Get("Location"))
			assert.NotContains(t, rec.Body.String(), "db.internal")
			if tc.status == 429 {
				assert.NotEmpty(t, rec.Header().Get("Retry-After"))
			}
			if tc.status == 401 {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
			}
			if tc.typ == httpapi.ProblemInvalidRequest {
				require.Len(t, p.ValidationErrors, 1)
				assert.Equal(t, "otp_code", p.ValidationErrors[0].Field)
				assert.Equal(t, "/otp_code", p.ValidationErrors[0].Pointer)
				assert.Equal(t, "must be 6 digits", p.ValidationErrors[0].Detail)
			}
			if tc.status == 500 {
				assert.Contains(t, f.logs.String(), `"level":"ERROR"`)
			}
		})
	}
	t.Run("engine throttling reports the engine's bucket", func(t *testing.T) {
		fake := &fakeVerifier{verify: func(string) (*verify.Method, error) {
			return nil, &verify.Error{Kind: verify.ErrRateLimited, Reason: "send_throttled",
				RateLimit: &verify.RateLimit{Limit: 3, Remaining: 0, Reset: reset, RetryAfter: 1500 * time.Millisecond}}
		}}
		f := newFixture(t, options{verifier: fake})
		rec := f.do(t, req{path: verifyPath("totp|dev_1"), token: aliceToken, body: `{"auth_session":"s","otp_code":"123456"}`})
		assert.Equal(t, "3", rec.Header().Get("X-RateLimit-Limit"))
		assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
		assert.Equal(t, strconv.FormatInt(reset.Unix(), 10), rec.Header().Get("X-RateLimit-Reset"))
		assert.Equal(t, "2", rec.Header().Get("Retry-After"), "1.5 s rounds up")
	})
	t.Run("a verifier returning nothing is an internal error", func(t *testing.T) {
		fake := &fakeVerifier{
			verify: func(string) (*verify.Method, error) { return nil, nil },
			start:  func(verify.StartRequest) (*verify.Enrollment, error) { return &verify.Enrollment{}, nil },
		}
		f := newFixture(t, options{verifier: fake})
		rec := f.do(t, req{path: verifyPath("totp|dev_1"), token: aliceToken, body: `{"auth_session":"s","otp_code":"123456"}`})
		assert.Equal(t, 500, rec.Code)
		rec = f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp"}`})
		assert.Equal(t, 500, rec.Code)
		assert.Empty(t, rec.Header().Get("Location"))
	})
	t.Run("a method that cannot be encoded is an internal error", func(t *testing.T) {
		fake := &fakeVerifier{verify: func(string) (*verify.Method, error) {
			return &verify.Method{ID: "passkey|x", Type: verify.TypePasskey}, nil // no credential
		}}
		f := newFixture(t, options{verifier: fake})
		rec := f.do(t, req{path: verifyPath("passkey|x"), token: aliceToken, body: `{"auth_session":"s","otp_code":"1"}`})
		assert.Equal(t, 500, rec.Code)
		assert.Empty(t, rec.Header().Get("Location"))
	})
	t.Run("a panic is an internal error", func(t *testing.T) {
		fake := &fakeVerifier{verify: func(string) (*verify.Method, error) { panic("boom") }}
		f := newFixture(t, options{verifier: fake})
		rec := f.do(t, req{path: verifyPath("totp|dev_1"), token: aliceToken, body: `{"auth_session":"s","otp_code":"1"}`})
		assert.Equal(t, 500, rec.Code)
		assert.Contains(t, f.logs.String(), "boom")
	})
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, options{cfg: func(c *httpapi.Config) {
		c.RateLimit = verify.Limit{Requests: 3, Window: time.Minute}
		c.RouteLimits = map[string]verify.Limit{httpapi.OpVerify: {Requests: 2, Window: time.Minute}}
		c.AnonymousRateLimit = verify.Limit{Requests: 2, Window: time.Minute}
	}})
	now := f.clock.Now()
	// Three starts: headers count down, the reset moves 20 s each time.
	for i := range 3 {
		rec := f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp"}`})
		require.Equal(t, 202, rec.Code)
		assert.Equal(t, "3", rec.Header().Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), rec.Header().Get("X-RateLimit-Remaining"))
		assert.Equal(t, strconv.FormatInt(now.Add(time.Duration(i+1)*20*time.Second).Unix(), 10), rec.Header().Get("X-RateLimit-Reset"))
		assert.Empty(t, rec.Header().Get("Retry-After"))
	}
	rec := f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp"}`})
	require.Equal(t, 429, rec.Code)
	assert.Equal(t, httpapi.ProblemRateLimited, problemOf(t, rec).Type)
	assert.Equal(t, "20", rec.Header().Get("Retry-After"))
	assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))

	// Other users and other routes have their own buckets; errors carry
	// the headers too.
	rec = f.do(t, req{path: createPath, token: bobToken, body: `{"type":"nope"}`})
	require.Equal(t, 400, rec.Code)
	assert.Equal(t, "2", rec.Header().Get("X-RateLimit-Remaining"))
	for i := range 2 {
		rec = f.do(t, req{path: verifyPath("totp|dev_x"), token: aliceToken, body: `{"auth_session":"x","otp_code":"1"}`})
		require.Equal(t, 400, rec.Code)
		assert.Equal(t, "2", rec.Header().Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(1-i), rec.Header().Get("X-RateLimit-Remaining"))
	}
	rec = f.do(t, req{path: verifyPath("totp|dev_x"), token: aliceToken, body: `{"auth_session":"x","otp_code":"1"}`})
	require.Equal(t, 429, rec.Code)
	assert.Equal(t, "30", rec.Header().Get("Retry-After"))

	// Requests without valid credentials count per IP.
	for i := range 2 {
		rec = f.do(t, req{path: createPath, token: "unknown-token-0123456789abc", body: `{"type":"totp"}`})
		require.Equal(t, 401, rec.Code)
		assert.Equal(t, strconv.Itoa(1-i), rec.Header().Get("X-RateLimit-Remaining"))
	}
	rec = f.do(t, req{path: createPath, body: `{"type":"totp"}`})
	require.Equal(t, 429, rec.Code)
	rec = f.do(t, req{method: "PUT", path: createPath})
	require.Equal(t, 429, rec.Code, "the unrouted share the IP bucket")

	// After the wait, requests pass again.
	f.clock.Advance(20 * time.Second)
	rec = f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp"}`})
	require.Equal(t, 202, rec.Code)
}

func TestAnonymousBucketPerIPv6Prefix(t *testing.T) {
	f := newFixture(t, options{cfg: func(c *httpapi.Config) {
		c.AnonymousRateLimit = verify.Limit{Requests: 2, Window: time.Minute}
	}})
	send := func(remote string) int {
		hr := httptest.NewRequest(http.MethodPost, createPath, strings.NewReader(`{"type":"totp"}`))
		hr.RemoteAddr = remote
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, hr)
		return rec.Code
	}
	// Addresses of one /64 share a bucket; another /64 and IPv4 have theirs.
	assert.Equal(t, 401, send("[2001:db8:1:2::1]:1000"))
	assert.Equal(t, 401, send("[2001:db8:1:2:ffff::9]:1000"))
	assert.Equal(t, 429, send("[2001:db8:1:2::77%eth0]:1000"))
	assert.Equal(t, 401, send("[2001:db8:1:3::1]:1000"))
	assert.Equal(t, 401, send("198.51.100.1:1000"))
	assert.Equal(t, 401, send("[::ffff:198.51.100.1]:1000"), "a v4-mapped address is its IPv4 address")
	assert.Equal(t, 429, send("198.51.100.1:1000"))
	assert.Equal(t, 401, send("198.51.100.2:1000"))
}

type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, verify.Limit) (verify.RateLimit, error) {
	return verify.RateLimit{}, errors.New("redis: connection refused")
}

func TestRateLimiterFailsClosed(t *testing.T) {
	fake := &fakeVerifier{}
	f := newFixture(t, options{verifier: fake, cfg: func(c *httpapi.Config) { c.Limiter = failingLimiter{} }})
	for _, token := range []string{aliceToken, ""} {
		rec := f.do(t, req{path: createPath, token: token, body: `{"type":"totp"}`})
		require.Equal(t, 500, rec.Code)
		assert.NotContains(t, rec.Body.String(), "redis")
	}
	assert.Zero(t, fake.calls.Load())
	assert.Contains(t, f.logs.String(), "redis: connection refused")
}

func TestUnlimited(t *testing.T) {
	f := newFixture(t, options{cfg: func(c *httpapi.Config) { c.Limiter = ratelimit.Unlimited(nil) }})
	for range 20 {
		rec := f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"recovery-code"}`})
		require.Equal(t, 202, rec.Code)
	}
}

func TestNewConfig(t *testing.T) {
	f := newFixture(t, options{})
	auth, _ := httpapi.NewStaticBearer(httpapi.StaticToken{Token: aliceToken, Principal: httpapi.Principal{Subject: alice}})
	ok := httpapi.Config{Verifier: f.svc, Authenticator: auth, Limiter: ratelimit.Unlimited(nil), BaseURL: base}
	_, err := httpapi.New(ok)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		mod  func(*httpapi.Config)
		want string
	}{
		{"no verifier", func(c *httpapi.Config) { c.Verifier = nil }, "Verifier is required"},
		{"no authenticator", func(c *httpapi.Config) { c.Authenticator = nil }, "Authenticator is required"},
		{"no limiter", func(c *httpapi.Config) { c.Limiter = nil }, "Limiter is required"},
		{"no base", func(c *httpapi.Config) { c.BaseURL = "" }, "BaseURL"},
		{"relative base", func(c *httpapi.Config) { c.BaseURL = "/me/v1" }, "BaseURL"},
		{"ftp base", func(c *httpapi.Config) { c.BaseURL = "ftp://x/me/v1" }, "BaseURL"},
		{"base with query", func(c *httpapi.Config) { c.BaseURL = base + "?a=1" }, "BaseURL"},
		{"base with user", func(c *httpapi.Config) { c.BaseURL = "https://u:p@x/me/v1" }, "BaseURL"},
		{"bad prefix", func(c *httpapi.Config) { c.Prefix = "me/v1" }, "Prefix"},
		{"prefix with space", func(c *httpapi.Config) { c.Prefix = "/me v1" }, "Prefix"},
		{"small body", func(c *httpapi.Config) { c.MaxBodyBytes = 100 }, "MaxBodyBytes 100 out of range [4096, 1048576]"},
		{"depth", func(c *httpapi.Config) { c.MaxDepth = 100 }, "MaxDepth 100 out of range [4, 64]"},
		{"auth session", func(c *httpapi.Config) { c.MaxAuthSession = 10 }, "MaxAuthSession 10 out of range [256, 65536]"},
		{"attestation below spec", func(c *httpapi.Config) { c.MaxAttestationObject = 1000 }, "MaxAttestationObject 1000 out of range [2000, 65536]"},
		{"client data", func(c *httpapi.Config) { c.MaxClientDataJSON = 1 << 20 }, "MaxClientDataJSON 1048576 out of range [1000, 16384]"},
		{"rate limit", func(c *httpapi.Config) { c.RateLimit = verify.Limit{Requests: -1, Window: time.Minute} }, "RateLimit -1 per 1m0s out of range"},
		{"route limit", func(c *httpapi.Config) {
			c.RouteLimits = map[string]verify.Limit{httpapi.OpCreate: {Requests: 1}}
		}, "RouteLimits[createAuthenticationMethod]"},
		{"unknown route", func(c *httpapi.Config) {
			c.RouteLimits = map[string]verify.Limit{"nope": {Requests: 1, Window: time.Second}}
		}, `unknown operation "nope"`},
		{"anonymous limit", func(c *httpapi.Config) { c.AnonymousRateLimit = verify.Limit{Window: time.Second} }, "AnonymousRateLimit"},
		{"realm", func(c *httpapi.Config) { c.Realm = `a"b` }, "Realm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := httpapi.New(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestStaticBearer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens []httpapi.StaticToken
		want   string
	}{
		{"none", nil, "at least one token"},
		{"short", []httpapi.StaticToken{{Token: "short", Principal: httpapi.Principal{Subject: alice}}}, "length [22, 4096]"},
		{"not b64token", []httpapi.StaticToken{{Token: "with space 0123456789abcdef", Principal: httpapi.Principal{Subject: alice}}}, "b64token"},
		{"no subject", []httpapi.StaticToken{{Token: aliceToken}}, "no Principal.Subject.ID"},
		{"repeated", []httpapi.StaticToken{
			{Token: aliceToken, Principal: httpapi.Principal{Subject: alice}},
			{Token: aliceToken, Principal: httpapi.Principal{Subject: bob}},
		}, "repeated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpapi.NewStaticBearer(tc.tokens...)
			require.ErrorContains(t, err, tc.want)
		})
	}
	a, err := httpapi.NewStaticBearer(
		httpapi.StaticToken{Token: aliceToken, Principal: httpapi.Principal{Subject: alice, Scopes: []string{"s"}}},
		httpapi.StaticToken{Token: bobToken, Principal: httpapi.Principal{Subject: bob}},
	)
	require.NoError(t, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+bobToken)
	p, err := a.Authenticate(r)
	require.NoError(t, err)
	assert.Equal(t, bob, p.Subject)
	r.Header.Set("Authorization", "Bearer "+aliceToken)
	p, err = a.Authenticate(r)
	require.NoError(t, err)
	p.Scopes[0] = "mutated"
	p, _ = a.Authenticate(r)
	assert.Equal(t, []string{"s"}, p.Scopes, "callers cannot change the configured scopes")
	r.Header.Set("Authorization", "Bearer "+aliceToken+"x")
	_, err = a.Authenticate(r)
	require.ErrorIs(t, err, verify.ErrUnauthenticated)
	var ae *httpapi.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, httpapi.CodeInvalidToken, ae.Code)
	r.Header.Del("Authorization")
	_, err = a.Authenticate(r)
	require.ErrorIs(t, err, httpapi.ErrNoCredentials)
	require.ErrorIs(t, err, verify.ErrUnauthenticated)
}

func BenchmarkStaticBearer(b *testing.B) {
	tokens := make([]httpapi.StaticToken, 16)
	for i := range tokens {
		tokens[i] = httpapi.StaticToken{Token: fmt.Sprintf("token-%02d-0123456789abcdefghij", i), Principal: httpapi.Principal{Subject: alice}}
	}
	a, err := httpapi.NewStaticBearer(tokens...)
	require.NoError(b, err)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokens[7].Token)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
