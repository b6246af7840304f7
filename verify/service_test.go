package verify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// testSealer is a minimal authenticated (not encrypted) sealer so these
// tests do not depend on package session's implementation.
type testSealer struct{ key []byte }

func (s testSealer) Seal(b []byte, _ time.Duration) (string, error) {
	mac := hmac.New(sha256.New, s.key)
	mac.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

func (s testSealer) Open(token string) ([]byte, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, session.ErrInvalid
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return nil, session.ErrInvalid
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write(b)
	if !hmac.Equal(mac.Sum(nil), got) {
		return nil, session.ErrInvalid
	}
	return b, nil
}

// tamper changes one character of a token's MAC, ten from its end (the
// last ones of a base64 MAC may carry only padding bits), to another.
// (Replacing the last two with "AA" left about one token in a thousand as
// it was, since the last character of a 32-byte MAC holds 2 padding bits.)
func tamper(token string) string {
	i := len(token) - 10
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// codeEngine is a TOTP-shaped engine whose code is sealed in its state.
type codeEngine struct {
	typ      verify.Type
	confirms atomic.Int32
	fail     error // returned by Confirm when set
}

type codeState struct {
	Code string `json:"code"`
}

func (e *codeEngine) Type() verify.Type { return e.typ }

func (e *codeEngine) Start(_ context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	return &verify.Challenge{State: codeState{Code: "123456"}, BarcodeURI: "otpauth://totp/x"}, nil
}

// Challenge and Authenticate: a codeEngine enrolls only; signInEngine adds
// the sign-in half.
func (e *codeEngine) Challenge(context.Context, *verify.EngineStart) (*verify.Challenge, error) {
	return nil, verify.NewError(verify.ErrInvalidRequest, "sign_in_unsupported", "Sign-in is not supported")
}

func (e *codeEngine) Authenticate(context.Context, *verify.EngineConfirm) (*verify.Confirmation, error) {
	return nil, verify.NewError(verify.ErrInvalidRequest, "sign_in_unsupported", "Sign-in is not supported")
}

func (e *codeEngine) Confirm(_ context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.confirms.Add(1)
	if e.fail != nil {
		return nil, e.fail
	}
	var st codeState
	if err := json.Unmarshal(req.State, &st); err != nil {
		return nil, err
	}
	if e.typ.Proof() == "" {
		return &verify.Confirmation{Secret: []byte("engine secret"), Counter: 7}, nil
	}
	if req.Request.OTPCode == nil || subtle.ConstantTimeCompare([]byte(*req.Request.OTPCode), []byte(st.Code)) != 1 {
		return nil, verify.NewError(verify.ErrInvalidProof, "wrong_code", "Invalid code")
	}
	return &verify.Confirmation{Secret: []byte("engine secret"), Counter: 7}, nil
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []verify.Event
}

func (r *recorder) Observe(_ context.Context, e verify.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) last() verify.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[len(r.events)-1]
}

type fixture struct {
	svc    *verify.Service
	store  store.Store
	engine *codeEngine
	clock  *storetest.Clock
	events *recorder
	sealer testSealer
}

func newFixture(t *testing.T, mod func(*verify.Config)) *fixture {
	t.Helper()
	f := &fixture{
		engine: &codeEngine{typ: verify.TypeTOTP},
		clock:  storetest.NewClock(storetest.Epoch),
		events: &recorder{},
		sealer: testSealer{key: []byte("test key")},
	}
	mem, err := memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	f.store = mem
	cfg := verify.Config{
		Engines:  []verify.Engine{f.engine, &codeEngine{typ: verify.TypeRecoveryCode}},
		Sealer:   f.sealer,
		Store:    f.store,
		Observer: f.events,
		Now:      f.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	f.svc, err = verify.NewService(cfg)
	require.NoError(t, err)
	return f
}

var (
	ctx   = context.Background()
	alice = verify.Subject{ID: "auth0|alice"}
	bob   = verify.Subject{ID: "auth0|bob"}
)

func code(s string) *string { return &s }

func (f *fixture) start(t *testing.T, sub verify.Subject, typ verify.Type) *verify.Enrollment {
	t.Helper()
	en, err := f.svc.Start(ctx, sub, verify.StartRequest{Type: typ}, verify.Client{})
	require.NoError(t, err)
	return en
}

func (f *fixture) verify(sub verify.Subject, en *verify.Enrollment, req verify.VerifyRequest) (*verify.Method, error) {
	if req.AuthSession == "" {
		req.AuthSession = en.AuthSession
	}
	return f.svc.Verify(ctx, sub, en.ID, req, verify.Client{})
}

func TestNewServiceConfig(t *testing.T) {
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	e := &codeEngine{typ: verify.TypeTOTP}
	ok := verify.Config{Engines: []verify.Engine{e}, Sealer: testSealer{}, Store: mem}
	for _, tc := range []struct {
		name string
		mod  func(*verify.Config)
		want string
	}{
		{"no sealer", func(c *verify.Config) { c.Sealer = nil }, "Sealer is required"},
		{"no store", func(c *verify.Config) { c.Store = nil }, "Store is required"},
		{"no engines", func(c *verify.Config) { c.Engines = nil }, "Engines is empty"},
		{"nil engine", func(c *verify.Config) { c.Engines = []verify.Engine{nil} }, "nil engine"},
		{"two engines", func(c *verify.Config) { c.Engines = []verify.Engine{e, e} }, "two engines for type totp"},
		{"unknown type", func(c *verify.Config) { c.Engines = []verify.Engine{&codeEngine{typ: "sms"}} }, `unknown type "sms"`},
		{"ttl short", func(c *verify.Config) { c.SessionTTL = time.Second }, "SessionTTL 1s out of range [30s, 10m0s]"},
		{"ttl long", func(c *verify.Config) { c.SessionTTL = time.Hour }, "out of range"},
		{"attempts", func(c *verify.Config) { c.MaxAttempts = 101 }, "MaxAttempts 101 out of range [1, 100]"},
		{"attempts negative", func(c *verify.Config) { c.MaxAttempts = -1 }, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := verify.NewService(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	svc, err := verify.NewService(ok)
	require.NoError(t, err)
	assert.Equal(t, []verify.Type{verify.TypeTOTP}, svc.Types())
}

func TestStartVerify(t *testing.T) {
	f := newFixture(t, nil)
	en := f.start(t, alice, verify.TypeTOTP)
	assert.Regexp(t, `^totp\|dev_[A-Za-z0-9]{16}$`, en.ID)
	assert.Equal(t, "otpauth://totp/x", en.BarcodeURI)
	assert.Equal(t, storetest.Epoch.Add(verify.DefaultSessionTTL), en.ExpiresAt)
	assert.Equal(t, verify.EventStarted, f.events.last().Kind)

	f.clock.Advance(time.Second)
	m, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.NoError(t, err)
	assert.Equal(t, en.ID, m.ID)
	assert.Equal(t, verify.TypeTOTP, m.Type)
	assert.Equal(t, alice.ID, m.Subject)
	assert.True(t, m.Confirmed)
	assert.Equal(t, []verify.Usage{verify.UsageSecondary}, m.Usage)
	assert.Equal(t, storetest.Epoch.Add(time.Second), m.CreatedAt)

	rec, err := f.store.Get(ctx, alice.ID, en.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("engine secret"), rec.Secret)
	assert.Equal(t, int64(7), rec.Counter)
	back, err := verify.MethodFromRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, *m, back, "a stored method reads back equal")

	ev := f.events.last()
	assert.Equal(t, verify.EventConfirmed, ev.Kind)
	assert.Equal(t, en.ID, ev.MethodID)
	assert.Equal(t, verify.TypeTOTP, ev.Type)
}

// TestMisuse: every misuse is refused with its kind, counts nothing it
// should not, and writes nothing (issue: "misuse answers 400 … and changes
// nothing").
func TestMisuse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		run    func(f *fixture, en *verify.Enrollment) error
		kind   error
		reason string
	}{
		{"tampered session", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(alice, en, verify.VerifyRequest{AuthSession: tamper(en.AuthSession), OTPCode: code("123456")})
			return err
		}, verify.ErrInvalidSession, "session_unseal"},
		{"empty session", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{OTPCode: code("123456")}, verify.Client{})
			return err
		}, verify.ErrInvalidRequest, "invalid_request"},
		{"expired session", func(f *fixture, en *verify.Enrollment) error {
			f.clock.Advance(verify.DefaultSessionTTL)
			_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
			return err
		}, verify.ErrExpired, "session_expired"},
		{"another user", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(bob, en, verify.VerifyRequest{OTPCode: code("123456")})
			return err
		}, verify.ErrInvalidSession, "subject_mismatch"},
		{"another method id", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.svc.Verify(ctx, alice, "totp|dev_other", verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: code("123456")}, verify.Client{})
			return err
		}, verify.ErrInvalidSession, "method_mismatch"},
		{"double-encoded id", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.svc.Verify(ctx, alice, strings.Replace(en.ID, "|", "%7C", 1), verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: code("123456")}, verify.Client{})
			return err
		}, verify.ErrInvalidSession, "method_mismatch"},
		{"wrong shape: authn_response", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(alice, en, verify.VerifyRequest{AuthnResponse: jsontext.Value(`{}`)})
			return err
		}, verify.ErrInvalidRequest, "proof_shape"},
		{"wrong shape: no proof", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(alice, en, verify.VerifyRequest{})
			return err
		}, verify.ErrInvalidRequest, "proof_shape"},
		{"wrong shape: two proofs", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456"), NewPassword: code("x")})
			return err
		}, verify.ErrInvalidRequest, "proof_shape"},
		{"wrong code", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("000000")})
			return err
		}, verify.ErrInvalidProof, "wrong_code"},
		{"unauthenticated", func(f *fixture, en *verify.Enrollment) error {
			_, err := f.verify(verify.Subject{}, en, verify.VerifyRequest{OTPCode: code("123456")})
			return err
		}, verify.ErrUnauthenticated, "no_subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			en := f.start(t, alice, verify.TypeTOTP)
			err := tc.run(f, en)
			require.ErrorIs(t, err, tc.kind)
			assert.Equal(t, tc.kind, verify.Kind(err), "exactly one kind")
			assert.Equal(t, tc.reason, verify.ReasonOf(err))
			ev := f.events.last()
			assert.Equal(t, verify.EventFailed, ev.Kind)
			assert.Equal(t, tc.reason, ev.Reason)
			assert.False(t, ev.Internal)
			for _, sub := range []verify.Subject{alice, bob} {
				ms, err := f.store.List(ctx, sub.ID)
				require.NoError(t, err)
				assert.Empty(t, ms, "nothing saved")
			}
			assert.NotContains(t, err.Error(), "123456", "errors never carry the code")
			assert.NotContains(t, err.Error(), en.AuthSession)
		})
	}
}

func TestSingleUse(t *testing.T) {
	f := newFixture(t, nil)
	en := f.start(t, alice, verify.TypeTOTP)
	_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.NoError(t, err)
	_, err = f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)
	assert.Equal(t, int32(1), f.engine.confirms.Load(), "a consumed session is refused before the engine runs")
}

func TestAttemptLimit(t *testing.T) {
	f := newFixture(t, nil)
	en := f.start(t, alice, verify.TypeTOTP)
	for range verify.DefaultMaxAttempts {
		_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("000000")})
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.ErrorIs(t, err, verify.ErrTooManyAttempts, "the right code after 5 failures is refused: the session is void")
	assert.Equal(t, int32(verify.DefaultMaxAttempts), f.engine.confirms.Load(), "no engine check once the attempts are used up")

	f2 := newFixture(t, func(c *verify.Config) { c.MaxAttempts = 2 })
	en = f2.start(t, alice, verify.TypeTOTP)
	_, err = f2.verify(alice, en, verify.VerifyRequest{OTPCode: code("000000")})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	_, err = f2.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.NoError(t, err, "the second of two attempts may succeed")
}

// TestConcurrentVerify: many concurrent confirms of one session, right and
// wrong codes mixed, give exactly one success and never more engine checks
// than the attempt limit.
func TestConcurrentVerify(t *testing.T) {
	f := newFixture(t, nil)
	en := f.start(t, alice, verify.TypeTOTP)
	const n = 64
	var (
		wins  atomic.Int32
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := "123456"
			if i%2 == 1 {
				c = "000000"
			}
			_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: &c})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, verify.ErrAlreadyUsed), errors.Is(err, verify.ErrTooManyAttempts), errors.Is(err, verify.ErrInvalidProof):
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), wins.Load())
	assert.LessOrEqual(t, f.engine.confirms.Load(), int32(verify.DefaultMaxAttempts))
	ms, err := f.store.List(ctx, alice.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 1)
}

// faultStore fails chosen operations, to prove that an outage is reported
// as an internal error, never as a wrong code, and writes nothing.
type faultStore struct {
	store.Store
	attemptErr, commitErr error
}

func (s *faultStore) Attempt(ctx context.Context, sid string, exp time.Time) (int, error) {
	if s.attemptErr != nil {
		return 0, s.attemptErr
	}
	return s.Store.Attempt(ctx, sid, exp)
}

func (s *faultStore) Commit(ctx context.Context, c store.Commit) error {
	if s.commitErr != nil {
		return s.commitErr
	}
	return s.Store.Commit(ctx, c)
}

// RefundAttempt passes through, so the service can give back the attempt
// of a confirm that failed on an outage.
func (s *faultStore) RefundAttempt(ctx context.Context, sid string) error {
	return s.Store.(store.AttemptRefunder).RefundAttempt(ctx, sid)
}

// TestOutagesDoNotVoidSession: outages after the attempt was counted give
// it back, so more outages than MaxAttempts leave the session usable; wrong
// codes are still counted (GN-09).
func TestOutagesDoNotVoidSession(t *testing.T) {
	f := newFixture(t, nil)
	fs := &faultStore{Store: f.store}
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{f.engine}, Sealer: f.sealer, Store: fs, Now: f.clock.Now})
	require.NoError(t, err)
	en := f.start(t, alice, verify.TypeTOTP)
	try := func(c string) error {
		_, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &c}, verify.Client{})
		return err
	}
	fs.commitErr = errors.New("connection reset")
	for range 2 * verify.DefaultMaxAttempts {
		err := try("123456")
		require.Error(t, err)
		require.Nil(t, verify.Kind(err))
	}
	f.engine.fail = errors.New("kms unavailable")
	for range 2 * verify.DefaultMaxAttempts {
		require.Nil(t, verify.Kind(try("123456")))
	}
	f.engine.fail, fs.commitErr = nil, nil
	for range verify.DefaultMaxAttempts - 1 {
		require.ErrorIs(t, try("000000"), verify.ErrInvalidProof, "wrong codes still count")
	}
	require.NoError(t, try("123456"), "the last attempt is still there after 20 outages and 4 wrong codes")
}

func TestStoreFaults(t *testing.T) {
	outage := errors.New("connection refused")
	for _, tc := range []struct {
		name string
		fs   faultStore
	}{
		{"attempt fails", faultStore{attemptErr: outage}},
		{"attempt times out", faultStore{attemptErr: context.DeadlineExceeded}},
		{"commit fails", faultStore{commitErr: outage}},
		{"commit cancelled", faultStore{commitErr: context.Canceled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := tc.fs
			f := newFixture(t, nil)
			fs.Store = f.store
			svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{f.engine}, Sealer: f.sealer, Store: &fs, Observer: f.events, Now: f.clock.Now})
			require.NoError(t, err)
			en := f.start(t, alice, verify.TypeTOTP)
			_, err = svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: code("123456")}, verify.Client{})
			require.Error(t, err)
			assert.Nil(t, verify.Kind(err), "an outage matches no client error kind: %v", err)
			cause := fs.attemptErr
			if cause == nil {
				cause = fs.commitErr
			}
			assert.ErrorIs(t, err, cause, "the cause is wrapped, not replaced")
			assert.True(t, f.events.last().Internal)
			ms, err := f.store.List(ctx, alice.ID)
			require.NoError(t, err)
			assert.Empty(t, ms, "nothing half-written")

			// The session stays usable once the store is back.
			m, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
			require.NoError(t, err)
			assert.Equal(t, en.ID, m.ID)
		})
	}
}

func TestEngineInternalError(t *testing.T) {
	f := newFixture(t, nil)
	f.engine.fail = fmt.Errorf("otp: load key: %w", errors.New("kms unavailable"))
	en := f.start(t, alice, verify.TypeTOTP)
	_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err))
	assert.Equal(t, "internal", verify.ReasonOf(err))
	assert.True(t, f.events.last().Internal)
}

func TestProofKinds(t *testing.T) {
	f := newFixture(t, nil)
	en := f.start(t, alice, verify.TypeRecoveryCode)
	_, err := f.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "recovery-code takes only the auth_session")
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Fields, 1)
	assert.Contains(t, ve.Fields[0].Detail, "recovery-code takes only auth_session")
	m, err := f.verify(alice, en, verify.VerifyRequest{})
	require.NoError(t, err, "recovery-code confirms with the auth_session alone")
	assert.Equal(t, verify.TypeRecoveryCode, m.Type)
}

func TestStartUnsupportedType(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypePasskey}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "/type", ve.Fields[0].Pointer)
	_, err = f.svc.Start(ctx, verify.Subject{}, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrUnauthenticated)
}

// TestSessionPayloadStrict: a token sealed with the same key but for
// another purpose, of another version, with unknown, repeated or
// case-variant members, invalid UTF-8, trailing data, or a lifetime beyond
// MaxSessionTTL does not open (AS-09, AS-13, AS-17), with the test sealer
// and with *session.Sealer.
//
// Checklist: AS-10.
func TestSessionPayloadStrict(t *testing.T) {
	real, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "verify-service-test-sealing-password-0123"}}})
	require.NoError(t, err)
	for _, sealer := range []verify.Sealer{testSealer{key: []byte("test key")}, real} {
		f := newFixture(t, func(c *verify.Config) { c.Sealer = sealer })
		en := f.start(t, alice, verify.TypeTOTP)
		genuine, err := sealer.Open(en.AuthSession)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(genuine, &p))
		iat := p["iat"].(float64)
		require.Contains(t, string(genuine), `"st":{`)
		// Each case is the genuine payload, changed.
		edit := func(mod func(map[string]any)) []byte {
			q := map[string]any{}
			for k, v := range p {
				q[k] = v
			}
			mod(q)
			b, err := json.Marshal(q)
			require.NoError(t, err)
			return b
		}
		// splice adds raw members at the front of the genuine payload.
		splice := func(members string) []byte {
			return append([]byte("{"+members+","), genuine[1:]...)
		}
		for _, tc := range []struct {
			name    string
			payload []byte
		}{
			{"purpose", edit(func(p map[string]any) { p["p"] = "cookie" })},
			{"version", edit(func(p map[string]any) { p["v"] = 2 })},
			{"unknown field", edit(func(p map[string]any) { p["admin"] = true })},
			{"other case", edit(func(p map[string]any) { p["SID"] = p["sid"]; delete(p, "sid") })},
			{"other case, both", splice(`"SUB":"auth0|alice"`)},
			{"duplicate member", splice(`"sub":"auth0|mallory"`)},
			{"duplicate member, same value", splice(`"sid":` + string(mustJSON(t, p["sid"])))},
			{"duplicate in state", []byte(strings.Replace(string(genuine), `"st":{`, `"st":{"q":1,"q":2,`, 1))},
			{"invalid utf-8", splice("\"fid\":\"\xff\"")},
			{"trailing data", append(bytes.Clone(genuine), " {}"...)},
			{"not json", []byte("{asdasd")},
			{"empty", nil},
			{"subject type", edit(func(p map[string]any) { p["sub"] = 1 })},
			{"null subject", edit(func(p map[string]any) { p["sub"] = nil })},
			{"no expiry", edit(func(p map[string]any) { delete(p, "exp") })},
			{"fractional expiry", edit(func(p map[string]any) { p["exp"] = p["exp"].(float64) + 0.5 })},
			{"lifetime beyond max", edit(func(p map[string]any) {
				p["exp"] = iat + float64((verify.MaxSessionTTL + time.Millisecond).Milliseconds())
			})},
			{"unknown type", edit(func(p map[string]any) { p["typ"] = "sms" })},
			{"no session id", edit(func(p map[string]any) { p["sid"] = "" })},
		} {
			t.Run(fmt.Sprintf("%T/%s", sealer, tc.name), func(t *testing.T) {
				tok, err := sealer.Seal(tc.payload, time.Minute)
				require.NoError(t, err)
				_, err = f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: tok, OTPCode: code("123456")}, verify.Client{})
				require.ErrorIs(t, err, verify.ErrInvalidSession)
			})
		}
		_, err = f.svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: code("123456")}, verify.Client{})
		require.NoError(t, err, "%T: the genuine auth_session still opens", sealer)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
