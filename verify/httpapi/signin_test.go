package httpapi_test

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

const (
	aliceSignIn = "alice-signin-0123456789abcdef" // authenticate and read
	bobSignIn   = "bob-signin-0123456789abcdefgh" // authenticate
	goodSig     = "c2lnbmVk"                      // the signature the fake engine accepts
)

// fakeSignIn adds the sign-in half to a fakeEngine: otp types accept
// theCode (TOTP at time step 100, so a second sign-in with it is a
// replay), recovery-code its stored secret (replacing it), password
// thePassword, WebAuthn types an assertion with signature goodSig whose id
// is the credential's (found by id when usernameless), push nothing.
type fakeSignIn struct {
	*fakeEngine
	store store.Store
}

var _ verify.Engine = (*fakeSignIn)(nil)

func (e *fakeSignIn) Challenge(_ context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	st := &verify.Challenge{State: fakeState{Code: theCode}}
	if e.typ.WebAuthn() {
		allow := "[]"
		if c := req.Method.WebAuthn; c != nil {
			allow = `[{"type":"public-key","id":"` + base64.RawURLEncoding.EncodeToString(c.CredentialID) + `"}]`
		}
		st.AuthnParamsPublicKey = jsontext.Value(`{"challenge":"c2lnbi1pbi1jaGFsbGVuZ2U","rpId":"example.org","userVerification":"required","allowCredentials":` + allow + `}`)
	}
	return st, nil
}

func (e *fakeSignIn) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	bad := verify.NewError(verify.ErrInvalidProof, "wrong_proof", "The verification failed")
	a := &verify.Confirmation{Method: req.Method, Record: req.Record}
	switch e.typ {
	case verify.TypeTOTP, verify.TypeEmail, verify.TypePhone:
		if subtle.ConstantTimeCompare([]byte(*req.Request.OTPCode), []byte(theCode)) != 1 {
			return nil, bad
		}
		if e.typ == verify.TypeTOTP {
			a.Counter = 100
		}
	case verify.TypeRecoveryCode:
		if subtle.ConstantTimeCompare([]byte(*req.Request.RecoveryCode), req.Record.Secret) != 1 {
			return nil, bad
		}
		a.RecoveryCode = "NEXT" + *req.Request.RecoveryCode
		a.Secret = []byte(a.RecoveryCode)
	case verify.TypePassword:
		if *req.Request.Password != thePassword {
			return nil, bad
		}
	case verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
		var r struct {
			ID       string
			Response struct{ Signature string }
		}
		if json.Unmarshal(req.Request.AuthnResponse, &r) != nil {
			return nil, bad
		}
		id, err := base64.RawURLEncoding.DecodeString(r.ID)
		if err != nil {
			return nil, bad
		}
		if req.Record.ID == "" {
			rec, err := e.store.ByCredentialID(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil, bad // as a bad signature: nothing tells the two apart
			}
			if err != nil {
				return nil, err
			}
			if a.Method, err = verify.MethodFromRecord(rec); err != nil {
				return nil, err
			}
			a.Record = rec
		} else if string(id) != string(req.Record.CredentialID) {
			return nil, bad
		}
		if r.Response.Signature != goodSig {
			return nil, bad
		}
	}
	return a, nil
}

func signInTokens(t testing.TB) httpapi.Authenticator {
	auth, err := httpapi.NewStaticBearer(
		httpapi.StaticToken{Token: aliceToken, Principal: httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}},
		httpapi.StaticToken{Token: aliceSignIn, Principal: httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeAuthenticateMethods, httpapi.ScopeReadMethods}}},
		httpapi.StaticToken{Token: bobSignIn, Principal: httpapi.Principal{Subject: bob, Scopes: []string{httpapi.ScopeAuthenticateMethods}}},
	)
	require.NoError(t, err)
	return auth
}

// newSignInFixture is newFixture with sign-in engines and tokens that carry
// the sign-in scope.
func newSignInFixture(t testing.TB, o options) *fixture {
	t.Helper()
	svc, cfg := o.svc, o.cfg
	o.svc = func(c *verify.Config) {
		for i, e := range c.Engines {
			c.Engines[i] = &fakeSignIn{fakeEngine: e.(*fakeEngine), store: c.Store}
		}
		if svc != nil {
			svc(c)
		}
	}
	o.cfg = func(c *httpapi.Config) {
		c.Authenticator = signInTokens(t)
		if cfg != nil {
			cfg(c)
		}
	}
	return newFixture(t, o)
}

// save stores a confirmed method of typ for sub, as an enrollment would.
func (f *fixture) save(t testing.TB, sub verify.Subject, typ verify.Type, secret string) verify.Method {
	t.Helper()
	id := newID(typ)
	m := verify.Method{ID: id, Type: typ, Subject: sub.ID, Confirmed: true, Name: "mine", Usage: typ.DefaultUsage(), CreatedAt: f.clock.Now().Truncate(time.Millisecond)}
	var cred []byte
	if typ.WebAuthn() {
		cred = []byte("cred-" + id)
		m.Name = ""
		m.WebAuthn = &verify.WebAuthnCredential{CredentialID: cred, PublicKey: []byte("pk"), UserHandle: []byte("uh-" + sub.ID), BackupEligible: true, AAGUID: "00000000-0000-0000-0000-000000000000", RelyingPartyID: "example.org"}
		m.IdentityUserID = sub.ID
	}
	if typ == verify.TypeRecoveryCode || typ == verify.TypePassword {
		m.Name = ""
	}
	if typ == verify.TypePhone {
		m.PhoneNumber, m.PreferredAuthenticationMethod = "+15551234567", "sms"
	}
	if typ == verify.TypeEmail {
		m.Email = sub.ID + "@example.com"
	}
	if typ == verify.TypePassword {
		m.IdentityUserID = sub.ID
	}
	rec, err := m.Record()
	require.NoError(t, err)
	rec.Secret, rec.CredentialID, rec.Counter = []byte(secret), cred, 7
	require.NoError(t, f.store.Commit(context.Background(), store.Commit{SessionID: "enroll-" + id, SessionExpires: f.clock.Now().Add(time.Minute), Method: rec}))
	return m
}

func challengePath(id string) string {
	return "/me/v1/authentication-methods/" + escape(id) + "/challenge"
}

func authenticatePath(id string) string {
	return "/me/v1/authentication-methods/" + escape(id) + "/authenticate"
}

// requireSignInProblem checks an error answer of a sign-in route: its
// status and type, the spec's ErrorResponse schema, the rate-limit headers.
func requireSignInProblem(t testing.TB, rec *httptest.ResponseRecorder, status int, typ string) problem {
	t.Helper()
	p := requireProblem(t, rec, status, typ)
	require.NoError(t, spectest.CheckSchema("ErrorResponse", rec.Body.Bytes()), rec.Body.String())
	assert.Equal(t, status, p.Status)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	requireRateLimitHeaders(t, rec)
	return p
}

func requireRateLimitHeaders(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	for _, h := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"} {
		assert.NotEmpty(t, rec.Header().Get(h), h)
	}
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

// schemaOf is the spec's component schema of a method type.
var schemaOf = map[verify.Type]string{
	verify.TypePassword:         "AuthenticationMethodPassword",
	verify.TypePasskey:          "AuthenticationMethodPasskey",
	verify.TypeWebAuthnPlatform: "AuthenticationMethodWebAuthnPlatform",
	verify.TypeWebAuthnRoaming:  "AuthenticationMethodWebAuthnRoaming",
	verify.TypeTOTP:             "AuthenticationMethodMfaTotp",
	verify.TypePhone:            "AuthenticationMethodPhone",
	verify.TypeEmail:            "AuthenticationMethodEmail",
	verify.TypePushNotification: "AuthenticationMethodMfaPushNotification",
	verify.TypeRecoveryCode:     "AuthenticationMethodMfaRecoveryCode",
}

type challengeAnswer struct {
	AuthSession          string         `json:"auth_session"`
	AuthnParamsPublicKey jsontext.Value `json:"authn_params_public_key"`
}

type stepUpAnswer struct {
	AuthenticationMethod jsontext.Value `json:"authentication_method"`
	RecoveryCode         string         `json:"recovery_code"`
}

// stepUpChallenge asks for a challenge of method id and checks the answer.
func (f *fixture) stepUpChallenge(t testing.TB, token, id string) challengeAnswer {
	t.Helper()
	rec := f.do(t, req{path: challengePath(id), token: token, ctype: "-"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	requireRateLimitHeaders(t, rec)
	var ch challengeAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ch))
	require.True(t, strings.HasPrefix(ch.AuthSession, "Fe26.2*"), ch.AuthSession)
	return ch
}

func authenticateBody(session, member, value string) string {
	b, _ := json.Marshal(map[string]string{"auth_session": session, member: value})
	return string(b)
}

// stepUp authenticates with method m and checks the 200 answer against
// the spec's schema of m's type.
func (f *fixture) stepUp(t testing.TB, token string, m verify.Method, body string) stepUpAnswer {
	t.Helper()
	rec := f.do(t, req{path: authenticatePath(m.ID), token: token, body: body})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	requireRateLimitHeaders(t, rec)
	var a stepUpAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
	require.NoError(t, spectest.CheckSchema(schemaOf[m.Type], a.AuthenticationMethod), string(a.AuthenticationMethod))
	require.NoError(t, spectest.CheckSchema("AuthenticationMethod", a.AuthenticationMethod), string(a.AuthenticationMethod))
	return a
}

// TestStepUpSignInWithTOTP: a challenge and an authentication with a TOTP
// method answer 200 with the method and its last_auth_at, which GET and
// the list show afterwards; the same code again, in a new session, is a
// replay, answered 400, as is the session's second use (SI-01, SI-11).
func TestStepUpSignInWithTOTP(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
	assert.Nil(t, ch.AuthnParamsPublicKey)
	f.clock.Advance(time.Second)
	a := f.stepUp(t, aliceSignIn, m, authenticateBody(ch.AuthSession, "otp_code", theCode))
	var got map[string]any
	require.NoError(t, json.Unmarshal(a.AuthenticationMethod, &got))
	assert.Equal(t, m.ID, got["id"])
	assert.Equal(t, stamp(f.clock.Now()), got["last_auth_at"])
	assert.Empty(t, a.RecoveryCode)

	rec := f.do(t, req{method: http.MethodGet, path: "/me/v1/authentication-methods/" + escape(m.ID), token: aliceSignIn})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"last_auth_at":"`+stamp(f.clock.Now())+`"`)
	rec = f.do(t, req{method: http.MethodGet, path: "/me/v1/authentication-methods", token: aliceSignIn})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"last_auth_at":"`+stamp(f.clock.Now())+`"`)

	again := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "otp_code", theCode)})
	requireSignInProblem(t, again, http.StatusBadRequest, httpapi.ProblemSessionUsed)

	ch = f.stepUpChallenge(t, aliceSignIn, m.ID)
	replay := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "otp_code", theCode)})
	p := requireSignInProblem(t, replay, http.StatusBadRequest, httpapi.ProblemInvalidProof)
	assert.Equal(t, "The verification failed", p.Detail)
	assert.Contains(t, f.logs.String(), `"reason":"replay"`)
}

// TestStepUpOfAnotherUsersMethodIsNotFound: bob's challenge or
// authentication for alice's method answers the 404 of an unknown id.
func TestStepUpOfAnotherUsersMethodIsNotFound(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	other := requireSignInProblem(t, f.do(t, req{path: challengePath(m.ID), token: bobSignIn, ctype: "-"}), http.StatusNotFound, httpapi.ProblemNotFound)
	unknown := requireSignInProblem(t, f.do(t, req{path: challengePath("totp|dev_unknown"), token: bobSignIn, ctype: "-"}), http.StatusNotFound, httpapi.ProblemNotFound)
	assert.Equal(t, unknown, other)

	ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
	rec := f.do(t, req{path: authenticatePath(m.ID), token: bobSignIn, body: authenticateBody(ch.AuthSession, "otp_code", theCode)})
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidSession)
	f.stepUp(t, aliceSignIn, m, authenticateBody(ch.AuthSession, "otp_code", theCode))
}

// TestSignInRoutesRequireTheirScope: the step-up routes require
// authenticate:me:authentication_methods and no other scope; without
// credentials they answer 401.
func TestSignInRoutesRequireTheirScope(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	for _, path := range []string{challengePath(m.ID), authenticatePath(m.ID)} {
		rec := f.do(t, req{path: path, token: aliceToken, body: "{}"})
		p := requireSignInProblem(t, rec, http.StatusForbidden, httpapi.ProblemInsufficientScope)
		assert.Equal(t, "The access token lacks the scope "+httpapi.ScopeAuthenticateMethods, p.Detail)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `scope="authenticate:me:authentication_methods"`)
		rec = f.do(t, req{path: path, body: "{}"})
		requireSignInProblem(t, rec, http.StatusUnauthorized, httpapi.ProblemUnauthorized)
	}
	assert.Contains(t, httpapi.AllScopes(), httpapi.ScopeAuthenticateMethods)
}

// TestChallengeTakesNoMembers: a challenge has no body or {}; a member, or
// another media type, is refused.
func TestChallengeTakesNoMembers(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	rec := f.do(t, req{path: challengePath(m.ID), token: aliceSignIn, body: "{}"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = f.do(t, req{path: challengePath(m.ID), token: aliceSignIn, body: `{"type":"totp"}`})
	p := requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
	require.Len(t, p.ValidationErrors, 1)
	assert.Equal(t, "/type", p.ValidationErrors[0].Pointer)
	rec = f.do(t, req{path: challengePath(m.ID), token: aliceSignIn, body: "{}", ctype: "text/plain"})
	requireSignInProblem(t, rec, http.StatusUnsupportedMediaType, httpapi.ProblemUnsupportedMediaType)
}

// TestAuthenticateBodyIsStrict: the authenticate body is decoded as
// strictly as the enrollment bodies: unknown, repeated, null or mistyped
// members, two proofs, oversized values and a malformed assertion are
// refused with a validation error naming the member, before the service.
func TestAuthenticateBodyIsStrict(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
	s := ch.AuthSession
	assertion := func(extra string) string {
		return `{"auth_session":"` + s + `","authn_response":{"id":"Y3JlZA","rawId":"Y3JlZA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"` + extra + `}}}`
	}
	for _, tc := range []struct {
		name, body, pointer string
	}{
		{"unknown member", `{"auth_session":"` + s + `","otp_code":"` + theCode + `","new_password":"x"}`, "/new_password"},
		{"repeated member", `{"auth_session":"` + s + `","otp_code":"1","otp_code":"` + theCode + `"}`, "/otp_code"},
		{"null proof", `{"auth_session":"` + s + `","otp_code":null}`, "/otp_code"},
		{"number proof", `{"auth_session":"` + s + `","otp_code":314159}`, "/otp_code"},
		{"no auth_session", `{"otp_code":"` + theCode + `"}`, "/auth_session"},
		{"long auth_session", `{"auth_session":"` + strings.Repeat("A", 4097) + `","otp_code":"1"}`, "/auth_session"},
		{"long otp_code", `{"auth_session":"` + s + `","otp_code":"` + strings.Repeat("1", 65) + `"}`, "/otp_code"},
		{"empty password", `{"auth_session":"` + s + `","password":""}`, "/password"},
		{"two proofs", `{"auth_session":"` + s + `","otp_code":"` + theCode + `","password":"x"}`, ""},
		{"not an object", `["auth_session"]`, ""},
		{"assertion member", assertion(`,"attestationObject":"AA"`), "/authn_response/response/attestationObject"},
		{"assertion type", strings.Replace(assertion(""), `"public-key"`, `"password"`, 1), "/authn_response/type"},
		{"assertion long signature", assertion(`,"userHandle":"` + strings.Repeat("A", 89) + `"`), "/authn_response/response/userHandle"},
		{"assertion not an object", `{"auth_session":"` + s + `","authn_response":"x"}`, "/authn_response"},
		{"trailing data", `{"auth_session":"` + s + `","otp_code":"1"} {}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: tc.body})
			p := requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
			require.NotEmpty(t, p.ValidationErrors, rec.Body.String())
			assert.Equal(t, tc.pointer, p.ValidationErrors[0].Pointer, rec.Body.String())
			assert.NotContains(t, rec.Body.String(), theCode)
		})
	}
	// None of it counted an attempt: the session still signs in.
	f.stepUp(t, aliceSignIn, m, authenticateBody(s, "otp_code", theCode))

	// A proof of another kind than the session's type is the service's
	// refusal, with the member it wants.
	ch = f.stepUpChallenge(t, aliceSignIn, m.ID)
	rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "recovery_code", "ABCD")})
	p := requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
	require.Len(t, p.ValidationErrors, 1)
	assert.Equal(t, "/otp_code", p.ValidationErrors[0].Pointer)
	rec = f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: "{}", ctype: "application/x-www-form-urlencoded"})
	requireSignInProblem(t, rec, http.StatusUnsupportedMediaType, httpapi.ProblemUnsupportedMediaType)
	rec = f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: `{"auth_session":"` + strings.Repeat("A", 70<<10) + `"}`})
	requireSignInProblem(t, rec, http.StatusRequestEntityTooLarge, httpapi.ProblemPayloadTooLarge)
}

// TestStepUpAttemptsAreLimited: five wrong codes void the session.
func TestStepUpAttemptsAreLimited(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
	for range verify.DefaultMaxAttempts {
		rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "otp_code", "000000")})
		requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidProof)
	}
	rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "otp_code", theCode)})
	p := requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemTooManyAttempts)
	assert.Equal(t, "Too many attempts; request a new challenge", p.Detail)
}

// TestStepUpWithEveryProof: each type signs in with its own proof member
// (push with the auth_session alone), and each answer is the spec's
// schema of the type; a recovery code's answer carries the code that
// replaces it, which works once, while the used one never works again.
func TestStepUpWithEveryProof(t *testing.T) {
	f := newSignInFixture(t, options{})
	for _, tc := range []struct {
		typ           verify.Type
		secret, proof string
		member        string
	}{
		{verify.TypeTOTP, "s", theCode, "otp_code"},
		{verify.TypeEmail, "s", theCode, "otp_code"},
		{verify.TypePhone, "s", theCode, "otp_code"},
		{verify.TypePassword, "s", thePassword, "password"},
		{verify.TypeRecoveryCode, "OLDCODE", "OLDCODE", "recovery_code"},
		{verify.TypePushNotification, "s", "", ""},
		{verify.TypeWebAuthnRoaming, "", "", "authn_response"},
		{verify.TypeWebAuthnPlatform, "", "", "authn_response"},
		{verify.TypePasskey, "", "", "authn_response"},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			m := f.save(t, alice, tc.typ, tc.secret)
			ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
			body := `{"auth_session":"` + ch.AuthSession + `"}`
			switch {
			case tc.typ.WebAuthn():
				require.Contains(t, string(ch.AuthnParamsPublicKey), base64.RawURLEncoding.EncodeToString(m.WebAuthn.CredentialID))
				body = `{"auth_session":"` + ch.AuthSession + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, goodSig) + `}`
			case tc.member != "":
				body = authenticateBody(ch.AuthSession, tc.member, tc.proof)
			}
			a := f.stepUp(t, aliceSignIn, m, body)
			if tc.typ != verify.TypePassword { // the password schema has no last_auth_at
				assert.Contains(t, string(a.AuthenticationMethod), `"last_auth_at":"`)
			}
			if tc.typ != verify.TypeRecoveryCode {
				assert.Empty(t, a.RecoveryCode)
				return
			}
			assert.Equal(t, "NEXTOLDCODE", a.RecoveryCode)
			ch = f.stepUpChallenge(t, aliceSignIn, m.ID)
			rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "recovery_code", "OLDCODE")})
			requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidProof)
			a = f.stepUp(t, aliceSignIn, m, authenticateBody(ch.AuthSession, "recovery_code", "NEXTOLDCODE"))
			assert.Equal(t, "NEXTNEXTOLDCODE", a.RecoveryCode)
		})
	}
}

// assertionJSON is an AuthenticationResponseJSON for the credential id,
// with signature sig.
func assertionJSON(id []byte, sig string) string {
	b := base64.RawURLEncoding.EncodeToString(id)
	return `{"id":"` + b + `","rawId":"` + b + `","type":"public-key","authenticatorAttachment":"platform","clientExtensionResults":{},` +
		`"response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0","authenticatorData":"SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ","signature":"` + sig + `","userHandle":"dWg"}}`
}

// passkeyFixture is a sign-in fixture with the usernameless routes
// mounted at the root of a mux, beside the API.
type passkeyFixture struct {
	*fixture
	mux *http.ServeMux
}

func newPasskeyFixture(t testing.TB, o options) *passkeyFixture {
	t.Helper()
	f := newSignInFixture(t, o)
	ph, err := f.h.PasskeySignIn()
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/me/v1/", f.h)
	mux.Handle("/passkey/", ph)
	return &passkeyFixture{fixture: f, mux: mux}
}

// anon sends an anonymous request from ip.
func (f *passkeyFixture) anon(method, path, body, ip string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://id.example.com"+path, strings.NewReader(body))
	r.RemoteAddr = ip + ":4711"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, r)
	return rec
}

type passkeyAnswer struct {
	UserID               string         `json:"user_id"`
	AuthenticationMethod jsontext.Value `json:"authentication_method"`
}

func (f *passkeyFixture) challenge(t testing.TB, ip string) challengeAnswer {
	t.Helper()
	rec := f.anon(http.MethodPost, "/passkey/challenge", "", ip)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	requireRateLimitHeaders(t, rec)
	var ch challengeAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ch))
	require.NotEmpty(t, ch.AuthSession)
	return ch
}

// TestUsernamelessPasskeySignIn: anonymous POST /passkey/challenge answers
// a session and request options with no allowed credential; POST
// /passkey/authenticate with an assertion answers the owner and the
// method, in the spec's passkey schema, with its last_auth_at.
//
// Checklist: SI-10.
func TestUsernamelessPasskeySignIn(t *testing.T) {
	f := newPasskeyFixture(t, options{})
	f.save(t, alice, verify.TypePasskey, "")
	m := f.save(t, bob, verify.TypePasskey, "")
	ch := f.challenge(t, "198.51.100.1")
	var opts struct {
		Challenge        string `json:"challenge"`
		AllowCredentials []any  `json:"allowCredentials"`
	}
	require.NoError(t, json.Unmarshal(ch.AuthnParamsPublicKey, &opts))
	assert.NotEmpty(t, opts.Challenge)
	assert.Empty(t, opts.AllowCredentials)

	body := `{"auth_session":"` + ch.AuthSession + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, goodSig) + `}`
	rec := f.anon(http.MethodPost, "/passkey/authenticate", body, "198.51.100.1")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	requireRateLimitHeaders(t, rec)
	var a passkeyAnswer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
	assert.Equal(t, bob.ID, a.UserID)
	require.NoError(t, spectest.CheckSchema("AuthenticationMethodPasskey", a.AuthenticationMethod), string(a.AuthenticationMethod))
	assert.Contains(t, string(a.AuthenticationMethod), `"id":"`+m.ID+`"`)
	assert.Contains(t, string(a.AuthenticationMethod), `"last_auth_at":"`)

	// The assertion again: the session is used (400).
	rec = f.anon(http.MethodPost, "/passkey/authenticate", body, "198.51.100.1")
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemSessionUsed)
	// A step-up session does not open here, nor this one for a step-up.
	su := f.stepUpChallenge(t, bobSignIn, m.ID)
	rec = f.anon(http.MethodPost, "/passkey/authenticate", strings.Replace(body, ch.AuthSession, su.AuthSession, 1), "198.51.100.1")
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidSession)
	ch = f.challenge(t, "198.51.100.1")
	rec = f.do(t, req{path: authenticatePath(m.ID), token: bobSignIn, body: `{"auth_session":"` + ch.AuthSession + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, goodSig) + `}`})
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidSession)
	// An enrollment session does not open here either.
	en := f.start(t, aliceToken, `{"type":"passkey"}`)
	rec = f.anon(http.MethodPost, "/passkey/authenticate", `{"auth_session":"`+en.AuthSession+`","authn_response":`+assertionJSON(m.WebAuthn.CredentialID, goodSig)+`}`, "198.51.100.1")
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidSession)
}

// TestPasskeyAnswersAlikeForUnknownCredentials: an assertion naming an
// unknown credential and one with a bad signature for an existing one get
// the same answer, byte for byte, and the same log record (SI-10).
//
// Checklist: SI-03.
func TestPasskeyAnswersAlikeForUnknownCredentials(t *testing.T) {
	f := newPasskeyFixture(t, options{})
	m := f.save(t, alice, verify.TypePasskey, "")
	answer := func(cred []byte, sig string) (*httptest.ResponseRecorder, string) {
		ch := f.challenge(t, "198.51.100.2")
		before := len(f.logs.String())
		rec := f.anon(http.MethodPost, "/passkey/authenticate", `{"auth_session":"`+ch.AuthSession+`","authn_response":`+assertionJSON(cred, sig)+`}`, "198.51.100.2")
		requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidProof)
		return rec, regexp.MustCompile(`"time":"[^"]*"`).ReplaceAllString(f.logs.String()[before:], "")
	}
	unknown, unknownLog := answer([]byte("no such credential"), goodSig)
	badSig, badSigLog := answer(m.WebAuthn.CredentialID, "AAAA")
	assert.Equal(t, unknown.Body.String(), badSig.Body.String())
	assert.Equal(t, unknown.Header().Get("X-Ratelimit-Limit"), badSig.Header().Get("X-Ratelimit-Limit"))
	assert.Equal(t, unknownLog, badSigLog)
	assert.NotContains(t, badSigLog, alice.ID, "the log does not name the credential's owner")
}

// TestPasskeyRoutesAreLimitedPerIP: the 61st challenge in a minute from one
// address is refused with 429 and Retry-After; another address, and the
// authenticate route, have their own buckets (SI-10).
func TestPasskeyRoutesAreLimitedPerIP(t *testing.T) {
	f := newPasskeyFixture(t, options{})
	for i := range httpapi.DefaultAnonymousRateLimit().Requests {
		rec := f.anon(http.MethodPost, "/passkey/challenge", "", "203.0.113.9")
		require.Equal(t, http.StatusOK, rec.Code, "request %d: %s", i+1, rec.Body.String())
		assert.Equal(t, "60", rec.Header().Get("X-Ratelimit-Limit"))
	}
	rec := f.anon(http.MethodPost, "/passkey/challenge", "", "203.0.113.9")
	requireSignInProblem(t, rec, http.StatusTooManyRequests, httpapi.ProblemRateLimited)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Equal(t, "0", rec.Header().Get("X-Ratelimit-Remaining"))

	f.challenge(t, "203.0.113.10")
	rec = f.anon(http.MethodPost, "/passkey/authenticate", `{"auth_session":"x","authn_response":{}}`, "203.0.113.9")
	requireSignInProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)

	// IPv6 addresses share their /64.
	for range 60 {
		f.anon(http.MethodPost, "/passkey/challenge", "", "[2001:db8::1]")
	}
	rec = f.anon(http.MethodPost, "/passkey/challenge", "", "[2001:db8::2]")
	requireSignInProblem(t, rec, http.StatusTooManyRequests, httpapi.ProblemRateLimited)
}

// TestPasskeyRouteLimitIsConfigurable: RouteLimits sets a passkey route's
// per-IP limit.
func TestPasskeyRouteLimitIsConfigurable(t *testing.T) {
	f := newPasskeyFixture(t, options{cfg: func(c *httpapi.Config) {
		c.RouteLimits = map[string]verify.Limit{httpapi.OpPasskeyChallenge: {Requests: 2, Window: time.Minute}}
	}})
	f.challenge(t, "203.0.113.1")
	f.challenge(t, "203.0.113.1")
	requireSignInProblem(t, f.anon(http.MethodPost, "/passkey/challenge", "", "203.0.113.1"), http.StatusTooManyRequests, httpapi.ProblemRateLimited)
}

// TestPasskeyRoutesRefuseOtherMethodsAndPaths: GET on a passkey route is
// 405 with Allow: POST; another path 404; a query parameter 400; a
// challenge with a member 400.
func TestPasskeyRoutesRefuseOtherMethodsAndPaths(t *testing.T) {
	f := newPasskeyFixture(t, options{})
	rec := f.anon(http.MethodGet, "/passkey/challenge", "", "192.0.2.50")
	requireSignInProblem(t, rec, http.StatusMethodNotAllowed, httpapi.ProblemMethodNotAllowed)
	assert.Equal(t, "POST", rec.Header().Get("Allow"))
	requireSignInProblem(t, f.anon(http.MethodPost, "/passkey/register", "{}", "192.0.2.50"), http.StatusNotFound, httpapi.ProblemNotFound)
	requireSignInProblem(t, f.anon(http.MethodPost, "/passkey/challenge?user=alice", "", "192.0.2.50"), http.StatusBadRequest, httpapi.ProblemInvalidRequest)
	requireSignInProblem(t, f.anon(http.MethodPost, "/passkey/challenge", `{"username":"alice"}`, "192.0.2.50"), http.StatusBadRequest, httpapi.ProblemInvalidRequest)
	rec = f.anon(http.MethodPost, "/passkey/challenge", "{}", "192.0.2.50")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

// onlyVerifier is a Verifier that serves neither management nor sign-in.
type onlyVerifier struct{ verify.Verifier }

// TestSignInRoutesNeedASignInService: without a SignInService the step-up
// paths do not exist and PasskeySignIn fails.
func TestSignInRoutesNeedASignInService(t *testing.T) {
	f := newSignInFixture(t, options{})
	h, err := httpapi.New(httpapi.Config{Verifier: onlyVerifier{f.svc}, Authenticator: signInTokens(t), Limiter: ratelimit.Unlimited(nil), BaseURL: base})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, base+"/authentication-methods/totp%7Cdev_1/challenge", nil)
	r.Header.Set("Authorization", "Bearer "+aliceSignIn)
	h.ServeHTTP(rec, r)
	requireSignInProblem(t, rec, http.StatusNotFound, httpapi.ProblemNotFound)
	_, err = h.PasskeySignIn()
	require.ErrorContains(t, err, "Config.SignIn")
	// With Config.SignIn the routes are back.
	h, err = httpapi.New(httpapi.Config{Verifier: onlyVerifier{f.svc}, SignIn: f.svc, Authenticator: signInTokens(t), Limiter: ratelimit.Unlimited(nil), BaseURL: base})
	require.NoError(t, err)
	_, err = h.PasskeySignIn()
	require.NoError(t, err)
}

// TestSignInOutageIs500: a store failure at the sign-in's write is a 500
// with the generic detail and the cause in the log only; the session is
// not consumed.
func TestSignInOutageIs500(t *testing.T) {
	f := newSignInFixture(t, options{})
	m := f.save(t, alice, verify.TypeTOTP, "secret")
	ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
	f.store.failSignIn.Store(true)
	rec := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: authenticateBody(ch.AuthSession, "otp_code", theCode)})
	p := requireSignInProblem(t, rec, http.StatusInternalServerError, httpapi.ProblemInternal)
	assert.Equal(t, "An internal error occurred", p.Detail)
	assert.Contains(t, f.logs.String(), "save sign-in: unexpected EOF")
	f.store.failSignIn.Store(false)
	f.stepUp(t, aliceSignIn, m, authenticateBody(ch.AuthSession, "otp_code", theCode))
	assert.Equal(t, 0, strings.Count(f.logs.String(), fmt.Sprintf("%q", theCode)))
}

// testIDs numbers the method ids the fixtures make.
var testIDs atomic.Int64

// newID returns a fresh method id of typ, shaped as the Service's.
func newID(typ verify.Type) string {
	return fmt.Sprintf("%s|dev_test%012d", typ, testIDs.Add(1))
}

// stamp formats t as the spec's date-time fields are written.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
