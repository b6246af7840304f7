package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/password"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The service's rows of SECURITY-CHECKLIST (AS-13..AS-15, GN-06, GN-10,
// GN-11), one test each, on the real sealer, store and engines.

// AS-13: the auth_session is bound to its purpose ("verifykit/enroll") and version.
//
// Tokens sealed under the service's own key for another purpose (a
// session cookie, another product's payload, a session payload
// with another purpose) do not open as an auth_session.
func TestTokenSealedForAnotherPurposeIsNotAnAuthSession(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	en, code := f.startTOTP(t, alice)
	raw, err := f.sealer.Open(en.AuthSession)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	other := map[string]any{}
	for k, v := range p {
		other[k] = v
	}
	other["p"] = "verifykit/cookie"
	for name, payload := range map[string]any{
		"cookie":        map[string]any{"user": alice.ID, "exp": 1 << 40},
		"other product": map[string]any{"typ": "refresh", "sub": alice.ID},
		"other purpose": other,
	} {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		tok, err := f.sealer.Seal(b, time.Minute)
		require.NoError(t, err)
		_, err = f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: tok, OTPCode: &code}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidSession, name)
	}
	assert.Zero(t, f.stored(t, alice))
	_, err = f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	require.NoError(t, err, "the genuine auth_session still works")
}

// AS-14: an auth_session is single use.
func TestAuthSessionConfirmsOnce(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	en, code := f.startTOTP(t, alice)
	req := verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}
	_, err := f.svc.Verify(ctx, alice, en.ID, req, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Verify(ctx, alice, en.ID, req, verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed, "the same {auth_session, otp_code} again")
	assert.Equal(t, 1, f.stored(t, alice))

	// Two (and twenty) concurrent identical requests: exactly one wins.
	en, c := f.startEmail(t, alice, "alice@example.com")
	req = verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &c}
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			_, err := f.svc.Verify(ctx, alice, en.ID, req, verify.Client{})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, verify.ErrAlreadyUsed) {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
	assert.Equal(t, 2, f.stored(t, alice))
}

// AS-15: an auth_session is bound to its subject, method id, proof type and tenant.
func TestAuthSessionIsBoundToSubjectMethodAndType(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	en, code := f.startTOTP(t, bob)
	for _, tc := range []struct {
		name   string
		sub    verify.Subject
		id     string
		req    verify.VerifyRequest
		kind   error
		reason string
	}{
		{"(a) bob's auth_session, alice's token", alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.ErrInvalidSession, "subject_mismatch"},
		{"(b) another method id", bob, "totp|dev_0000000000000000", verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.ErrInvalidSession, "method_mismatch"},
		{"(c) a TOTP auth_session with an authn_response", bob, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, AuthnResponse: jsontext.Value(`{"id":"x"}`)}, verify.ErrInvalidRequest, "proof_shape"},
	} {
		_, err := f.svc.Verify(ctx, tc.sub, tc.id, tc.req, verify.Client{})
		require.ErrorIs(t, err, tc.kind, tc.name)
		assert.Equal(t, tc.reason, verify.ReasonOf(err), tc.name)
	}
	// (d) Another tenant: a service under another sealing key.
	other := newRealFixture(t, "another-tenant-sealing-password-0123456789")
	_, err := other.svc.Verify(ctx, bob, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	assert.Equal(t, "session_unseal", verify.ReasonOf(err))
	// (e) Expiry: the sealed exp, on the service clock.
	f.clock.Advance(verify.DefaultSessionTTL)
	_, err = f.svc.Verify(ctx, bob, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrExpired)
	assert.Zero(t, f.stored(t, alice, bob)+other.stored(t, alice, bob))
}

// GN-10: a confirmation writes all or nothing.
//
// The confirm's writes — consume the auth_session, save the method
// with its TOTP last step — are one store commit. A commit that
// fails leaves nothing: no method, the session unconsumed, no step
// recorded; the same request then succeeds.
func TestFailedCommitLeavesNothing(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	fs := &failCommits{Store: f.store, n: 1}
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{f.totp}, Sealer: f.sealer, Store: fs, Now: f.clock.Now})
	require.NoError(t, err)
	en, code := f.startTOTP(t, alice)
	req := verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}
	_, err = svc.Verify(ctx, alice, en.ID, req, verify.Client{})
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err), "an internal failure, not a client error")
	assert.Zero(t, f.stored(t, alice), "nothing persisted")
	m, err := svc.Verify(ctx, alice, en.ID, req, verify.Client{})
	require.NoError(t, err, "the retry succeeds: the session was not consumed")
	rec, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, f.clock.Now().Unix()/30, rec.Counter, "the step is recorded with the method")
	_, err = svc.Verify(ctx, alice, en.ID, req, verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)
}

// GN-11: the library is safe for concurrent use.
//
// 1 000 verifies of mixed types, in parallel, on one Service (run
// under -race): each succeeds once, nothing is shared but the store.
func TestConcurrentVerifiesOnOneServiceSucceedOnceEach(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	const n = 1000
	type job struct {
		sub verify.Subject
		en  *verify.Enrollment
		req verify.VerifyRequest
	}
	jobs := make([]job, n)
	for i := range jobs {
		sub := verify.Subject{ID: fmt.Sprint("auth0|user-", i)}
		var en *verify.Enrollment
		var code string
		switch i % 3 {
		case 0:
			en, code = f.startTOTP(t, sub)
			jobs[i] = job{sub, en, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}}
		case 1:
			en, code = f.startEmail(t, sub, fmt.Sprintf("user-%d@example.com", i))
			jobs[i] = job{sub, en, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}}
		default:
			en, err := f.svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeRecoveryCode}, verify.Client{})
			require.NoError(t, err)
			jobs[i] = job{sub, en, verify.VerifyRequest{AuthSession: en.AuthSession}}
		}
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, j := range jobs {
		for range 2 { // each twice: one wins, one is a replay
			wg.Go(func() {
				<-start
				_, err := f.svc.Verify(ctx, j.sub, j.en.ID, j.req, verify.Client{})
				if err == nil {
					ok.Add(1)
				} else if !errors.Is(err, verify.ErrAlreadyUsed) {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(n), ok.Load())
	total := 0
	for _, j := range jobs {
		total += f.stored(t, j.sub)
	}
	assert.Equal(t, n, total)
}

// GN-06: every pathway that sets a factor enforces the same checks.
//
// The same bad inputs through the Go API (Service.Verify, what a
// native or admin flow calls) and through the HTTP adapter are refused the
// same way — the adapter adds no check and skips none — and leave nothing
// stored; the password engine's Check, for pathways that set a password
// without an enrollment (an admin import), refuses what Confirm refuses.
func TestEveryPathwayEnforcesTheSameChecks(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	h, err := httpapi.New(httpapi.Config{
		Verifier: f.svc, BaseURL: "https://id.example.com/me/v1", Limiter: ratelimit.Unlimited(f.clock.Now), Now: f.clock.Now,
		Authenticator: httpapi.AuthenticatorFunc(func(r *http.Request) (httpapi.Principal, error) {
			sub := alice
			if r.Header.Get("Authorization") == "Bearer bob" {
				sub = bob
			}
			return httpapi.Principal{Subject: sub, Scopes: []string{httpapi.ScopeCreateMethods}}, nil
		}),
	})
	require.NoError(t, err)
	type input struct {
		as   verify.Subject
		id   string
		body map[string]any
	}
	problem := map[error]string{
		verify.ErrInvalidRequest: "invalid_request", verify.ErrInvalidSession: "invalid_session",
		verify.ErrExpired: "session_expired", verify.ErrAlreadyUsed: "session_already_used",
		verify.ErrInvalidProof: "invalid_proof", verify.ErrTooManyAttempts: "too_many_attempts",
	}
	for _, tc := range []struct {
		name string
		bad  func(en *verify.Enrollment, code string) input
		kind error
	}{
		{"wrong code", func(en *verify.Enrollment, code string) input {
			return input{alice, en.ID, map[string]any{"auth_session": en.AuthSession, "otp_code": flip(code)}}
		}, verify.ErrInvalidProof},
		{"tampered auth_session", func(en *verify.Enrollment, code string) input {
			return input{alice, en.ID, map[string]any{"auth_session": flip(en.AuthSession), "otp_code": code}}
		}, verify.ErrInvalidSession},
		{"another user", func(en *verify.Enrollment, code string) input {
			return input{bob, en.ID, map[string]any{"auth_session": en.AuthSession, "otp_code": code}}
		}, verify.ErrInvalidSession},
		{"another method id", func(en *verify.Enrollment, code string) input {
			return input{alice, "totp|dev_0000000000000000", map[string]any{"auth_session": en.AuthSession, "otp_code": code}}
		}, verify.ErrInvalidSession},
		{"wrong proof type", func(en *verify.Enrollment, code string) input {
			return input{alice, en.ID, map[string]any{"auth_session": en.AuthSession, "new_password": "tangerine quartz violin"}}
		}, verify.ErrInvalidRequest},
		{"malformed code", func(en *verify.Enrollment, code string) input {
			return input{alice, en.ID, map[string]any{"auth_session": en.AuthSession, "otp_code": " " + code[1:]}}
		}, verify.ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Go API.
			en, code := f.startTOTP(t, alice)
			in := tc.bad(en, code)
			req := verify.VerifyRequest{AuthSession: in.body["auth_session"].(string)}
			if c, ok := in.body["otp_code"].(string); ok {
				req.OTPCode = &c
			}
			if p, ok := in.body["new_password"].(string); ok {
				req.NewPassword = &p
			}
			_, err := f.svc.Verify(ctx, in.as, in.id, req, verify.Client{})
			require.ErrorIs(t, err, tc.kind)
			direct := f.events.last().Reason

			// HTTP, on a fresh enrollment.
			en, code = f.startTOTP(t, alice)
			in = tc.bad(en, code)
			body, err := json.Marshal(in.body)
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodPost, "https://id.example.com/me/v1/authentication-methods/"+strings.ReplaceAll(in.id, "|", "%7C")+"/verify", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			if in.as.ID == bob.ID {
				r.Header.Set("Authorization", "Bearer bob")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var p struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p), w.Body.String())
			assert.Equal(t, problem[tc.kind], p.Type, w.Body.String())
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.Equal(t, direct, f.events.last().Reason, "the same reason is logged on both paths")
			assert.Zero(t, f.stored(t, alice, bob))
		})
	}

	t.Run("password import", func(t *testing.T) {
		eng, err := password.New(f.store, password.Config{})
		require.NoError(t, err)
		svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{eng}, Sealer: f.sealer, Store: f.store, Now: f.clock.Now})
		require.NoError(t, err)
		for _, pw := range []string{"password1234567", "short", "alice.liddell2026!"} {
			en, err := svc.Start(ctx, carol, verify.StartRequest{Type: verify.TypePassword}, verify.Client{})
			require.NoError(t, err)
			_, viaEnrollment := svc.Verify(ctx, carol, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, NewPassword: &pw}, verify.Client{})
			viaImport := eng.Check(ctx, carol, pw)
			require.ErrorIs(t, viaEnrollment, verify.ErrInvalidRequest, pw)
			require.ErrorIs(t, viaImport, verify.ErrInvalidRequest, pw)
			var a, b *password.PolicyError
			require.ErrorAs(t, viaEnrollment, &a)
			require.ErrorAs(t, viaImport, &b)
			assert.Equal(t, a.Violations, b.Violations, pw)
		}
		assert.Zero(t, f.stored(t, carol))
	})
}

// failCommits fails the first n commits, as a database that drops the
// transaction would.
type failCommits struct {
	store.Store
	mu sync.Mutex
	n  int
}

func (s *failCommits) Commit(ctx context.Context, c store.Commit) error {
	s.mu.Lock()
	fail := s.n > 0
	s.n--
	s.mu.Unlock()
	if fail {
		return errors.New("commit: connection reset")
	}
	return s.Store.Commit(ctx, c)
}

var carol = verify.Subject{ID: "auth0|carol", Name: "Alice Liddell", Email: "alice.liddell@example.com"}

// flip changes the last character of s to another of the same class.
func flip(s string) string {
	last := s[len(s)-1]
	switch {
	case last >= '0' && last <= '8', last >= 'a' && last <= 'y', last >= 'A' && last <= 'Y':
		last++
	case last == '9':
		last = '0'
	default:
		last = 'a'
	}
	return s[:len(s)-1] + string(last)
}
