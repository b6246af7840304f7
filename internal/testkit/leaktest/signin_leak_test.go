package leaktest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// signInTypes are the types whose real engines sign in on this branch;
// passkey, webauthn-* and push-notification join with their engines.
var signInTypes = []verify.Type{verify.TypeTOTP, verify.TypeEmail, verify.TypePhone, verify.TypeRecoveryCode, verify.TypePassword}

// TestNoSecretLeaksAtSignIn: a full run of the step-up sign-in with the
// real engines — enroll, then challenge, wrong proof, tampered and foreign
// auth_session, two proofs, a store outage, the right proof, the session
// again, a replayed TOTP step, exhausted attempts — leaves no code,
// password, recovery code (used or new), auth_session, access token or key
// in a log record (handler, events, engines, slog.Default), an error chain
// or an answer, but for the one answer that shows a new recovery code
// (SI-11; GN-07 at sign-in).
func TestNoSecretLeaksAtSignIn(t *testing.T) {
	logs := &faulttest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{} // timestamps are digits the code regex would see
		}
		return a
	}}))
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	rec := &recorder{}
	k := faulttest.NewKit(t, faulttest.KitConfig{Logger: logger, Types: signInTypes, WrapVerifier: func(v verify.Verifier) verify.Verifier {
		rec.Verifier = v
		return rec
	}})
	var s secrets
	s.add("sealing password", k.SealPassword)
	s.addBytes("hash key", k.HashKey)

	// The sign-in routes, over the Kit's service, with tokens that carry
	// the sign-in scope.
	tokens := map[string]string{}
	token := func(sub string) string {
		if tok, ok := tokens[sub]; ok {
			return tok
		}
		tok := fmt.Sprintf("signin-token-%02d-0123456789abcdefghij", len(tokens))
		tokens[sub] = tok
		s.add("access token", tok)
		return tok
	}
	byToken := func(tok string) (string, bool) {
		for sub, t := range tokens {
			if t == tok {
				return sub, true
			}
		}
		return "", false
	}
	signIn := &signInErrors{rec: rec, SignInService: k.Service}
	h, err := httpapi.New(httpapi.Config{
		Verifier: k.Service, SignIn: signIn, Limiter: ratelimit.Unlimited(k.Clock.Now), BaseURL: faulttest.BaseURL, Logger: logger, Now: k.Clock.Now,
		Authenticator: httpapi.AuthenticatorFunc(func(r *http.Request) (httpapi.Principal, error) {
			tok, err := httpapi.BearerToken(r)
			if err != nil {
				return httpapi.Principal{}, err
			}
			sub, ok := byToken(tok)
			if !ok {
				return httpapi.Principal{}, &httpapi.AuthError{Code: httpapi.CodeInvalidToken, Description: "The access token is invalid"}
			}
			return httpapi.Principal{Subject: verify.Subject{ID: sub}, Scopes: []string{httpapi.ScopeAuthenticateMethods}}, nil
		}),
	})
	require.NoError(t, err)
	var answers []string
	statuses := map[string]int{}
	post := func(path, tok, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, faulttest.BaseURL+path, strings.NewReader(body))
		r.RemoteAddr = "192.0.2.7:4711"
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		key := fmt.Sprint(w.Code)
		if w.Code >= 400 {
			key += " " + faulttest.ProblemOf(t, w).Type
		}
		statuses[key]++
		return w
	}
	keep := func(w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
		answers = append(answers, w.Body.String())
		for name, vs := range w.Header() {
			answers = append(answers, name+": "+strings.Join(vs, ", "))
		}
		return w
	}
	body := func(session, member, value string) string {
		b, err := json.Marshal(map[string]string{"auth_session": session, member: value})
		require.NoError(t, err)
		return string(b)
	}
	intruder := token("auth0|intruder")

	for _, typ := range signInTypes {
		t.Run(string(typ), func(t *testing.T) {
			sub := "auth0|signin-" + string(typ)
			s.add("access token", k.Token(t, sub))
			e := k.Start(t, sub, typ)
			s.addEnrollment(t, e)
			w := k.Verify(t, e, k.Proof(t, e))
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			var m struct{ ID string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m))
			base := "/authentication-methods/" + url.PathEscape(m.ID)
			tok := token(sub)
			k.Clock.Advance(30 * time.Second) // a new TOTP step; sent codes stay valid

			challenge := func() string {
				w := post(base+"/challenge", tok, "") // hands out the auth_session, by design
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				var ch struct {
					AuthSession string `json:"auth_session"`
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ch))
				s.addToken("auth_session", ch.AuthSession)
				return ch.AuthSession
			}
			session := challenge()
			member, proof, wrong := "otp_code", "", ""
			switch typ {
			case verify.TypeTOTP:
				proof = k.TOTPCode(t, e)
				wrong = faulttest.WrongCode(proof)
			case verify.TypeEmail, verify.TypePhone:
				msg, ok := k.Outbox.Last(e.Destination)
				require.True(t, ok)
				proof, wrong = msg.Code, faulttest.WrongCode(msg.Code)
			case verify.TypeRecoveryCode:
				member, proof, wrong = "recovery_code", e.RecoveryCode, "ZZZZZZZZZZZZZZZZZZZZZZZZ"
				s.addRecoveryCode(wrong)
			case verify.TypePassword:
				member, proof, wrong = "password", e.Password, "not the password at all"
			}
			s.add("proof", proof)
			s.add("wrong proof", wrong)

			require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", tok, body(session, member, wrong))).Code)
			require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", tok, body(tamper(session), member, proof))).Code)
			require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", intruder, body(session, member, proof))).Code)
			two := `{"auth_session":"` + session + `","otp_code":"` + wrong + `","password":"` + proof + `"}`
			require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", tok, two)).Code)
			k.Store.Inject(faulttest.Fault{Op: faulttest.OpSignIn, Nth: 1})
			require.Equal(t, http.StatusInternalServerError, keep(post(base+"/authenticate", tok, body(session, member, proof))).Code)
			k.Store.Clear()
			ok := post(base+"/authenticate", tok, body(session, member, proof))
			require.Equal(t, http.StatusOK, ok.Code, ok.Body.String())
			if typ == verify.TypeRecoveryCode {
				var a struct {
					RecoveryCode string `json:"recovery_code"`
				}
				require.NoError(t, json.Unmarshal(ok.Body.Bytes(), &a))
				require.NotEmpty(t, a.RecoveryCode)
				assert.NotContains(t, ok.Body.String(), proof, "the used code is not echoed")
				s.addRecoveryCode(a.RecoveryCode) // shown in this answer only
			} else {
				keep(ok)
			}
			require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", tok, body(session, member, proof))).Code, "the session again")
			if typ == verify.TypeTOTP {
				require.Equal(t, http.StatusBadRequest, keep(post(base+"/authenticate", tok, body(challenge(), member, proof))).Code, "a replayed step")
			}
			session = challenge()
			for range verify.DefaultMaxAttempts + 1 {
				keep(post(base+"/authenticate", tok, body(session, member, wrong)))
			}
		})
	}
	for _, m := range k.Outbox.Messages() {
		s.add("sent code", m.Code)
	}

	text := logs.String()
	haystacks := map[string]string{
		"logs":        text,
		"error chain": strings.Join(rec.errs, "\n"),
		"answers":     strings.Join(answers, "\n"),
	}
	for where, hay := range haystacks {
		for i, v := range s.values {
			if strings.Contains(hay, v) {
				t.Errorf("%s contain a %s (%q)", where, s.names[i], v)
			}
		}
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`Fe26\.2\*`), // an auth_session
		regexp.MustCompile(`\b\d{6}\b`), // a six-digit code
	} {
		for _, where := range []string{"logs", "error chain"} {
			assert.Empty(t, re.FindAllString(haystacks[where], 5), "%s match %s", where, re)
		}
	}
	for _, want := range []string{"200", "400 invalid_proof", "400 invalid_session", "400 invalid_request",
		"400 session_already_used", "400 too_many_attempts", "500 internal_error"} {
		assert.Positive(t, statuses[want], "no answer %q in the run: %v", want, statuses)
	}
	for _, typ := range signInTypes {
		assert.True(t, strings.Contains(text, `"event":"signed_in","user":"auth0|signin-`+string(typ)+`"`), "no signed_in event for %s", typ)
	}
	assert.Regexp(t, `"reason":"(replay|totp_replayed)"`, text, "the replayed TOTP step is logged with its reason")
	t.Logf("%d log bytes, %d error strings, %d answers, %d secret forms checked; outcomes %v",
		len(text), len(rec.errs), len(answers), len(s.values), statuses)
}

// signInErrors wraps the sign-in service and keeps the text of every
// error it returns in rec, as recorder does for the Verifier.
type signInErrors struct {
	httpapi.SignInService
	rec *recorder
}

func (w *signInErrors) Challenge(ctx context.Context, sub verify.Subject, id string, c verify.Client) (*verify.SignInChallenge, error) {
	ch, err := w.SignInService.Challenge(ctx, sub, id, c)
	w.rec.keep(err)
	return ch, err
}

func (w *signInErrors) Authenticate(ctx context.Context, sub verify.Subject, id string, req verify.VerifyRequest, c verify.Client) (*verify.SignIn, error) {
	in, err := w.SignInService.Authenticate(ctx, sub, id, req, c)
	w.rec.keep(err)
	return in, err
}
