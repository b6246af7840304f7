package verify_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// signInEngine is a test double of a sign-in engine, over the codeEngine's
// enrollment: every otp type accepts signInCode, recovery-code the code
// whose text is its stored secret (and replaces it), password the stored
// secret, the WebAuthn types an authn_response {"id": credential id} of the
// method (found by id when usernameless), push-notification nothing. Its
// challenge state is sealed in the auth_session, as a real engine's.
type signInEngine struct {
	*codeEngine
	counter    atomic.Int64 // Confirmation.Counter of the next check; 0: none
	fail       error        // returned by Authenticate when set
	challenges atomic.Int32
	checks     atomic.Int32
	store      store.Store
}

const signInCode = "654321"

type signInState struct {
	Code string `json:"code"`
}

func (e *signInEngine) Challenge(_ context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	e.challenges.Add(1)
	st := &verify.Challenge{State: signInState{Code: signInCode}}
	if e.typ.WebAuthn() {
		allow := "[]"
		if req.Method.WebAuthn != nil {
			allow = fmt.Sprintf(`[{"type":"public-key","id":%q}]`, req.Method.WebAuthn.CredentialID)
		}
		st.AuthnParamsPublicKey = jsontext.Value(`{"challenge":"c2lnbi1pbg","rpId":"example.org","allowCredentials":` + allow + `}`)
	}
	return st, nil
}

func (e *signInEngine) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.checks.Add(1)
	if e.fail != nil {
		return nil, e.fail
	}
	var st signInState
	if err := json.Unmarshal(req.State, &st); err != nil {
		return nil, err
	}
	bad := verify.NewError(verify.ErrInvalidProof, "wrong_code", "The verification failed")
	a := &verify.Confirmation{Method: req.Method, Record: req.Record, Counter: e.counter.Load()}
	switch e.typ {
	case verify.TypeTOTP, verify.TypeEmail, verify.TypePhone:
		if subtle.ConstantTimeCompare([]byte(*req.Request.OTPCode), []byte(st.Code)) != 1 {
			return nil, bad
		}
	case verify.TypeRecoveryCode:
		if subtle.ConstantTimeCompare([]byte(*req.Request.RecoveryCode), req.Record.Secret) != 1 {
			return nil, bad
		}
		a.RecoveryCode = "NEW" + *req.Request.RecoveryCode
		a.Secret = []byte(a.RecoveryCode)
	case verify.TypePassword:
		if subtle.ConstantTimeCompare([]byte(*req.Request.Password), req.Record.Secret) != 1 {
			return nil, bad
		}
	case verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
		var r struct{ ID string }
		if json.Unmarshal(req.Request.AuthnResponse, &r) != nil {
			return nil, bad
		}
		if req.Record.ID == "" { // usernameless: the credential names the user
			rec, err := e.store.ByCredentialID(ctx, []byte(r.ID))
			if errors.Is(err, store.ErrNotFound) {
				return nil, bad
			}
			if err != nil {
				return nil, err
			}
			m, err := verify.MethodFromRecord(rec)
			if err != nil {
				return nil, err
			}
			a.Method, a.Record = m, rec
		} else if r.ID != string(req.Record.CredentialID) {
			return nil, bad
		}
		a.Method.WebAuthn.BackedUp = true // the BS flag changed
	}
	return a, nil
}

var _ verify.Engine = (*signInEngine)(nil)

// signInFixture is a Service with a signInEngine of every type over the
// real memory store.
type signInFixture struct {
	svc     *verify.Service
	store   *memory.Store
	clock   *storetest.Clock
	events  *recorder
	engines map[verify.Type]*signInEngine
}

func newSignInFixture(t *testing.T, mod func(*verify.Config)) *signInFixture {
	t.Helper()
	f := &signInFixture{clock: storetest.NewClock(storetest.Epoch), events: &recorder{}, engines: map[verify.Type]*signInEngine{}}
	var err error
	f.store, err = memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	var engines []verify.Engine
	for _, typ := range verify.Types() {
		e := &signInEngine{codeEngine: &codeEngine{typ: typ}, store: f.store}
		f.engines[typ] = e
		engines = append(engines, e)
	}
	cfg := verify.Config{Engines: engines, Sealer: testSealer{key: []byte("test key")}, Store: f.store, Observer: f.events, Now: f.clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	f.svc, err = verify.NewService(cfg)
	require.NoError(t, err)
	return f
}

// enroll saves a confirmed method of typ for sub directly in the store,
// with secret as its engine secret and counter 7 (the enrollment's step).
func (f *signInFixture) enroll(t *testing.T, sub verify.Subject, typ verify.Type, secret string) verify.Method {
	t.Helper()
	id := newID(typ)
	m := verify.Method{ID: id, Type: typ, Subject: sub.ID, Confirmed: true, Name: "mine", Usage: typ.DefaultUsage(), CreatedAt: f.clock.Now().Truncate(time.Millisecond)}
	var cred []byte
	if typ.WebAuthn() {
		cred = []byte("cred-" + id)
		m.WebAuthn = &verify.WebAuthnCredential{CredentialID: cred, PublicKey: []byte("pk"), UserHandle: []byte("uh-" + sub.ID)}
	}
	if typ == verify.TypePhone {
		m.PhoneNumber, m.PreferredAuthenticationMethod = "+15551234567", "sms"
	}
	rec, err := m.Record()
	require.NoError(t, err)
	rec.Secret, rec.CredentialID, rec.Counter = []byte(secret), cred, 7
	sid := newID(typ)
	require.NoError(t, f.store.Commit(ctx, store.Commit{SessionID: "enroll-" + sid, SessionExpires: f.clock.Now().Add(time.Minute), Method: rec}))
	return m
}

func (f *signInFixture) challenge(t *testing.T, sub verify.Subject, m verify.Method) *verify.SignInChallenge {
	t.Helper()
	ch, err := f.svc.Challenge(ctx, sub, m.ID, verify.Client{IP: "192.0.2.1"})
	require.NoError(t, err)
	require.NotEmpty(t, ch.AuthSession)
	return ch
}

func otpProof(session, c string) verify.VerifyRequest {
	return verify.VerifyRequest{AuthSession: session, OTPCode: &c}
}

func reasonOf(err error) string { return verify.ReasonOf(err) }

// TestSignInSetsLastAuthAt: a step-up sign-in with a TOTP method answers
// the subject and the method with last_auth_at, which Get and List show
// afterwards, and emits signed_in without a secret (SI-11).
func TestSignInSetsLastAuthAt(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "totp secret")
	f.engines[verify.TypeTOTP].counter.Store(100)
	ch := f.challenge(t, alice, m)
	assert.Equal(t, m.ID, ch.MethodID)
	assert.Equal(t, verify.TypeTOTP, ch.Type)
	assert.Equal(t, f.clock.Now().Add(verify.DefaultSessionTTL), ch.ExpiresAt)
	f.clock.Advance(time.Second)

	in, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{IP: "192.0.2.1"})
	require.NoError(t, err)
	assert.Equal(t, alice.ID, in.Subject)
	assert.Equal(t, m.ID, in.Method.ID)
	assert.Equal(t, "mine", in.Method.Name, "the attributes are kept")
	assert.Equal(t, f.clock.Now().UTC().Truncate(time.Millisecond), in.Method.LastAuthAt)
	assert.Empty(t, in.RecoveryCode)

	got, err := f.svc.Get(ctx, alice, m.ID)
	require.NoError(t, err)
	assert.Equal(t, in.Method.LastAuthAt, got.LastAuthAt)
	list, err := f.svc.List(ctx, alice, "")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, in.Method.LastAuthAt, list[0].LastAuthAt)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"last_auth_at":"`+stamp(in.Method.LastAuthAt)+`"`)

	rec, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(100), rec.Counter, "the counter advanced")
	assert.Equal(t, "totp secret", string(rec.Secret), "the secret is kept")

	ev := f.events.last()
	assert.Equal(t, verify.EventSignedIn, ev.Kind)
	assert.Equal(t, alice.ID, ev.Subject)
	assert.Equal(t, m.ID, ev.MethodID)
	assert.Equal(t, verify.TypeTOTP, ev.Type)
	assert.Equal(t, "192.0.2.1", ev.Client.IP)
	assert.Empty(t, ev.Reason)
}

// TestSessionPurposesDoNotCross: an enrollment auth_session never opens
// as a sign-in session, nor a sign-in session as an enrollment one, even
// for the same user and method id (SI-01).
func TestSessionPurposesDoNotCross(t *testing.T) {
	f := newSignInFixture(t, nil)
	en, err := f.svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, alice, en.ID, otpProof(en.AuthSession, "123456"), verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession, "an enrollment session at Authenticate")
	assert.Equal(t, "session_payload", reasonOf(err))
	assert.Equal(t, verify.EventSignInFailed, f.events.last().Kind)

	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	_, err = f.svc.Verify(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: code(signInCode)}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession, "a sign-in session at Verify")
	assert.Equal(t, "session_payload", reasonOf(err))
	assert.Equal(t, verify.EventFailed, f.events.last().Kind)

	// Neither use consumed or counted anything: both still work.
	_, err = f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: code("123456")}, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.NoError(t, err)
}

// TestSecondSignInWithOneSessionFails: an auth_session signs in once; the
// second use is refused, also under concurrency (SI-01).
func TestSecondSignInWithOneSessionFails(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)
	assert.Equal(t, "already_used", f.events.last().Reason)

	ch = f.challenge(t, alice, m)
	const n = 20
	var wins, used atomic.Int32
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, verify.ErrAlreadyUsed), errors.Is(err, verify.ErrTooManyAttempts):
				used.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	start.Done()
	done.Wait()
	assert.Equal(t, int32(1), wins.Load())
	assert.Equal(t, int32(n-1), used.Load())
}

// TestSignInSessionIsBound: the auth_session signs in only the user it was
// issued to, with the method it was issued for and the proof of that
// method's type; each refusal leaves it usable (SI-01).
func TestSignInSessionIsBound(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	other := f.enroll(t, alice, verify.TypeTOTP, "s")
	rc := f.enroll(t, alice, verify.TypeRecoveryCode, "CODE")
	push := f.enroll(t, alice, verify.TypePushNotification, "device")
	ch := f.challenge(t, alice, m)
	pc := f.challenge(t, alice, push)
	rch := f.challenge(t, alice, rc)
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		sub    verify.Subject
		id     string
		req    verify.VerifyRequest
		kind   error
		reason string
	}{
		{"another user", bob, m.ID, otpProof(ch.AuthSession, signInCode), verify.ErrInvalidSession, "subject_mismatch"},
		{"another method", alice, other.ID, otpProof(ch.AuthSession, signInCode), verify.ErrInvalidSession, "method_mismatch"},
		{"no proof", alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession}, verify.ErrInvalidRequest, "proof_shape"},
		{"recovery_code for totp", alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, RecoveryCode: str(signInCode)}, verify.ErrInvalidRequest, "proof_shape"},
		{"two proofs", alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: str(signInCode), Password: str("pw")}, verify.ErrInvalidRequest, "proof_shape"},
		{"otp_code for recovery-code", alice, rc.ID, verify.VerifyRequest{AuthSession: rch.AuthSession, OTPCode: str("CODE")}, verify.ErrInvalidRequest, "proof_shape"},
		{"a proof for push", alice, push.ID, otpProof(pc.AuthSession, signInCode), verify.ErrInvalidRequest, "proof_shape"},
		{"authn_response for totp", alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: jsontext.Value(`{}`)}, verify.ErrInvalidRequest, "proof_shape"},
		{"tampered", alice, m.ID, otpProof(tamper(ch.AuthSession), signInCode), verify.ErrInvalidSession, "session_unseal"},
		{"no session", alice, m.ID, otpProof("", signInCode), verify.ErrInvalidRequest, "invalid_request"},
		{"no subject", verify.Subject{}, m.ID, otpProof(ch.AuthSession, signInCode), verify.ErrUnauthenticated, "no_subject"},
		{"usernameless", verify.Subject{}, "", otpProof(ch.AuthSession, signInCode), verify.ErrUnauthenticated, "no_subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Authenticate(ctx, tc.sub, tc.id, tc.req, verify.Client{})
			require.ErrorIs(t, err, tc.kind)
			assert.Equal(t, tc.reason, reasonOf(err))
			ev := f.events.last()
			assert.Equal(t, verify.EventSignInFailed, ev.Kind)
			assert.Equal(t, tc.reason, ev.Reason)
		})
	}
	assert.Zero(t, f.engines[verify.TypeTOTP].checks.Load(), "no refused request reached the engine")
	// A usernameless session does not open for a user, nor a user's for
	// the usernameless route.
	pk, err := f.svc.ChallengePasskey(ctx, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(pk.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	_, err = f.svc.AuthenticatePasskey(ctx, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: jsontext.Value(`{"id":"x"}`)}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession)

	// None of it used the session.
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.NoError(t, err)
	in, err := f.svc.Authenticate(ctx, alice, push.ID, verify.VerifyRequest{AuthSession: pc.AuthSession}, verify.Client{})
	require.NoError(t, err, "push takes the auth_session alone")
	assert.Equal(t, push.ID, in.Method.ID)
}

// TestChallengeOfAnotherUsersMethodIsNotFound: a challenge for another
// user's method answers exactly what one for an unknown id does, and the
// engine is not asked (SI-01).
func TestChallengeOfAnotherUsersMethodIsNotFound(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	_, errOther := f.svc.Challenge(ctx, bob, m.ID, verify.Client{})
	require.ErrorIs(t, errOther, verify.ErrNotFound)
	_, errUnknown := f.svc.Challenge(ctx, bob, "totp|dev_unknown", verify.Client{})
	require.ErrorIs(t, errUnknown, verify.ErrNotFound)
	assert.Equal(t, errUnknown.Error(), errOther.Error())
	_, err := f.svc.Challenge(ctx, verify.Subject{}, m.ID, verify.Client{})
	require.ErrorIs(t, err, verify.ErrUnauthenticated, "no implicit usernameless sign-in")
	assert.Zero(t, f.engines[verify.TypeTOTP].challenges.Load())
}

// TestSignInSessionExpires: a sign-in auth_session expires with the
// service's SessionTTL (at most 10 minutes) (SI-01).
func TestSignInSessionExpires(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	f.clock.Advance(verify.DefaultSessionTTL)
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrExpired)
	assert.Contains(t, err.Error(), "request a new challenge")
}

// TestSignInAttemptsAreLimited: MaxAttempts wrong codes void the session;
// the right code is then refused too (SI-01, TO-07 at sign-in).
func TestSignInAttemptsAreLimited(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	for range verify.DefaultMaxAttempts {
		_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, "000000"), verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		assert.Equal(t, "wrong_code", f.events.last().Reason)
	}
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrTooManyAttempts)
	assert.Equal(t, int32(verify.DefaultMaxAttempts), f.engines[verify.TypeTOTP].checks.Load())
	got, err := f.svc.Get(ctx, alice, m.ID)
	require.NoError(t, err)
	assert.True(t, got.LastAuthAt.IsZero(), "no sign-in recorded")
}

// TestSignInOutageGivesTheAttemptBack: an engine failure that is not a
// wrong proof does not count against the session, and is an internal
// failure in the event (GN-09 at sign-in).
func TestSignInOutageGivesTheAttemptBack(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	e := f.engines[verify.TypeTOTP]
	e.fail = errors.New("hsm unavailable")
	for range 2 * verify.DefaultMaxAttempts {
		_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
		require.Error(t, err)
		assert.Nil(t, verify.Kind(err), "an outage is no error kind")
		ev := f.events.last()
		assert.True(t, ev.Internal)
		assert.Equal(t, "internal", ev.Reason)
	}
	e.fail = nil
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.NoError(t, err)
}

// TestReplayedCounterIsRefused: a counter not above the stored one (the
// enrollment's step, or the last sign-in's) fails as an invalid proof with
// reason replay and consumes nothing (SI-04, SI-05: the core's part).
func TestReplayedCounterIsRefused(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s") // counter 7
	e := f.engines[verify.TypeTOTP]
	e.counter.Store(7)
	ch := f.challenge(t, alice, m)
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof, "the enrollment's step")
	assert.Equal(t, "replay", reasonOf(err))
	assert.Equal(t, "replay", f.events.last().Reason)

	e.counter.Store(8)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.NoError(t, err, "the refused replay did not consume the session")
	ch = f.challenge(t, alice, m)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof, "the last sign-in's step")
	assert.Equal(t, "replay", reasonOf(err))
}

// TestConcurrentSignInsWithOneCounterHaveOneSuccess: sign-ins in separate
// sessions that present one counter value concurrently (one TOTP code, one
// cloned assertion) succeed once (SI-04, SI-05: the core's part).
func TestConcurrentSignInsWithOneCounterHaveOneSuccess(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	f.engines[verify.TypeTOTP].counter.Store(100)
	wins, fails := race(t, 20, func() verify.VerifyRequest {
		return otpProof(f.challenge(t, alice, m).AuthSession, signInCode)
	}, func(req verify.VerifyRequest) error {
		_, err := f.svc.Authenticate(ctx, alice, m.ID, req, verify.Client{})
		return err
	})
	assert.Equal(t, 1, wins)
	for _, err := range fails {
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		assert.Equal(t, "replay", reasonOf(err))
	}
}

// TestConcurrentUsesOfOneRecoveryCodeHaveOneSuccess: of 20 concurrent
// sign-ins with one recovery code, each in its own session, exactly one
// succeeds and gets the replacement code, shown once; the old code never
// works again and the new one does (SI-07: the core's part).
func TestConcurrentUsesOfOneRecoveryCodeHaveOneSuccess(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeRecoveryCode, "OLDCODE")
	var mu sync.Mutex
	var shown []string
	wins, fails := race(t, 20, func() verify.VerifyRequest {
		c := "OLDCODE"
		return verify.VerifyRequest{AuthSession: f.challenge(t, alice, m).AuthSession, RecoveryCode: &c}
	}, func(req verify.VerifyRequest) error {
		in, err := f.svc.Authenticate(ctx, alice, m.ID, req, verify.Client{})
		if err == nil {
			mu.Lock()
			shown = append(shown, in.RecoveryCode)
			mu.Unlock()
		}
		return err
	})
	require.Equal(t, 1, wins)
	require.Equal(t, []string{"NEWOLDCODE"}, shown)
	for _, err := range fails {
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	rec, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, "NEWOLDCODE", string(rec.Secret))

	old := "OLDCODE"
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: f.challenge(t, alice, m).AuthSession, RecoveryCode: &old}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	next := "NEWOLDCODE"
	in, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: f.challenge(t, alice, m).AuthSession, RecoveryCode: &next}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, "NEWNEWOLDCODE", in.RecoveryCode)
}

// race prepares n requests, then runs do on all of them at once, and
// returns the number of successes and the errors.
func race(t *testing.T, n int, prepare func() verify.VerifyRequest, do func(verify.VerifyRequest) error) (int, []error) {
	t.Helper()
	reqs := make([]verify.VerifyRequest, n)
	for i := range reqs {
		reqs[i] = prepare()
	}
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range reqs {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = do(reqs[i])
		}()
	}
	start.Done()
	done.Wait()
	wins := 0
	var fails []error
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			fails = append(fails, err)
		}
	}
	return wins, fails
}

// TestUsernamelessPasskeySignInNamesTheOwner: a usernameless challenge is
// bound to no user; the credential of the assertion names the owner, who
// is the answer's subject, and the credential's backup state is saved.
func TestUsernamelessPasskeySignInNamesTheOwner(t *testing.T) {
	f := newSignInFixture(t, nil)
	f.enroll(t, alice, verify.TypePasskey, "")
	m := f.enroll(t, bob, verify.TypePasskey, "")
	ch, err := f.svc.ChallengePasskey(ctx, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, verify.TypePasskey, ch.Type)
	assert.Empty(t, ch.MethodID)
	assert.JSONEq(t, `{"challenge":"c2lnbi1pbg","rpId":"example.org","allowCredentials":[]}`, string(ch.AuthnParamsPublicKey))

	assertion := jsontext.Value(fmt.Sprintf(`{"id":%q}`, m.WebAuthn.CredentialID))
	in, err := f.svc.AuthenticatePasskey(ctx, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: assertion}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, bob.ID, in.Subject)
	assert.Equal(t, m.ID, in.Method.ID)
	assert.True(t, in.Method.WebAuthn.BackedUp)
	assert.False(t, in.Method.LastAuthAt.IsZero())
	got, err := f.svc.Get(ctx, bob, m.ID)
	require.NoError(t, err)
	assert.True(t, got.WebAuthn.BackedUp, "BS recorded")
	assert.Equal(t, in.Method.LastAuthAt, got.LastAuthAt)
	ev := f.events.last()
	assert.Equal(t, verify.EventSignedIn, ev.Kind)
	assert.Equal(t, bob.ID, ev.Subject)

	_, err = f.svc.AuthenticatePasskey(ctx, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: assertion}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)

	// Proof binding: only authn_response.
	ch, err = f.svc.ChallengePasskey(ctx, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.AuthenticatePasskey(ctx, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	_, err = f.svc.AuthenticatePasskey(ctx, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: jsontext.Value(`{"id":"unknown"}`)}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// TestStepUpPasskeyChallengeListsTheCredential: a step-up challenge hands
// the engine the method, whose credential its options allow.
func TestStepUpPasskeyChallengeListsTheCredential(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeWebAuthnRoaming, "")
	ch := f.challenge(t, alice, m)
	assert.Contains(t, string(ch.AuthnParamsPublicKey), `"allowCredentials":[{"type":"public-key","id":"cred-`+m.ID+`"}]`)
	in, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, AuthnResponse: jsontext.Value(fmt.Sprintf(`{"id":%q}`, m.WebAuthn.CredentialID))}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, alice.ID, in.Subject)
}

// TestSignInWithDeletedMethodIsNotFound: a method deleted between the
// challenge and the authentication cannot be signed in with.
func TestSignInWithDeletedMethodIsNotFound(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	ch := f.challenge(t, alice, m)
	require.NoError(t, f.store.Delete(ctx, alice.ID, m.ID))
	_, err := f.svc.Authenticate(ctx, alice, m.ID, otpProof(ch.AuthSession, signInCode), verify.Client{})
	require.ErrorIs(t, err, verify.ErrNotFound)
	assert.Zero(t, f.engines[verify.TypeTOTP].checks.Load())
}

// TestPasswordSignIn: the password proof member, checked by the engine
// against the stored secret.
func TestPasswordSignIn(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypePassword, "correct horse")
	ch := f.challenge(t, alice, m)
	wrong, right := "wrong horse", "correct horse"
	_, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, Password: &wrong}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	in, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, Password: &right}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, m.ID, in.Method.ID)
}

// enrollOnly is an engine whose sign-in half refuses every challenge.
type enrollOnly struct{ *codeEngine }

// TestSignInNeedsASignInEngine: a method type whose engine cannot sign in,
// or that no engine serves, is refused at the challenge, before any side
// effect.
func TestSignInNeedsASignInEngine(t *testing.T) {
	f := newSignInFixture(t, func(c *verify.Config) {
		c.Engines = []verify.Engine{enrollOnly{&codeEngine{typ: verify.TypeTOTP}}}
	})
	m := f.enroll(t, alice, verify.TypeTOTP, "s")
	_, err := f.svc.Challenge(ctx, alice, m.ID, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	assert.Equal(t, "sign_in_unsupported", reasonOf(err))
	_, err = f.svc.ChallengePasskey(ctx, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
}

// TestPasswordSignInWithDeletedMethodDoesTheEngineWork: for a password
// method deleted after the challenge, the engine is still asked, with the
// zero record, so that it can do a comparison's work, and its refusal is
// the answer: a wrong password and a missing method read alike (SI-08,
// the core's part).
func TestPasswordSignInWithDeletedMethodDoesTheEngineWork(t *testing.T) {
	f := newSignInFixture(t, nil)
	m := f.enroll(t, alice, verify.TypePassword, "correct horse")
	ch := f.challenge(t, alice, m)
	require.NoError(t, f.store.Delete(ctx, alice.ID, m.ID))
	pw := "correct horse"
	_, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, Password: &pw}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, int32(1), f.engines[verify.TypePassword].checks.Load(), "the engine did the work")
}

// testIDs numbers the method ids the fixtures make.
var testIDs atomic.Int64

// newID returns a fresh method id of typ, shaped as the Service's.
func newID(typ verify.Type) string {
	return fmt.Sprintf("%s|dev_test%012d", typ, testIDs.Add(1))
}

// stamp formats t as the spec's date-time fields are written.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
