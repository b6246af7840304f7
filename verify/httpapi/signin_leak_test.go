package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// signInRecorder wraps the sign-in service and keeps the text of every
// error it returns, its whole chain, as a host logging them would.
type signInRecorder struct {
	httpapi.SignInService
	mu   sync.Mutex
	errs []string
}

func (r *signInRecorder) keep(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for e := err; e != nil; e = errors.Unwrap(e) {
		r.errs = append(r.errs, e.Error(), fmt.Sprintf("%+v", e))
		var ve *verify.Error
		if errors.As(e, &ve) {
			for _, f := range ve.Fields {
				r.errs = append(r.errs, f.Field+" "+f.Pointer+" "+f.Detail)
			}
		}
	}
}

func (r *signInRecorder) Challenge(ctx context.Context, sub verify.Subject, id string, c verify.Client) (*verify.SignInChallenge, error) {
	ch, err := r.SignInService.Challenge(ctx, sub, id, c)
	r.keep(err)
	return ch, err
}

func (r *signInRecorder) Authenticate(ctx context.Context, sub verify.Subject, id string, req verify.VerifyRequest, c verify.Client) (*verify.SignIn, error) {
	in, err := r.SignInService.Authenticate(ctx, sub, id, req, c)
	r.keep(err)
	return in, err
}

func (r *signInRecorder) ChallengePasskey(ctx context.Context, c verify.Client) (*verify.SignInChallenge, error) {
	ch, err := r.SignInService.ChallengePasskey(ctx, c)
	r.keep(err)
	return ch, err
}

func (r *signInRecorder) AuthenticatePasskey(ctx context.Context, req verify.VerifyRequest, c verify.Client) (*verify.SignIn, error) {
	in, err := r.SignInService.AuthenticatePasskey(ctx, req, c)
	r.keep(err)
	return in, err
}

// TestSignInLeaksNoSecret runs every sign-in path — step-up with each
// proof, usernameless passkey, wrong, replayed, tampered, foreign,
// malformed and exhausted attempts, an outage — with the service's events
// logged through verify.SlogObserver and the handler's records at Debug,
// and checks that no code, password, recovery code (used or new),
// assertion, auth_session or access token appears in a log record, an
// error chain, or an answer other than the one that shows a new recovery
// code once (SI-11, GN-07 at sign-in).
func TestSignInLeaksNoSecret(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{} // timestamps are digits the code regex would see
		}
		return a
	}}))
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	rec := &signInRecorder{}
	f := newPasskeyFixture(t, options{
		svc: func(c *verify.Config) { c.Observer = verify.SlogObserver(logger) },
		cfg: func(c *httpapi.Config) {
			c.Logger = logger
			rec.SignInService = c.Verifier.(httpapi.SignInService)
			c.SignIn = rec
		},
	})
	var secrets []string
	var answers []string
	answer := func(r *httptest.ResponseRecorder) *httptest.ResponseRecorder {
		answers = append(answers, r.Body.String())
		for name, vs := range r.Header() {
			answers = append(answers, name+": "+strings.Join(vs, ", "))
		}
		return r
	}
	secrets = append(secrets, theCode, thePassword, aliceSignIn, bobSignIn, goodSig, "424242", "wrong horse battery staple")
	post := func(path, token, body string) *httptest.ResponseRecorder {
		return answer(f.do(t, req{path: path, token: token, body: body}))
	}

	for _, tc := range []struct {
		typ    verify.Type
		secret string
		proof  func(session string, m verify.Method) string
		wrong  func(session string, m verify.Method) string
	}{
		{verify.TypeTOTP, "totp secret key", func(s string, _ verify.Method) string { return authenticateBody(s, "otp_code", theCode) },
			func(s string, _ verify.Method) string { return authenticateBody(s, "otp_code", "424242") }},
		{verify.TypeEmail, "email code hash", func(s string, _ verify.Method) string { return authenticateBody(s, "otp_code", theCode) },
			func(s string, _ verify.Method) string { return authenticateBody(s, "otp_code", "424242") }},
		{verify.TypePassword, "argon2id hash", func(s string, _ verify.Method) string { return authenticateBody(s, "password", thePassword) },
			func(s string, _ verify.Method) string {
				return authenticateBody(s, "password", "wrong horse battery staple")
			}},
		{verify.TypeRecoveryCode, "RECOVERYCODE0123456789AB", func(s string, _ verify.Method) string {
			return authenticateBody(s, "recovery_code", "RECOVERYCODE0123456789AB")
		},
			func(s string, _ verify.Method) string {
				return authenticateBody(s, "recovery_code", "WRONGCODE0123456789ABCDE")
			}},
		{verify.TypeWebAuthnRoaming, "", func(s string, m verify.Method) string {
			return `{"auth_session":"` + s + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, goodSig) + `}`
		}, func(s string, m verify.Method) string {
			return `{"auth_session":"` + s + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, "d3JvbmdzaWduYXR1cmU") + `}`
		}},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			m := f.save(t, alice, tc.typ, tc.secret)
			secrets = append(secrets, tc.secret, "d3JvbmdzaWduYXR1cmU", "WRONGCODE0123456789ABCDE")
			if tc.typ == verify.TypeRecoveryCode {
				secrets = append(secrets, "NEXT"+tc.secret)
			}
			ch := f.stepUpChallenge(t, aliceSignIn, m.ID)
			secrets = append(secrets, ch.AuthSession)
			for _, part := range strings.Split(ch.AuthSession, "*") {
				if len(part) >= 16 {
					secrets = append(secrets, part)
				}
			}
			require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), aliceSignIn, tc.wrong(ch.AuthSession, m)).Code)
			require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), aliceSignIn, tc.proof(ch.AuthSession[:len(ch.AuthSession)-8]+"AAAAAAAA", m)).Code)
			require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), bobSignIn, tc.proof(ch.AuthSession, m)).Code)
			require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), aliceSignIn, `{"auth_session":"`+ch.AuthSession+`","otp_code":"424242","password":"wrong horse battery staple"}`).Code)
			f.store.failSignIn.Store(true)
			require.Equal(t, http.StatusInternalServerError, post(authenticatePath(m.ID), aliceSignIn, tc.proof(ch.AuthSession, m)).Code)
			f.store.failSignIn.Store(false)
			ok := f.do(t, req{path: authenticatePath(m.ID), token: aliceSignIn, body: tc.proof(ch.AuthSession, m)})
			require.Equal(t, http.StatusOK, ok.Code, ok.Body.String())
			if tc.typ != verify.TypeRecoveryCode {
				answer(ok) // the new recovery code is shown in its own answer, once
			} else {
				assert.Contains(t, ok.Body.String(), `"recovery_code":"NEXT`+tc.secret+`"`)
				assert.NotContains(t, ok.Body.String(), `"`+tc.secret+`"`, "the used code is not echoed")
			}
			require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), aliceSignIn, tc.proof(ch.AuthSession, m)).Code, "replay")
			if tc.typ == verify.TypeTOTP { // the code again, in a new session: a replayed step
				ch = f.stepUpChallenge(t, aliceSignIn, m.ID)
				secrets = append(secrets, ch.AuthSession)
				require.Equal(t, http.StatusBadRequest, post(authenticatePath(m.ID), aliceSignIn, tc.proof(ch.AuthSession, m)).Code, "replay")
			}
			// Attempts used up.
			ch = f.stepUpChallenge(t, aliceSignIn, m.ID)
			secrets = append(secrets, ch.AuthSession)
			for range verify.DefaultMaxAttempts + 1 {
				post(authenticatePath(m.ID), aliceSignIn, tc.wrong(ch.AuthSession, m))
			}
		})
	}
	// Usernameless: success, unknown credential, bad signature, replay.
	m := f.save(t, bob, verify.TypePasskey, "")
	for _, sig := range []string{"d3JvbmdzaWduYXR1cmU", goodSig, goodSig} {
		ch := f.challenge(t, "198.51.100.7")
		secrets = append(secrets, ch.AuthSession)
		body := `{"auth_session":"` + ch.AuthSession + `","authn_response":` + assertionJSON(m.WebAuthn.CredentialID, sig) + `}`
		answer(f.anon(http.MethodPost, "/passkey/authenticate", body, "198.51.100.7"))
		ch = f.challenge(t, "198.51.100.7")
		secrets = append(secrets, ch.AuthSession)
		answer(f.anon(http.MethodPost, "/passkey/authenticate", `{"auth_session":"`+ch.AuthSession+`","authn_response":`+assertionJSON([]byte("no such credential"), sig)+`}`, "198.51.100.7"))
		secrets = append(secrets, assertionJSON(m.WebAuthn.CredentialID, sig))
	}

	text := logs.String()
	for _, want := range []string{`"event":"signed_in"`, `"event":"sign_in_failed"`, `"reason":"replay"`, `"reason":"too_many_attempts"`,
		`"reason":"subject_mismatch"`, `"reason":"session_unseal"`, `"reason":"already_used"`, `"status":500`, `"op":"passkeyAuthenticate"`} {
		assert.True(t, strings.Contains(text, want), "the run logged no %s", want)
	}
	haystacks := map[string]string{
		"logs":        text,
		"error chain": strings.Join(rec.errs, "\n"),
		"answers":     strings.Join(answers, "\n"),
	}
	for where, hay := range haystacks {
		for _, s := range secrets {
			if s != "" && strings.Contains(hay, s) {
				t.Errorf("%s contain the secret %q", where, s)
			}
		}
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`Fe26\.2\*`),                                          // an auth_session
		regexp.MustCompile(`\b\d{6}\b`),                                          // a six-digit code
		regexp.MustCompile(`(?i)"(signature|clientDataJSON|authenticatorData)"`), // an assertion
	} {
		for _, where := range []string{"logs", "error chain"} {
			assert.Empty(t, re.FindAllString(haystacks[where], 5), "%s match %s", where, re)
		}
	}
	t.Logf("%d log bytes, %d error strings, %d answers, %d secrets checked", len(text), len(rec.errs), len(answers), len(secrets))
}
