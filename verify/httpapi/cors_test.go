package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify/httpapi"
)

const spaOrigin = "https://app.example.com"

// corsFixture is the fixture's handler behind httpapi.CORS(spaOrigin).
func corsFixture(t *testing.T) (*fixture, http.Handler) {
	t.Helper()
	f := newFixture(t, options{})
	wrap, err := httpapi.CORS(spaOrigin)
	require.NoError(t, err)
	return f, wrap(f.h)
}

// varies lists the header names of rec's Vary fields.
func varies(rec *httptest.ResponseRecorder) []string {
	var names []string
	for _, v := range rec.Header().Values("Vary") {
		for _, n := range strings.Split(v, ",") {
			names = append(names, strings.TrimSpace(n))
		}
	}
	return names
}

func serveCORS(h http.Handler, method, origin string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, base+"/authentication-methods", strings.NewReader(body))
	r.RemoteAddr = "192.0.2.7:4711"
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// A preflight from a configured origin is answered with the routes'
// methods and the three request headers a My Account client sends.
func TestPreflightFromConfiguredOriginIsAllowed(t *testing.T) {
	_, h := corsFixture(t)
	rec := serveCORS(h, http.MethodOptions, spaOrigin, map[string]string{
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization, content-type, dpop",
	}, "")
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, spaOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "POST", rec.Header().Get("Access-Control-Allow-Methods"))
	allowed := strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers"))
	for _, want := range []string{"authorization", "content-type", "dpop"} {
		assert.Contains(t, allowed, want)
	}
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, varies(rec), "Origin")
}

// A preflight from any other origin gets no CORS grant, so the browser
// blocks the call; no wildcard is ever sent.
func TestPreflightFromOtherOriginIsNotAllowed(t *testing.T) {
	_, h := corsFixture(t)
	for _, origin := range []string{"https://evil.example", "https://app.example.com.evil.example", "null", "http://app.example.com"} {
		rec := serveCORS(h, http.MethodOptions, origin, map[string]string{"Access-Control-Request-Method": "POST"}, "")
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), origin)
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Methods"), origin)
	}
}

// A header the routes do not take is not granted in a preflight.
func TestPreflightWithUnlistedHeaderIsNotAllowed(t *testing.T) {
	_, h := corsFixture(t)
	rec := serveCORS(h, http.MethodOptions, spaOrigin, map[string]string{
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "x-custom",
	}, "")
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
}

// An actual call from the configured origin is served as without CORS and
// exposes the headers a client reads: Location, WWW-Authenticate,
// DPoP-Nonce, Retry-After and the rate-limit headers.
func TestCrossOriginCallExposesHeaders(t *testing.T) {
	_, h := corsFixture(t)
	rec := serveCORS(h, http.MethodPost, spaOrigin, map[string]string{
		"Authorization": "Bearer " + aliceToken, "Content-Type": "application/json",
	}, `{"type":"totp"}`)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	assert.Equal(t, spaOrigin, rec.Header().Get("Access-Control-Allow-Origin"))
	exposed := strings.ToLower(rec.Header().Get("Access-Control-Expose-Headers"))
	for _, want := range []string{"location", "www-authenticate", "dpop-nonce", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} {
		assert.Contains(t, exposed, want)
	}
	assert.Contains(t, varies(rec), "Origin")
	assert.NotEmpty(t, rec.Header().Get("Location"))
}

// A call from another origin is still served (CORS is enforced by the
// browser, not the server) but carries no grant.
func TestCrossOriginCallFromOtherOriginHasNoGrant(t *testing.T) {
	_, h := corsFixture(t)
	rec := serveCORS(h, http.MethodPost, "https://evil.example", map[string]string{
		"Authorization": "Bearer " + aliceToken, "Content-Type": "application/json",
	}, `{"type":"totp"}`)
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, varies(rec), "Origin")
}

// CORS refuses a wildcard, "null", and anything that is not a serialized
// http(s) origin.
func TestCORSRefusesOriginsThatAreNotExact(t *testing.T) {
	for _, o := range []string{"*", "https://*.example.com", "null", "https://app.example.com/", "https://app.example.com/path",
		"ftp://app.example.com", "app.example.com", "https://user@app.example.com", "HTTPS://app.example.com", ""} {
		_, err := httpapi.CORS(o)
		assert.Error(t, err, "%q", o)
	}
	_, err := httpapi.CORS()
	assert.Error(t, err)
	_, err = httpapi.CORS("https://app.example.com", "http://localhost:3000")
	assert.NoError(t, err)
}

// A passkey start takes "mediation": "conditional" (a passkey upgrade, a
// documented extension); any other value, or the member on another type,
// is a 400 naming it.
func TestStartTakesConditionalMediationForPasskeysOnly(t *testing.T) {
	f := newFixture(t, options{})
	rec := f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"passkey","mediation":"conditional"}`, noSpec: true})
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	for _, body := range []string{`{"type":"passkey","mediation":"silent"}`, `{"type":"passkey","mediation":1}`, `{"type":"totp","mediation":"conditional"}`} {
		rec := f.do(t, req{path: createPath, token: aliceToken, body: body, noSpec: true})
		require.Equal(t, http.StatusBadRequest, rec.Code, body)
		assert.Contains(t, rec.Body.String(), `"pointer":"/mediation"`, body)
	}
}

// The members the browser's toJSON() adds inside a registration's
// response pass the HTTP decoder, bounded; the passkey engine checks them
// against the attestation object (passkey
// TestBrowserToJSONCopiesThatContradictTheAttestationAreRefused).
func TestVerifyAcceptsTheBrowsersToJSONMembers(t *testing.T) {
	f := newFixture(t, options{})
	resp := func(extra string) string {
		return `{"id":"cred","rawId":"cred","type":"public-key","response":{"attestationObject":"o2NmbXRkbm9uZQ","clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0"` + extra + `}}`
	}
	enr := f.start(t, aliceToken, `{"type":"passkey"}`)
	rec := f.do(t, req{path: verifyPath(enr.ID), token: aliceToken,
		body: `{"auth_session":"` + enr.AuthSession + `","authn_response":` + resp(`,"authenticatorData":"SZYN5YgO","publicKey":"MFkwEwYH","publicKeyAlgorithm":-7`) + `}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	for extra, pointer := range map[string]string{
		`,"publicKeyAlgorithm":"ES256"`:                            "/authn_response/response/publicKeyAlgorithm",
		`,"authenticatorData":7`:                                   "/authn_response/response/authenticatorData",
		`,"authenticatorData":"` + strings.Repeat("A", 2001) + `"`: "/authn_response/response/authenticatorData",
		`,"somethingElse":1`:                                       "/authn_response/response/somethingElse",
	} {
		enr := f.start(t, aliceToken, `{"type":"passkey"}`)
		rec := f.do(t, req{path: verifyPath(enr.ID), token: aliceToken, noSpec: true,
			body: `{"auth_session":"` + enr.AuthSession + `","authn_response":` + resp(extra) + `}`})
		require.Equal(t, http.StatusBadRequest, rec.Code, extra)
		assert.Contains(t, rec.Body.String(), `"pointer":"`+pointer+`"`, extra)
	}
}
