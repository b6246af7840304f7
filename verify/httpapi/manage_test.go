package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

const (
	listPath    = "/me/v1/authentication-methods"
	factorsPath = "/me/v1/factors"

	allToken    = "alice-all-scopes-0123456789"
	bobAllToken = "bob-all-scopes-0123456789ab"
	noScopes    = "alice-no-scopes-0123456789"
)

// scopeToken is a token of alice granted scope alone.
func scopeToken(scope string) string {
	return "alice-only-" + strings.NewReplacer(":", ".", "_", "-").Replace(scope)
}

// withScopedTokens replaces the fixture's authenticator with one that also
// knows allToken, bobAllToken, noScopes and a token per scope.
func withScopedTokens(t testing.TB, more func(*httpapi.Config)) func(*httpapi.Config) {
	return func(c *httpapi.Config) {
		tokens := []httpapi.StaticToken{
			{Token: aliceToken, Principal: httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}},
			{Token: allToken, Principal: httpapi.Principal{Subject: alice, Scopes: httpapi.AllScopes()}},
			{Token: bobAllToken, Principal: httpapi.Principal{Subject: bob, Scopes: httpapi.AllScopes()}},
			{Token: noScopes, Principal: httpapi.Principal{Subject: alice}},
		}
		for _, s := range httpapi.AllScopes() {
			tokens = append(tokens, httpapi.StaticToken{Token: scopeToken(s), Principal: httpapi.Principal{Subject: alice, Scopes: []string{s}}})
		}
		auth, err := httpapi.NewStaticBearer(tokens...)
		require.NoError(t, err)
		c.Authenticator = auth
		if more != nil {
			more(c)
		}
	}
}

func newManageFixture(t testing.TB, o options) *fixture {
	t.Helper()
	o.cfg = withScopedTokens(t, o.cfg)
	return newFixture(t, o)
}

// enroll starts and confirms a method of type typ with token and returns
// its id; the clock moves a second so that list order is creation order.
func (f *fixture) enroll(t testing.TB, token string, typ verify.Type) string {
	t.Helper()
	e := f.start(t, token, startBodies[typ])
	rec := f.do(t, req{path: verifyPath(e.ID), token: token, body: verifyBody(e.AuthSession, proofs[typ.Proof()])})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var m struct{ ID string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
	f.clock.Advance(time.Second)
	return m.ID
}

func methodPath(id string) string { return listPath + "/" + escape(id) }

type listBody struct {
	AuthenticationMethods []map[string]any `json:"authentication_methods"`
}

func (f *fixture) list(t testing.TB, token, query string) listBody {
	t.Helper()
	rec := f.do(t, req{method: http.MethodGet, path: listPath + query, token: token})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var l listBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
	return l
}

func ids(l listBody) []string {
	out := []string{}
	for _, m := range l.AuthenticationMethods {
		out = append(out, m["id"].(string))
	}
	return out
}

func TestListAndGet(t *testing.T) {
	f := newManageFixture(t, options{})
	totp := f.enroll(t, allToken, verify.TypeTOTP)
	phone := f.enroll(t, allToken, verify.TypePhone)
	rc := f.enroll(t, allToken, verify.TypeRecoveryCode)
	pw := f.enroll(t, allToken, verify.TypePassword)
	pk := f.enroll(t, allToken, verify.TypePasskey)
	bobs := f.enroll(t, bobAllToken, verify.TypeTOTP)

	l := f.list(t, allToken, "")
	assert.Equal(t, []string{totp, phone, rc, pw, pk}, ids(l), "alice's methods, oldest first")
	assert.Equal(t, []string{bobs}, ids(f.list(t, bobAllToken, "")))
	assert.Equal(t, []string{totp}, ids(f.list(t, allToken, "?type=totp")))
	assert.Equal(t, []string{pk}, ids(f.list(t, allToken, "?type=passkey")))
	assert.Empty(t, ids(f.list(t, allToken, "?type=email")))
	rec := f.do(t, req{method: http.MethodGet, path: listPath + "?type=email", token: allToken})
	assert.JSONEq(t, `{"authentication_methods":[]}`, rec.Body.String(), "an empty list is [], not null")

	// Each method reads back as it was listed, in the spec's schema of its type.
	for _, m := range l.AuthenticationMethods {
		id := m["id"].(string)
		rec := f.do(t, req{method: http.MethodGet, path: methodPath(id), token: allToken})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var got map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, m, got)
		assert.NotContains(t, rec.Body.String(), "engine secret")
		assert.Empty(t, rec.Header().Get("Location"))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	}

	for _, tc := range []struct{ name, path, token string }{
		{"another user's method", methodPath(bobs), allToken},
		{"alice's method for bob", methodPath(totp), bobAllToken},
		{"an unknown id", methodPath("totp|dev_unknown"), allToken},
		{"a double-encoded id", listPath + "/" + strings.ReplaceAll(totp, "|", "%257C"), allToken},
		{"an injection attempt", listPath + "/x'%20OR%20'1'='1", allToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, req{method: http.MethodGet, path: tc.path, token: tc.token})
			p := requireProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
			assert.Equal(t, "Authentication method not found", p.Detail, "unknown and foreign ids are indistinguishable")
		})
	}
}

// TestListAtMostTwenty: the list holds at most the spec's 20 items, even
// from a Manager that returns more.
func TestListAtMostTwenty(t *testing.T) {
	f := newManageFixture(t, options{})
	for range verify.MaxListed {
		f.enroll(t, allToken, verify.TypeRecoveryCode)
	}
	assert.Len(t, ids(f.list(t, allToken, "")), verify.MaxListed)

	many := &fakeManager{list: func(verify.Type) ([]verify.Method, error) {
		ms := make([]verify.Method, verify.MaxListed+5)
		for i := range ms {
			m, _ := okMethod(fmt.Sprintf("totp|dev_%02d", i))
			ms[i] = *m
		}
		return ms, nil
	}}
	g := newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = many }})
	assert.Len(t, ids(g.list(t, allToken, "")), verify.MaxListed)
	assert.Contains(t, g.logs.String(), "more than verify.MaxListed")

	none := &fakeManager{list: func(verify.Type) ([]verify.Method, error) { return nil, nil }}
	g = newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = none }})
	rec := g.do(t, req{method: http.MethodGet, path: listPath, token: allToken})
	assert.JSONEq(t, `{"authentication_methods":[]}`, rec.Body.String(), "a nil list is [], not null")
}

func TestListQuery(t *testing.T) {
	fake := &fakeManager{}
	f := newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = fake }})
	for _, tc := range []struct {
		query, field, detail string
	}{
		{"?type=sms", "type", "must be one of: password, passkey, webauthn-platform"},
		{"?type=TOTP", "type", "must be one of"},
		{"?type=", "type", "must be one of"},
		{"?type=totp&type=email", "type", "at most once"},
		{"?types=totp", "types", "is not a query parameter of this operation"},
		{"?from=0&take=10", "from", "is not a query parameter"},
		{"?type=%zz", "", "malformed"},
		{"?type=totp;x=1", "", "malformed"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			rec := f.do(t, req{method: http.MethodGet, path: listPath + tc.query, token: allToken})
			p := requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
			assert.Equal(t, "Invalid request parameters", p.Detail)
			require.NotEmpty(t, p.ValidationErrors)
			assert.Equal(t, tc.field, p.ValidationErrors[0].Field)
			assert.Empty(t, p.ValidationErrors[0].Pointer, "a query parameter has no pointer into a body")
			assert.Contains(t, p.ValidationErrors[0].Detail, tc.detail)
		})
	}
	assert.Zero(t, fake.calls.Load(), "the manager sees no refused query")

	// Every route refuses parameters it does not declare, before its body.
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, methodPath("totp|dev_1") + "?type=totp"},
		{http.MethodPatch, methodPath("totp|dev_1") + "?name=x"},
		{http.MethodDelete, methodPath("totp|dev_1") + "?force=1"},
		{http.MethodGet, factorsPath + "?type=totp"},
		{http.MethodPost, createPath + "?type=totp"},
		{http.MethodPost, verifyPath("totp|dev_1") + "?x"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := f.do(t, req{method: tc.method, path: tc.path, token: allToken, body: `{`})
			p := requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
			require.Len(t, p.ValidationErrors, 1)
			assert.Contains(t, p.ValidationErrors[0].Detail, "is not a query parameter")
		})
	}
	assert.Zero(t, fake.calls.Load())
	// An empty query string is no parameter.
	rec := f.do(t, req{method: http.MethodGet, path: listPath + "?", token: allToken})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

func TestUpdate(t *testing.T) {
	f := newManageFixture(t, options{})
	totp := f.enroll(t, allToken, verify.TypeTOTP)
	phone := f.enroll(t, allToken, verify.TypePhone)
	rc := f.enroll(t, allToken, verify.TypeRecoveryCode)
	pk := f.enroll(t, allToken, verify.TypePasskey)
	bobs := f.enroll(t, bobAllToken, verify.TypeTOTP)
	patch := func(id, body string) *httptest.ResponseRecorder {
		return f.do(t, req{method: http.MethodPatch, path: methodPath(id), token: allToken, body: body})
	}

	rec := patch(totp, `{"name":"Authenticator on my phone ✓"}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
	assert.Equal(t, "Authenticator on my phone ✓", m["name"])
	assert.Equal(t, totp, m["id"])
	rec = f.do(t, req{method: http.MethodGet, path: methodPath(totp), token: allToken})
	assert.Contains(t, rec.Body.String(), `"name":"Authenticator on my phone ✓"`, "the change is stored")

	rec = patch(phone, `{"preferred_authentication_method":"voice","name":"Desk phone"}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
	assert.Equal(t, "voice", m["preferred_authentication_method"])
	assert.Equal(t, "Desk phone", m["name"])

	rec = patch(totp, `{}`)
	require.Equal(t, http.StatusOK, rec.Code, "an empty update changes nothing")
	assert.Contains(t, rec.Body.String(), `"name":"Authenticator on my phone ✓"`)

	for _, tc := range []struct {
		name, id, body, pointer, detail string
	}{
		{"unknown member", totp, `{"nickname":"x"}`, "/nickname", "is not allowed"},
		{"name not a string", totp, `{"name":5}`, "/name", "must be a string"},
		{"name null", totp, `{"name":null}`, "/name", "must be a string"},
		{"name empty", totp, `{"name":""}`, "/name", "must not be empty"},
		{"name too long", totp, `{"name":"` + strings.Repeat("é", verify.MaxNameLength+1) + `"}`, "/name", "at most 100"},
		{"name with a control character", totp, `{"name":"a\u0007b"}`, "/name", "control characters"},
		{"preferred method not in the enum", phone, `{"preferred_authentication_method":"fax"}`, "/preferred_authentication_method", "one of: sms, voice"},
		{"repeated member", totp, `{"name":"a","name":"b"}`, "/name", "more than once"},
		{"not an object", totp, `["name"]`, "", "must be a JSON object"},
		{"empty body", totp, ``, "", "empty"},
		{"a recovery code has no name", rc, `{"name":"x"}`, "/name", "has no name"},
		{"a passkey has no name in the spec", pk, `{"name":"x"}`, "/name", "has no name"},
		{"only a phone has a preferred method", totp, `{"preferred_authentication_method":"sms"}`, "/preferred_authentication_method", "only a phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := patch(tc.id, tc.body)
			p := requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
			require.NotEmpty(t, p.ValidationErrors)
			assert.Equal(t, tc.pointer, p.ValidationErrors[0].Pointer)
			assert.Contains(t, p.ValidationErrors[0].Detail, tc.detail)
		})
	}

	rec = f.do(t, req{method: http.MethodPatch, path: methodPath(bobs), token: allToken, body: `{"name":"mine now"}`})
	requireProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
	rec = patch("totp|dev_unknown", `{"name":"x"}`)
	requireProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
	rec = f.do(t, req{method: http.MethodGet, path: methodPath(bobs), token: bobAllToken})
	assert.NotContains(t, rec.Body.String(), "mine now", "another user's method is unchanged")

	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "-"} {
		rec = f.do(t, req{method: http.MethodPatch, path: methodPath(totp), token: allToken, ctype: ct, body: `{"name":"x"}`})
		requireProblem(t, rec, http.StatusUnsupportedMediaType, httpapi.ProblemUnsupportedMediaType)
	}
	rec = f.do(t, req{method: http.MethodPatch, path: methodPath(totp), token: allToken, body: `{"name":"` + strings.Repeat("x", 70<<10) + `"}`})
	requireProblem(t, rec, http.StatusRequestEntityTooLarge, httpapi.ProblemPayloadTooLarge)
}

func TestDelete(t *testing.T) {
	f := newManageFixture(t, options{})
	totp := f.enroll(t, allToken, verify.TypeTOTP)
	pw := f.enroll(t, allToken, verify.TypePassword)
	bobs := f.enroll(t, bobAllToken, verify.TypeTOTP)
	del := func(token, id string) *httptest.ResponseRecorder {
		return f.do(t, req{method: http.MethodDelete, path: methodPath(id), token: token})
	}

	rec := del(allToken, bobs)
	requireProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
	assert.Equal(t, 1, f.methods(t, bob), "another user's method stays")

	rec = del(allToken, totp)
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	assert.Empty(t, rec.Body.Bytes())
	assert.Empty(t, rec.Header().Get("Content-Type"))
	assert.NotEmpty(t, rec.Header().Get("X-RateLimit-Limit"))
	assert.NotEmpty(t, rec.Header().Get("X-RateLimit-Remaining"))
	assert.NotEmpty(t, rec.Header().Get("X-RateLimit-Reset"))
	rec = f.do(t, req{method: http.MethodGet, path: methodPath(totp), token: allToken})
	requireProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
	requireProblem(t, del(allToken, totp), http.StatusNotFound, httpapi.ProblemNotFound)

	// The password is alice's last primary method: refused, and kept.
	rec = del(allToken, pw)
	p := requireProblem(t, rec, http.StatusConflict, httpapi.ProblemConflict)
	assert.Equal(t, "The last primary authentication method cannot be deleted", p.Detail)
	assert.Equal(t, []string{pw}, ids(f.list(t, allToken, "")))

	// With a passkey beside it, either may go, but not both.
	pk := f.enroll(t, allToken, verify.TypePasskey)
	require.Equal(t, http.StatusNoContent, del(allToken, pw).Code)
	requireProblem(t, del(allToken, pk), http.StatusConflict, httpapi.ProblemConflict)

	t.Run("AllowNoPrimary", func(t *testing.T) {
		f := newManageFixture(t, options{svc: func(c *verify.Config) { c.AllowNoPrimary = true }})
		pw := f.enroll(t, allToken, verify.TypePassword)
		rec := f.do(t, req{method: http.MethodDelete, path: methodPath(pw), token: allToken})
		require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
		assert.Zero(t, f.methods(t, alice))
	})
}

func TestFactors(t *testing.T) {
	f := newManageFixture(t, options{})
	rec := f.do(t, req{method: http.MethodGet, path: factorsPath, token: allToken})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"factors":[
		{"type":"password","usage":["primary"]},
		{"type":"passkey","usage":["primary"]},
		{"type":"webauthn-platform","usage":["secondary"]},
		{"type":"webauthn-roaming","usage":["secondary"]},
		{"type":"totp","usage":["secondary"]},
		{"type":"phone","usage":["secondary"]},
		{"type":"email","usage":["secondary"]},
		{"type":"push-notification","usage":["secondary"]},
		{"type":"recovery-code","usage":["secondary"]}]}`, rec.Body.String())

	g := newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = &fakeManager{} }})
	rec = g.do(t, req{method: http.MethodGet, path: factorsPath, token: allToken})
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"factors":[]}`, rec.Body.String(), "no factors is [], not null")
}

// manageRoutes are the new routes with a request that succeeds for a
// token with the route's scope.
type manageRoute struct {
	op, method, path, body, scope string
	ok                            int
}

func manageRoutes(id string) []manageRoute {
	return []manageRoute{
		{httpapi.OpList, http.MethodGet, listPath, "", httpapi.ScopeReadMethods, 200},
		{httpapi.OpGet, http.MethodGet, methodPath(id), "", httpapi.ScopeReadMethods, 200},
		{httpapi.OpUpdate, http.MethodPatch, methodPath(id), `{"name":"x"}`, httpapi.ScopeUpdateMethods, 200},
		{httpapi.OpFactors, http.MethodGet, factorsPath, "", httpapi.ScopeReadFactors, 200},
		{httpapi.OpDelete, http.MethodDelete, methodPath(id), "", httpapi.ScopeDeleteMethods, 204},
	}
}

// TestScopes: each route requires exactly its scope. A token with any
// other scope of the API gets 403 insufficient_scope naming the route's
// scope, one without credentials 401, and the manager is not called.
func TestScopes(t *testing.T) {
	for _, rt := range manageRoutes("totp|dev_1") {
		t.Run(rt.op, func(t *testing.T) {
			fake := &fakeManager{}
			f := newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = fake }})
			for _, scope := range httpapi.AllScopes() {
				rec := f.do(t, req{method: rt.method, path: rt.path, token: scopeToken(scope), body: rt.body})
				if scope == rt.scope {
					require.Equal(t, rt.ok, rec.Code, "%s: %s", scope, rec.Body.String())
					continue
				}
				p := requireProblem(t, rec, http.StatusForbidden, httpapi.ProblemInsufficientScope)
				assert.Equal(t, "The access token lacks the scope "+rt.scope, p.Detail)
				assert.Equal(t, `Bearer realm="verifykit", error="insufficient_scope", error_description="The access token lacks the scope `+rt.scope+`", scope="`+rt.scope+`"`,
					rec.Header().Get("WWW-Authenticate"))
			}
			assert.Equal(t, int32(1), fake.calls.Load(), "only the token with the scope reached the manager")
			requireProblem(t, f.do(t, req{method: rt.method, path: rt.path, token: noScopes, body: rt.body}), http.StatusForbidden, httpapi.ProblemInsufficientScope)

			rec := f.do(t, req{method: rt.method, path: rt.path, body: rt.body})
			requireProblem(t, rec, http.StatusUnauthorized, httpapi.ProblemUnauthorized)
			assert.Equal(t, `Bearer realm="verifykit"`, rec.Header().Get("WWW-Authenticate"))
			rec = f.do(t, req{method: rt.method, path: rt.path, token: "wrong-token-0123456789abcdef", body: rt.body})
			requireProblem(t, rec, http.StatusUnauthorized, httpapi.ProblemUnauthorized)
			assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
			rec = f.do(t, req{method: rt.method, path: rt.path, header: http.Header{"Authorization": {"Basic YTpi"}}, body: rt.body})
			requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemUnauthorized)
			assert.Equal(t, int32(1), fake.calls.Load())
		})
	}
}

// TestManageRateLimit: every route has its own per-user bucket, answers
// 429 with the spec's headers when it is spent, and reports the bucket on
// every answer (204 included).
func TestManageRateLimit(t *testing.T) {
	for _, rt := range manageRoutes("totp|dev_1") {
		t.Run(rt.op, func(t *testing.T) {
			f := newManageFixture(t, options{cfg: func(c *httpapi.Config) {
				c.Manager = &fakeManager{}
				c.RouteLimits = map[string]verify.Limit{rt.op: {Requests: 2, Window: time.Minute}}
			}})
			for i := range 2 {
				rec := f.do(t, req{method: rt.method, path: rt.path, token: allToken, body: rt.body})
				require.Equal(t, rt.ok, rec.Code, rec.Body.String())
				assert.Equal(t, "2", rec.Header().Get("X-RateLimit-Limit"))
				assert.Equal(t, fmt.Sprint(1-i), rec.Header().Get("X-RateLimit-Remaining"))
			}
			rec := f.do(t, req{method: rt.method, path: rt.path, token: allToken, body: rt.body})
			requireProblem(t, rec, http.StatusTooManyRequests, httpapi.ProblemRateLimited)
			assert.Equal(t, "30", rec.Header().Get("Retry-After"))
			// Another route and another user are not affected.
			rec = f.do(t, req{method: http.MethodPost, path: createPath, token: allToken, body: `{"type":"totp"}`})
			require.Equal(t, http.StatusAccepted, rec.Code)
			rec = f.do(t, req{method: rt.method, path: rt.path, token: bobAllToken, body: rt.body})
			require.Equal(t, rt.ok, rec.Code)
		})
	}
}

// TestWithoutManager: a Verifier that is not a Manager serves only the
// enrollment routes; the others are not routes at all.
func TestWithoutManager(t *testing.T) {
	fake := &fakeVerifier{}
	f := newManageFixture(t, options{verifier: fake})
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, listPath, 405, "POST"},
		{http.MethodGet, methodPath("totp|dev_1"), 404, ""},
		{http.MethodPatch, methodPath("totp|dev_1"), 404, ""},
		{http.MethodDelete, methodPath("totp|dev_1"), 404, ""},
		{http.MethodGet, factorsPath, 404, ""},
	} {
		rec := f.do(t, req{method: tc.method, path: tc.path, token: allToken, body: `{"name":"x"}`, noSpec: true})
		assert.Equal(t, tc.status, rec.Code, "%s %s", tc.method, tc.path)
		assert.Equal(t, tc.allow, rec.Header().Get("Allow"))
	}
	assert.Zero(t, fake.calls.Load())
	rec := f.do(t, req{path: createPath, token: allToken, body: `{"type":"totp"}`})
	assert.Equal(t, http.StatusAccepted, rec.Code, "the enrollment routes are served")

	// RouteLimits may name the management routes whether or not they are served.
	_, err := httpapi.New(httpapi.Config{Verifier: fake, Authenticator: httpapi.AuthenticatorFunc(nil), Limiter: ratelimit.Unlimited(nil),
		BaseURL: base, RouteLimits: map[string]verify.Limit{httpapi.OpDelete: {Requests: 1, Window: time.Minute}}})
	require.NoError(t, err)
	_, err = httpapi.New(httpapi.Config{Verifier: fake, Authenticator: httpapi.AuthenticatorFunc(nil), Limiter: ratelimit.Unlimited(nil),
		BaseURL: base, RouteLimits: map[string]verify.Limit{"listAuthenticationMethods": {Requests: 1, Window: time.Minute}}})
	require.ErrorContains(t, err, `unknown operation "listAuthenticationMethods"`)
}

// TestManagerErrors maps the Manager's errors like the Verifier's: client
// mistakes with their kind's status, anything else 500 without its cause.
func TestManagerErrors(t *testing.T) {
	conflict := &verify.Error{Kind: verify.ErrConflict, Reason: "concurrent_update", Detail: "The authentication method was changed concurrently; retry"}
	outage := fmt.Errorf("verify: list methods: %w", errors.New("pq: connection refused to db.internal"))
	for _, tc := range []struct {
		name   string
		rt     int // index in manageRoutes
		m      *fakeManager
		status int
		typ    string
	}{
		{"list outage", 0, &fakeManager{err: outage}, 500, httpapi.ProblemInternal},
		{"get outage", 1, &fakeManager{err: outage}, 500, httpapi.ProblemInternal},
		{"update outage", 2, &fakeManager{err: outage}, 500, httpapi.ProblemInternal},
		{"delete outage", 4, &fakeManager{err: outage}, 500, httpapi.ProblemInternal},
		{"concurrent update", 2, &fakeManager{err: conflict}, 409, httpapi.ProblemConflict},
		{"delete conflict", 4, &fakeManager{err: conflict}, 409, httpapi.ProblemConflict},
		{"get without a method", 1, &fakeManager{nilMethod: true}, 500, httpapi.ProblemInternal},
		{"update without a method", 2, &fakeManager{nilMethod: true}, 500, httpapi.ProblemInternal},
		{"list of a method that cannot be encoded", 0, &fakeManager{list: func(verify.Type) ([]verify.Method, error) {
			return []verify.Method{{ID: "passkey|x", Type: verify.TypePasskey}}, nil
		}}, 500, httpapi.ProblemInternal},
		{"get of a method that cannot be encoded", 1, &fakeManager{method: &verify.Method{ID: "passkey|x", Type: verify.TypePasskey}}, 500, httpapi.ProblemInternal},
		{"delete refused by policy", 4, &fakeManager{err: verify.NewError(verify.ErrForbidden, "policy", "Deleting methods is disabled")}, 403, httpapi.ProblemForbidden},
		{"panic", 3, &fakeManager{panics: true}, 500, httpapi.ProblemInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newManageFixture(t, options{cfg: func(c *httpapi.Config) { c.Manager = tc.m }})
			rt := manageRoutes("totp|dev_1")[tc.rt]
			rec := f.do(t, req{method: rt.method, path: rt.path, token: allToken, body: rt.body})
			p := requireProblem(t, rec, tc.status, tc.typ)
			assert.NotContains(t, rec.Body.String(), "db.internal")
			if tc.status == 500 {
				assert.Equal(t, "An internal error occurred", p.Detail)
				assert.Contains(t, f.logs.String(), `"level":"ERROR"`)
			}
		})
	}
}

// TestManageEvents: updates and deletions over HTTP reach the service's
// Observer with the client's address, and its slog output names them
// without secrets.
func TestManageEvents(t *testing.T) {
	rec := &eventRecorder{}
	logs := &syncBuffer{}
	f := newManageFixture(t, options{svc: func(c *verify.Config) {
		c.Observer = verify.Observers(rec, verify.SlogObserver(slog.New(slog.NewJSONHandler(logs, nil))))
	}})
	id := f.enroll(t, allToken, verify.TypeTOTP)
	require.Equal(t, http.StatusOK, f.do(t, req{method: http.MethodPatch, path: methodPath(id), token: allToken, body: `{"name":"n"}`}).Code)
	require.Equal(t, http.StatusNoContent, f.do(t, req{method: http.MethodDelete, path: methodPath(id), token: allToken}).Code)
	evs := rec.all()
	require.GreaterOrEqual(t, len(evs), 4)
	kinds := []verify.EventKind{}
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	assert.Equal(t, []verify.EventKind{verify.EventStarted, verify.EventConfirmed, verify.EventUpdated, verify.EventDeleted}, kinds)
	for _, e := range evs[2:] {
		assert.Equal(t, alice.ID, e.Subject)
		assert.Equal(t, id, e.MethodID)
		assert.Equal(t, verify.TypeTOTP, e.Type)
		assert.Equal(t, "192.0.2.7", e.Client.IP)
	}
	out := logs.String()
	assert.Contains(t, out, `"event":"method_deleted"`)
	assert.Contains(t, out, `"event":"method_updated"`)
	assert.Contains(t, out, `"ip":"192.0.2.7"`)
	for _, secret := range []string{allToken, "Fe26.2", theCode, "engine secret"} {
		assert.NotContains(t, out, secret)
	}
}

type eventRecorder struct {
	mu     sync.Mutex
	events []verify.Event
}

func (r *eventRecorder) Observe(_ context.Context, e verify.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *eventRecorder) all() []verify.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]verify.Event(nil), r.events...)
}

// fakeManager answers every management call with one totp method, err, or
// what its functions say, and counts calls.
type fakeManager struct {
	calls     atomic.Int32
	err       error
	nilMethod bool
	panics    bool
	method    *verify.Method
	list      func(verify.Type) ([]verify.Method, error)
}

func (m *fakeManager) one(id string) (*verify.Method, error) {
	m.calls.Add(1)
	switch {
	case m.panics:
		panic("boom")
	case m.err != nil:
		return nil, m.err
	case m.nilMethod:
		return nil, nil
	case m.method != nil:
		return m.method, nil
	}
	return &verify.Method{ID: id, Type: verify.TypeTOTP, Confirmed: true, Usage: []verify.Usage{verify.UsageSecondary}, CreatedAt: storetest.Epoch}, nil
}

func (m *fakeManager) List(_ context.Context, _ verify.Subject, t verify.Type) ([]verify.Method, error) {
	if m.list != nil {
		m.calls.Add(1)
		return m.list(t)
	}
	one, err := m.one("totp|dev_1")
	if err != nil || one == nil {
		return nil, err
	}
	return []verify.Method{*one}, nil
}

func (m *fakeManager) Get(_ context.Context, _ verify.Subject, id string) (*verify.Method, error) {
	return m.one(id)
}

func (m *fakeManager) Update(_ context.Context, _ verify.Subject, id string, _ verify.UpdateRequest, _ verify.Client) (*verify.Method, error) {
	return m.one(id)
}

func (m *fakeManager) Delete(_ context.Context, _ verify.Subject, id string, _ verify.Client) error {
	_, err := m.one(id)
	return err
}

func (m *fakeManager) Factors() []verify.Factor {
	m.calls.Add(1)
	if m.panics {
		panic("boom")
	}
	return nil
}

// TestEveryManageResponseFollowsTheSpec sends each route every kind of
// request that yields a distinct status and checks that each status was
// seen and every response validated (through fixture.do).
func TestEveryManageResponseFollowsTheSpec(t *testing.T) {
	f := newManageFixture(t, options{cfg: func(c *httpapi.Config) {
		c.RouteLimits = map[string]verify.Limit{httpapi.OpList: {Requests: 3, Window: time.Minute}}
	}})
	id := f.enroll(t, allToken, verify.TypePhone)
	pw := f.enroll(t, allToken, verify.TypePassword)
	seen := map[string]map[int]bool{}
	do := func(op string, r req) {
		t.Helper()
		rec := f.do(t, r)
		if seen[op] == nil {
			seen[op] = map[int]bool{}
		}
		seen[op][rec.Code] = true
	}
	for _, token := range []string{allToken, "", scopeToken(httpapi.ScopeCreateMethods)} {
		do(httpapi.OpGet, req{method: http.MethodGet, path: methodPath(id), token: token})
		do(httpapi.OpUpdate, req{method: http.MethodPatch, path: methodPath(id), token: token, body: `{"name":"x"}`})
		do(httpapi.OpFactors, req{method: http.MethodGet, path: factorsPath, token: token})
		do(httpapi.OpDelete, req{method: http.MethodDelete, path: methodPath(pw), token: token})
	}
	do(httpapi.OpGet, req{method: http.MethodGet, path: methodPath("x"), token: allToken})
	do(httpapi.OpGet, req{method: http.MethodGet, path: methodPath(id) + "?x=1", token: allToken})
	do(httpapi.OpFactors, req{method: http.MethodGet, path: factorsPath + "?x=1", token: allToken})
	do(httpapi.OpUpdate, req{method: http.MethodPatch, path: methodPath(id), token: allToken, body: `{"x":1}`})
	do(httpapi.OpUpdate, req{method: http.MethodPatch, path: methodPath(id), token: allToken, ctype: "text/plain", body: `{}`})
	do(httpapi.OpUpdate, req{method: http.MethodPatch, path: methodPath("x"), token: allToken, body: `{}`})
	do(httpapi.OpUpdate, req{method: http.MethodPatch, path: methodPath(id), token: allToken, body: strings.Repeat(" ", 65<<10) + `{}`})
	do(httpapi.OpDelete, req{method: http.MethodDelete, path: methodPath("x"), token: allToken})
	do(httpapi.OpDelete, req{method: http.MethodDelete, path: methodPath(id), token: allToken})
	do(httpapi.OpList, req{method: http.MethodGet, path: listPath + "?type=x", token: allToken})
	for _, token := range []string{"", scopeToken(httpapi.ScopeReadFactors), allToken, allToken} {
		do(httpapi.OpList, req{method: http.MethodGet, path: listPath, token: token})
	}
	want := map[string][]int{
		httpapi.OpList:    {200, 400, 401, 403, 429},
		httpapi.OpGet:     {200, 400, 401, 403, 404},
		httpapi.OpUpdate:  {200, 400, 401, 403, 404, 413, 415},
		httpapi.OpDelete:  {204, 401, 403, 404, 409},
		httpapi.OpFactors: {200, 400, 401, 403},
	}
	for op, statuses := range want {
		for _, s := range statuses {
			assert.True(t, seen[op][s], "%s: status %d not exercised", op, s)
		}
	}
	// The spec's own examples of the new operations validate too, so the
	// checks above are not vacuous.
	hdr := http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Limit": {"10"}, "X-Ratelimit-Remaining": {"9"}, "X-Ratelimit-Reset": {"1767225600"}}
	require.NoError(t, spectest.CheckResponse(httpapi.OpFactors, 200, hdr, []byte(`{"factors":[{"type":"totp","usage":["secondary"]}]}`)))
	require.Error(t, spectest.CheckResponse(httpapi.OpFactors, 200, hdr, []byte(`{"factors":[{"type":"sms"}]}`)))
	require.Error(t, spectest.CheckResponse(httpapi.OpList, 200, hdr, []byte(`{"authentication_methods":null}`)))
	require.Error(t, spectest.CheckResponse(httpapi.OpDelete, 204, hdr, []byte(`{}`)), "a 204 has no body")
	require.Error(t, spectest.CheckResponse(httpapi.OpGet, 409, hdr, []byte(`{"type":"conflict","status":409,"title":"Conflict","detail":"x"}`)), "get declares no 409")
}
