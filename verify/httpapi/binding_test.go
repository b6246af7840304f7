package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The HTTP adapter's binding and outcome rows of SECURITY-CHECKLIST (GN-*,
// AS-14, AS-15), one test each.

// GN-02: the token's subject is the session's subject and the method's owner.
//
// Cross-user matrix over every method type: bob's auth_session with
// alice's token is refused, at bob's path and at a path of alice's.
func TestAnotherUsersSessionIsRefusedForEveryType(t *testing.T) {
	f := newFixture(t, options{})
	for _, typ := range verify.Types() {
		t.Run(string(typ), func(t *testing.T) {
			eb := f.start(t, bobToken, startBodies[typ])
			ea := f.start(t, aliceToken, startBodies[typ])
			body := verifyBody(eb.AuthSession, proofs[typ.Proof()])
			requireProblem(t, f.do(t, req{path: verifyPath(eb.ID), token: aliceToken, body: body}), 400, httpapi.ProblemInvalidSession)
			requireProblem(t, f.do(t, req{path: verifyPath(ea.ID), token: aliceToken, body: body}), 400, httpapi.ProblemInvalidSession)
		})
	}
	assert.Zero(t, f.methods(t, alice))
	assert.Zero(t, f.methods(t, bob))
	for _, e := range f.engines {
		assert.Zero(t, e.confirms.Load(), "binding fails before the engine runs")
	}
}

// GN-03: the path id is used verbatim, decoded exactly once.
func TestPathIDIsDecodedOnce(t *testing.T) {
	f := newFixture(t, options{})
	e := f.start(t, aliceToken, `{"type":"phone","phone_number":"+15551234567"}`)
	require.True(t, strings.HasPrefix(e.ID, "phone|dev_"))
	raw := strings.TrimPrefix(e.ID, "phone|")
	body := verifyBody(e.AuthSession, proofs["otp_code"])
	// Double-encoded: decoded once to "phone%7Cdev_…", bound to no session.
	requireProblem(t, f.do(t, req{path: "/me/v1/authentication-methods/phone%257C" + raw + "/verify", token: aliceToken, body: body}),
		400, httpapi.ProblemInvalidSession)
	rec := f.do(t, req{path: "/me/v1/authentication-methods/phone%7C" + raw + "/verify", token: aliceToken, body: body})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Equal(t, base+"/authentication-methods/phone%7C"+raw, rec.Header().Get("Location"))
}

// GN-04: the body schema is the method type's.
func TestProofOfAnotherTypeIsRefused(t *testing.T) {
	f := newFixture(t, options{})
	for _, typ := range verify.Types() {
		e := f.start(t, aliceToken, startBodies[typ])
		for p, proof := range proofs {
			if p == typ.Proof() {
				continue
			}
			rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proof)})
			requireProblem(t, rec, 400, httpapi.ProblemInvalidRequest)
		}
		// An extra, unknown field is refused before the service.
		rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: `{"auth_session":"` + e.AuthSession + `"` + proofs[typ.Proof()] + `,"extra":1}`})
		requireProblem(t, rec, 400, httpapi.ProblemInvalidRequest)
		// The right proof still works: the refusals used nothing up (the
		// service checks the shape before it counts an attempt).
		rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs[typ.Proof()])})
		require.Equal(t, http.StatusCreated, rec.Code, "%s: %s", typ, rec.Body.String())
	}
}

// GN-05: confirming twice answers 409 and leaves one record.
//
// The password engine confirms to a fixed id: a second enrollment
// confirmed with a fresh, valid auth_session conflicts.
func TestSecondConfirmConflicts(t *testing.T) {
	f := newFixture(t, options{})
	e1 := f.start(t, aliceToken, `{"type":"password"}`)
	e2 := f.start(t, aliceToken, `{"type":"password"}`)
	rec := f.do(t, req{path: verifyPath(e1.ID), token: aliceToken, body: verifyBody(e1.AuthSession, proofs["new_password"])})
	require.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, base+"/authentication-methods/password%7Cauth0%7Calice", rec.Header().Get("Location"))
	rec = f.do(t, req{path: verifyPath(e2.ID), token: aliceToken, body: verifyBody(e2.AuthSession, proofs["new_password"])})
	requireProblem(t, rec, http.StatusConflict, httpapi.ProblemConflict)
	assert.Equal(t, 1, f.methods(t, alice))

	// The same for an engine of another type that confirms to a fixed
	// id, and every other way of confirming a method again: replaying
	// its auth_session (400 session_already_used), or posting a fresh
	// session to the confirmed method's path (400 invalid_session, the
	// session is bound to its own pending id). One record throughout.
	g := newFixture(t, options{})
	g.engines[verify.TypeTOTP].methodID = "totp|dev_fixed"
	first := g.start(t, aliceToken, `{"type":"totp"}`)
	again := g.start(t, aliceToken, `{"type":"totp"}`)
	rec = g.do(t, req{path: verifyPath(first.ID), token: aliceToken, body: verifyBody(first.AuthSession, proofs["otp_code"])})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Equal(t, base+"/authentication-methods/totp%7Cdev_fixed", rec.Header().Get("Location"))
	for range 2 { // a refused commit consumes nothing: the answer stays 409
		rec = g.do(t, req{path: verifyPath(again.ID), token: aliceToken, body: verifyBody(again.AuthSession, proofs["otp_code"])})
		p := requireProblem(t, rec, http.StatusConflict, httpapi.ProblemConflict)
		assert.Equal(t, "The authentication method already exists or was changed concurrently", p.Detail)
	}
	rec = g.do(t, req{path: verifyPath(first.ID), token: aliceToken, body: verifyBody(first.AuthSession, proofs["otp_code"])})
	requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemSessionUsed)
	fresh := g.start(t, aliceToken, `{"type":"recovery-code"}`)
	rec = g.do(t, req{path: verifyPath("totp|dev_fixed"), token: aliceToken, body: verifyBody(fresh.AuthSession, "")})
	requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidSession)
	assert.Equal(t, 1, g.methods(t, alice))
}

// GN-07: every attempt is logged, without secrets.
func TestEveryAttemptIsLoggedWithoutSecrets(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, options{
		cfg: func(c *httpapi.Config) { c.Logger = logger },
		svc: func(c *verify.Config) { c.Observer = verify.SlogObserver(logger) },
	})
	var secrets []string
	for _, typ := range verify.Types() {
		e := f.start(t, aliceToken, startBodies[typ])
		secrets = append(secrets, e.AuthSession)
		wrong := map[string]string{
			"otp_code":       `,"otp_code":"271828"`,
			"new_password":   `,"new_password":"hunter2 is my password"`,
			"authn_response": `,"authn_response":` + strings.Replace(goodAuthn, `"cred"`, `"secretcred"`, 1),
		}
		if w, ok := wrong[typ.Proof()]; ok {
			f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, w)})
		}
		f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs[typ.Proof()])})
		f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs[typ.Proof()])})
	}
	f.do(t, req{path: createPath, token: "wrong-token-0123456789abcdef", body: `{"type":"totp"}`})
	f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"totp","password":"hunter3"}`})
	out := logs.String()
	for _, want := range []string{`"reason":"wrong_proof"`, `"reason":"already_used"`, `"event":"enrollment_confirmed"`, `"user":"auth0|alice"`, `"status":401`} {
		assert.Contains(t, out, want)
	}
	for _, secret := range append(secrets, "Fe26.2*", theCode, "271828", thePassword, "hunter", "secretcred",
		aliceToken, "wrong-token", "JBSWY3DPEHPK3PXP", "ABCDEFGHJKMNPQRSTVWXYZ01") {
		assert.NotContains(t, out, secret)
	}
}

// GN-09: store, KMS and breach-check errors fail closed.
func TestStoreFailureFailsClosed(t *testing.T) {
	f := newFixture(t, options{})
	e := f.start(t, aliceToken, `{"type":"totp"}`)
	f.store.failCommit.Store(true)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs["otp_code"])})
	p := requireProblem(t, rec, http.StatusInternalServerError, httpapi.ProblemInternal)
	assert.Equal(t, "An internal error occurred", p.Detail)
	assert.NotContains(t, rec.Body.String(), "EOF")
	assert.Zero(t, f.methods(t, alice))
	assert.Contains(t, f.logs.String(), "unexpected EOF", "the cause is logged")
	// Nothing was consumed: once the store is back the same session confirms.
	f.store.failCommit.Store(false)
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs["otp_code"])})
	require.Equal(t, http.StatusCreated, rec.Code)
}

// AS-14: an auth_session is single use.
//
// Two concurrent confirms of one session: exactly one succeeds.
func TestConcurrentConfirmsOfOneSessionHaveOneSuccess(t *testing.T) {
	f := newFixture(t, options{})
	e := f.start(t, aliceToken, `{"type":"recovery-code"}`)
	const n = 8
	codes := make(chan int, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for range n {
		go func() {
			<-start
			hr := httptest.NewRequest(http.MethodPost, verifyPath(e.ID), strings.NewReader(verifyBody(e.AuthSession, "")))
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set("Authorization", "Bearer "+aliceToken)
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, hr)
			codes <- rec.Code
			done <- struct{}{}
		}()
	}
	close(start)
	for range n {
		<-done
	}
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	assert.Equal(t, map[int]int{201: 1, 400: n - 1}, got)
	assert.Equal(t, 1, f.methods(t, alice))
}

// AS-15: an auth_session is bound to its subject, method id, proof type and tenant.
func TestSessionOfAnotherUserOrMethodIsRefused(t *testing.T) {
	f := newFixture(t, options{})
	// (a) user A's session with user B's token.
	ea := f.start(t, aliceToken, `{"type":"totp"}`)
	rec := f.do(t, req{path: verifyPath(ea.ID), token: bobToken, body: verifyBody(ea.AuthSession, proofs["otp_code"])})
	requireProblem(t, rec, 400, httpapi.ProblemInvalidSession)
	// (b) the session of phone|dev_1 posted to phone|dev_2.
	p1 := f.start(t, aliceToken, startBodies[verify.TypePhone])
	p2 := f.start(t, aliceToken, startBodies[verify.TypePhone])
	rec = f.do(t, req{path: verifyPath(p2.ID), token: aliceToken, body: verifyBody(p1.AuthSession, proofs["otp_code"])})
	requireProblem(t, rec, 400, httpapi.ProblemInvalidSession)
	// (c) a TOTP session with a passkey authn_response.
	rec = f.do(t, req{path: verifyPath(ea.ID), token: aliceToken, body: verifyBody(ea.AuthSession, proofs["authn_response"])})
	requireProblem(t, rec, 400, httpapi.ProblemInvalidRequest)
	assert.Zero(t, f.methods(t, alice)+f.methods(t, bob))
}

// startBodies starts an enrollment of each type.
var startBodies = map[verify.Type]string{
	verify.TypePassword:         `{"type":"password"}`,
	verify.TypePasskey:          `{"type":"passkey"}`,
	verify.TypeWebAuthnPlatform: `{"type":"webauthn-platform"}`,
	verify.TypeWebAuthnRoaming:  `{"type":"webauthn-roaming"}`,
	verify.TypeTOTP:             `{"type":"totp"}`,
	verify.TypePhone:            `{"type":"phone","phone_number":"+15551234567"}`,
	verify.TypeEmail:            `{"type":"email","email":"alice@example.com"}`,
	verify.TypePushNotification: `{"type":"push-notification"}`,
	verify.TypeRecoveryCode:     `{"type":"recovery-code"}`,
}

// proofs is the right proof for each kind.
var proofs = map[string]string{
	"":               ``,
	"otp_code":       `,"otp_code":"` + theCode + `"`,
	"authn_response": `,"authn_response":` + goodAuthn,
	"new_password":   `,"new_password":"` + thePassword + `"`,
}

func verifyBody(session, proof string) string {
	return `{"auth_session":"` + session + `"` + proof + `}`
}

func (f *fixture) methods(t testing.TB, sub verify.Subject) int {
	t.Helper()
	ms, err := f.store.List(context.Background(), sub.ID)
	require.NoError(t, err)
	return len(ms)
}

// requireProblem checks the status and problem type of a response.
func requireProblem(t testing.TB, rec *httptest.ResponseRecorder, status int, typ string) problem {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	p := problemOf(t, rec)
	require.Equal(t, typ, p.Type, rec.Body.String())
	return p
}

// TestMisuse: every misuse is a 400 with a clear detail, and nothing is
// stored.
func TestMisuse(t *testing.T) {
	totp := proofs["otp_code"]
	tests := []struct {
		name   string
		run    func(t *testing.T, f *fixture) *httptest.ResponseRecorder
		typ    string
		detail string
	}{
		{"tampered auth_session", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			parts := strings.Split(e.AuthSession, "*")
			c := []byte(parts[4])
			c[3] ^= 1
			parts[4] = string(c)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(strings.Join(parts, "*"), totp)})
		}, httpapi.ProblemInvalidSession, "The auth_session is invalid"},
		{"not an auth_session", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody("Fe26.2**05c400ed...", totp)})
		}, httpapi.ProblemInvalidSession, "The auth_session is invalid"},
		{"empty auth_session", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody("", totp)})
		}, httpapi.ProblemInvalidRequest, "Invalid request payload input"},
		{"expired auth_session", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			f.clock.Advance(verify.DefaultSessionTTL)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		}, httpapi.ProblemSessionExpired, "The auth_session has expired; start the enrollment again"},
		{"another user's auth_session", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, bobToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		}, httpapi.ProblemInvalidSession, "The auth_session was not issued to this user"},
		{"another method id", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			other := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(other.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		}, httpapi.ProblemInvalidSession, "The auth_session was not issued for this authentication method"},
		{"payload of the wrong shape", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, proofs["authn_response"])})
		}, httpapi.ProblemInvalidRequest, "The payload does not match the authentication method type of the auth_session"},
		{"missing proof", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, "")})
		}, httpapi.ProblemInvalidRequest, "The payload does not match the authentication method type of the auth_session"},
		{"wrong code", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"000000"`)})
		}, httpapi.ProblemInvalidProof, "The verification failed"},
		{"wrong code once the attempts are used up", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			for range verify.DefaultMaxAttempts {
				rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"000000"`)})
				requireProblem(t, rec, 400, httpapi.ProblemInvalidProof)
			}
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"000000"`)})
		}, httpapi.ProblemTooManyAttempts, "Too many attempts; start the enrollment again"},
		{"right code once the attempts are used up", func(t *testing.T, f *fixture) *httptest.ResponseRecorder {
			e := f.start(t, aliceToken, `{"type":"totp"}`)
			for range verify.DefaultMaxAttempts {
				f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"000000"`)})
			}
			return f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		}, httpapi.ProblemTooManyAttempts, "Too many attempts; start the enrollment again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, options{})
			rec := tc.run(t, f)
			p := requireProblem(t, rec, http.StatusBadRequest, tc.typ)
			assert.Equal(t, tc.detail, p.Detail)
			assert.Zero(t, f.methods(t, alice), "nothing is stored")
			assert.Zero(t, f.methods(t, bob), "nothing is stored")
			assert.Empty(t, rec.Header().Get("Location"))
		})
	}

	t.Run("reused auth_session", func(t *testing.T) {
		f := newFixture(t, options{})
		e := f.start(t, aliceToken, `{"type":"totp"}`)
		rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		require.Equal(t, http.StatusCreated, rec.Code)
		first := rec.Body.String()
		rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, totp)})
		p := requireProblem(t, rec, 400, httpapi.ProblemSessionUsed)
		assert.Equal(t, "The auth_session has already been used", p.Detail)
		assert.Equal(t, 1, f.methods(t, alice), "the first confirm stands alone")
		m, err := f.store.Get(context.Background(), alice.ID, e.ID)
		require.NoError(t, err)
		assert.Contains(t, first, m.ID)
	})
}
