package otp

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// The sign-in tests of this package's engines (verify.Engine). The
// service's side (sealing the state, binding, counting attempts) is
// signin-core's; here the engine runs as the service will run it: read the
// record, Challenge, seal (here: marshal) the state, Authenticate, and
// write the result with the store's sign-in write (writeSignIn).

// sessionSeq numbers the stand-in session ids of writeSignIn.
var sessionSeq atomic.Int64

// writeSignIn is the service's one store write of a successful sign-in:
// store.SignIn with the Authentication's counter and secret, the secret
// conditional on the record's version, consuming a fresh session id that
// expires at expires.
func writeSignIn(ctx context.Context, st store.Methods, expires time.Time, a *verify.Confirmation) (store.Method, error) {
	var version int64
	if a.Secret != nil {
		version = a.Record.Version
	}
	return st.SignIn(ctx, store.SignIn{
		SessionID: fmt.Sprintf("signin-%d", sessionSeq.Add(1)), SessionExpires: expires,
		Subject: a.Record.Subject, MethodID: a.Record.ID, Version: version,
		Counter: a.Counter, Secret: a.Secret,
	})
}

// signIn is one whole sign-in with engine e against the stored method id
// of subject: the service's read (a missing method is verify.ErrNotFound),
// Challenge, Authenticate with proof, and writeSignIn. It returns the
// engine's Authentication.
func (f *fixture) signIn(ctx context.Context, e verify.Engine, subject, id string, proof verify.VerifyRequest) (*verify.Confirmation, error) {
	a, err := f.check(ctx, e, subject, id, proof)
	if err != nil {
		return nil, err
	}
	if _, err := writeSignIn(ctx, f.store, f.clock.Now().Add(5*time.Minute), a); err != nil {
		return nil, err
	}
	return a, nil
}

// check is signIn without the write.
func (f *fixture) check(ctx context.Context, e verify.Engine, subject, id string, proof verify.VerifyRequest) (*verify.Confirmation, error) {
	rec, err := f.store.Get(ctx, subject, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errMethodNotFound()
	}
	if err != nil {
		return nil, err
	}
	m, err := verify.MethodFromRecord(rec)
	if err != nil {
		return nil, err
	}
	sub := verify.Subject{ID: subject}
	ch, err := e.Challenge(ctx, &verify.EngineStart{Subject: sub, Method: m, Record: rec, ExpiresAt: f.clock.Now().Add(5 * time.Minute)})
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(ch.State)
	if err != nil {
		return nil, err
	}
	return e.Authenticate(ctx, &verify.EngineConfirm{Subject: sub, Method: m, Record: rec, State: state, Request: proof, IssuedAt: f.clock.Now()})
}

// checkedRace runs n sign-ins with engine e concurrently in two phases:
// all n read the record and pass the engine's check before any writes
// (the worst case of concurrent requests), then all n write at once. It
// returns the number of successful writes and the failed ones' errors.
func (f *fixture) checkedRace(t *testing.T, n int, e verify.Engine, id string, proof verify.VerifyRequest) (int, []error, []*verify.Confirmation) {
	t.Helper()
	ctx := context.Background()
	auths := make([]*verify.Confirmation, n)
	for i := range auths {
		a, err := f.check(ctx, e, f.sub.ID, id, proof)
		require.NoError(t, err, "every check passes on the record as first read")
		auths[i] = a
	}
	var next atomic.Int32
	wins, errs := race(n, func() error {
		a := auths[next.Add(1)-1]
		_, err := writeSignIn(ctx, f.store, f.clock.Now().Add(5*time.Minute), a)
		return err
	})
	return wins, errs, auths
}

// totpSignIn signs in with the TOTP method id of subject and code.
func (f *fixture) totpSignIn(ctx context.Context, subject, id, code string) error {
	_, err := f.signIn(ctx, f.totp, subject, id, verify.VerifyRequest{AuthSession: "s", OTPCode: &code})
	return err
}

// recoverySignIn signs in with the recovery-code method id of subject and
// code, and returns the replacement code.
func (f *fixture) recoverySignIn(ctx context.Context, subject, id, code string) (string, error) {
	a, err := f.signIn(ctx, f.rc, subject, id, verify.VerifyRequest{AuthSession: "s", RecoveryCode: &code})
	if err != nil {
		return "", err
	}
	return a.RecoveryCode, nil
}

// stale reports whether err is the refusal of a used TOTP step: by the
// engine (the record it read already had it) or by the store's write.
func stale(err error) bool {
	return errors.Is(err, store.ErrStale) || verify.ReasonOf(err) == "totp_replayed"
}

// TestTOTPSignInAcceptsALaterStep: a code of a step after the enrollment's
// signs in and its step is the new counter. // SI-05
func TestTOTPSignInAcceptsALaterStep(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	f.clock.Add(30 * time.Second)
	code := codeAt(t, k, f.step())
	a, err := f.signIn(ctx, f.totp, f.sub.ID, id, verify.VerifyRequest{OTPCode: &code})
	require.NoError(t, err)
	assert.Equal(t, f.step(), a.Counter)
	assert.Nil(t, a.Secret, "a TOTP sign-in changes no secret")
	assert.Empty(t, a.RecoveryCode)
	assert.Equal(t, id, a.Method.ID)
	assert.Equal(t, id, a.Record.ID)
	m, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, f.step(), m.Counter)
}

// TestTOTPSignInRefusesAWrongCode. // SI-05, TO-13
func TestTOTPSignInRefusesAWrongCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	f.clock.Add(30 * time.Second)
	before, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	err = f.totpSignIn(ctx, f.sub.ID, id, wrongCode(t, k, f.step()))
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "totp_code", verify.ReasonOf(err))
	err = f.totpSignIn(ctx, f.sub.ID, id, "12345")
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "totp_code_format", verify.ReasonOf(err))
	_, err = f.signIn(ctx, f.totp, f.sub.ID, id, verify.VerifyRequest{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "otp_code is required")
	after, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing written")
}

// TestTOTPEnrollmentCodeIsRefusedAtSignIn: the code that confirmed the
// enrollment, submitted at sign-in in the same step, is a replay; so is a
// sign-in's code submitted again. // SI-05, TO-03
func TestTOTPEnrollmentCodeIsRefusedAtSignIn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	s := f.step()
	id, k := f.enrolled(t)
	err := f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s))
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "totp_replayed", verify.ReasonOf(err))
	// The next step's code (in the window) works once.
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s+1)))
	err = f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s+1))
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "totp_replayed", verify.ReasonOf(err))
}

// TestTOTPSignInEngineRefusesTheStoredStep: the engine alone, against a
// record whose counter is the current step, refuses that step's code: the
// check does not rely on the store write. // SI-05
func TestTOTPSignInEngineRefusesTheStoredStep(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0)
	s := at.Unix() / 30
	e := engineAt(t, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	require.True(t, distinctCodes(t, k, s-1, s, s+1))
	blob, err := k.MarshalBinary()
	require.NoError(t, err)
	rec := store.Method{ID: "totp|dev_1", Subject: "u", Type: "totp", Secret: blob, Counter: s, Version: 1}
	req := func(code string) *verify.EngineConfirm {
		return &verify.EngineConfirm{Subject: verify.Subject{ID: "u"}, Record: rec, Request: verify.VerifyRequest{OTPCode: &code}}
	}
	for _, old := range []int64{s - 1, s} {
		a, err := e.Authenticate(ctx, req(codeAt(t, k, old)))
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		assert.Nil(t, a)
		assert.Equal(t, "totp_replayed", verify.ReasonOf(err))
	}
	a, err := e.Authenticate(ctx, req(codeAt(t, k, s+1)))
	require.NoError(t, err)
	assert.Equal(t, s+1, a.Counter)
}

// TestConcurrentTOTPSignInsOneSuccess: 20 concurrent sign-ins with one
// code, each reading the record and writing through the store: exactly one
// succeeds. // SI-05, TO-08
func TestConcurrentTOTPSignInsOneSuccess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	f.clock.Add(30 * time.Second)
	code := codeAt(t, k, f.step())
	wins, errs := race(20, func() error { return f.totpSignIn(ctx, f.sub.ID, id, code) })
	assert.Equal(t, 1, wins)
	require.Len(t, errs, 19)
	for _, err := range errs {
		assert.True(t, stale(err), "%v", err)
	}
}

// TestConcurrentTOTPSignInsPassingTheCheckOneSuccess: 20 sign-ins with
// one code that all passed the engine's check against the same record:
// the store's counter check lets exactly one write through; the others
// fail with store.ErrStale. // SI-05, TO-08
func TestConcurrentTOTPSignInsPassingTheCheckOneSuccess(t *testing.T) {
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	f.clock.Add(30 * time.Second)
	code := codeAt(t, k, f.step())
	wins, errs, auths := f.checkedRace(t, 20, f.totp, id, verify.VerifyRequest{OTPCode: &code})
	assert.Equal(t, 1, wins)
	require.Len(t, errs, 19)
	for _, err := range errs {
		require.ErrorIs(t, err, store.ErrStale)
	}
	for _, a := range auths {
		assert.Equal(t, f.step(), a.Counter)
	}
	m, err := f.store.Get(context.Background(), f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, f.step(), m.Counter)
}

// TestTOTPSignInRefusesOthersMethods: a record of another user or another
// type is not found, whatever the code. // RC-04, TO-09
func TestTOTPSignInRefusesOthersMethods(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0)
	e := engineAt(t, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	blob, err := k.MarshalBinary()
	require.NoError(t, err)
	code := codeAt(t, k, at.Unix()/30)
	for name, rec := range map[string]store.Method{
		"another user":  {ID: "totp|1", Subject: "bob", Type: "totp", Secret: blob},
		"another type":  {ID: "totp|1", Subject: "u", Type: "recovery-code", Secret: blob},
		"no record":     {},
		"no subject id": {ID: "totp|1", Type: "totp", Secret: blob},
	} {
		sub := verify.Subject{ID: "u"}
		if name == "no subject id" {
			sub = verify.Subject{}
		}
		_, err := e.Challenge(ctx, &verify.EngineStart{Subject: sub, Record: rec})
		require.ErrorIs(t, err, verify.ErrNotFound, name)
		_, err = e.Authenticate(ctx, &verify.EngineConfirm{Subject: sub, Record: rec, Request: verify.VerifyRequest{OTPCode: &code}})
		require.ErrorIs(t, err, verify.ErrNotFound, name)
	}
	// A corrupt stored key is an internal failure, not a wrong code.
	rec := store.Method{ID: "totp|1", Subject: "u", Type: "totp", Secret: []byte("corrupt")}
	_, err = e.Authenticate(ctx, &verify.EngineConfirm{Subject: verify.Subject{ID: "u"}, Record: rec, Request: verify.VerifyRequest{OTPCode: &code}})
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err))
	_, err = e.Challenge(ctx, &verify.EngineStart{Subject: verify.Subject{ID: "u"}, Record: rec})
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err))
}

// TestOathtoolCodesSignIn: codes OATH Toolkit's oathtool computes from the
// manual_input_code sign in, one step after another, for every interop
// configuration; the enrollment's code does not. // SI-05
func TestOathtoolCodesSignIn(t *testing.T) {
	bin, err := exec.LookPath("oathtool")
	requirePeer(t, "oathtool", err)
	ctx := context.Background()
	for _, cfg := range interopConfigs {
		f := newFixture(t, cfg, 0)
		name := fmt.Sprintf("%s/%d/%v/%dB", f.totp.alg, f.totp.digits, f.totp.period, f.totp.secretSize)
		t.Run(name, func(t *testing.T) {
			oath := func(at time.Time, secret string) string {
				args := []string{"--totp=" + string(f.totp.alg), "-d", fmt.Sprint(f.totp.digits), "-s", fmt.Sprintf("%ds", int(f.totp.period/time.Second)), "-b", "-N", fmt.Sprintf("@%d", at.Unix()), secret}
				out, err := exec.Command(bin, args...).CombinedOutput()
				require.NoError(t, err, "oathtool %s: %s", strings.Join(args, " "), out)
				return strings.TrimSpace(string(out))
			}
			en, _ := f.startTOTP(t)
			enrollCode := oath(f.clock.Now(), en.ManualInputCode)
			m, err := f.verifyCode(en, enrollCode)
			require.NoError(t, err)
			err = f.totpSignIn(ctx, f.sub.ID, m.ID, enrollCode)
			require.ErrorIs(t, err, verify.ErrInvalidProof, "the enrollment's code")
			for range 3 {
				f.clock.Add(f.totp.period)
				require.NoError(t, f.totpSignIn(ctx, f.sub.ID, m.ID, oath(f.clock.Now(), en.ManualInputCode)))
			}
		})
	}
}

// TestRecoveryCodeSignInReplacesTheCode: the code signs in, a new one is
// issued once, stored only as its keyed hash (conditional on the version),
// and it is the code that works next. // SI-07
func TestRecoveryCodeSignInReplacesTheCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	before, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	a, err := f.signIn(ctx, f.rc, f.sub.ID, id, verify.VerifyRequest{RecoveryCode: &code})
	require.NoError(t, err)
	require.Len(t, a.RecoveryCode, recoveryCodeLen)
	assert.NotEqual(t, code, a.RecoveryCode)
	norm, ok := normalizeRecoveryCode(a.RecoveryCode)
	require.True(t, ok)
	assert.Equal(t, a.RecoveryCode, norm, "issued in normal form")
	h := keyedHash(testHashKey, recoveryDomain, id, a.RecoveryCode)
	assert.Equal(t, h[:], a.Secret)
	assert.Equal(t, before.Version, a.Record.Version, "the write is conditional on the version read")
	assert.Zero(t, a.Counter)
	after, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, h[:], after.Secret)
	assert.False(t, containsCodePart(string(after.Secret)+string(after.Attrs), a.RecoveryCode), "no plaintext stored")
	assert.Greater(t, after.Version, before.Version)

	next, err := f.recoverySignIn(ctx, f.sub.ID, id, a.RecoveryCode)
	require.NoError(t, err, "the new code works")
	_, err = f.recoverySignIn(ctx, f.sub.ID, id, next)
	require.NoError(t, err, "and the one after it")
}

// TestRecoveryCodeUsedTwiceIsRefused: the old code never works again. // SI-07, RC-03
func TestRecoveryCodeUsedTwiceIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	fresh, err := f.recoverySignIn(ctx, f.sub.ID, id, code)
	require.NoError(t, err)
	_, err = f.recoverySignIn(ctx, f.sub.ID, id, code)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "recovery_code", verify.ReasonOf(err))
	// The refusal replaced nothing: the fresh code still works.
	_, err = f.recoverySignIn(ctx, f.sub.ID, id, fresh)
	require.NoError(t, err)
}

// TestRecoveryCodeSignInRefusesAWrongCode: wrong, malformed and missing
// codes, and another user's code, change nothing. // SI-07, RC-04
func TestRecoveryCodeSignInRefusesAWrongCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	bob := verify.Subject{ID: "auth0|bob"}
	id, code := f.enrollRecovery(t, f.sub)
	_, bobCode := f.enrollRecovery(t, bob)
	before, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	for in, reason := range map[string]string{
		"0000-0000-0000-0000-0000-0000": "recovery_code",
		bobCode:                         "recovery_code",
		code[:23]:                       "recovery_code_format",
		code + "U":                      "recovery_code_format",
	} {
		_, err := f.recoverySignIn(ctx, f.sub.ID, id, in)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		assert.Equal(t, reason, verify.ReasonOf(err))
		assert.Equal(t, "verify: the code is invalid", err.Error())
	}
	_, err = f.signIn(ctx, f.rc, f.sub.ID, id, verify.VerifyRequest{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	_, err = f.recoverySignIn(ctx, bob.ID, id, code)
	require.ErrorIs(t, err, verify.ErrNotFound, "alice's method is not bob's")
	after, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

// TestConcurrentRecoveryCodeSignInsOneSuccess: 20 sign-ins with one code
// that all passed the engine's check against the same record, each with
// its own replacement code, written with the memory store's store.SignIn
// at once: exactly one succeeds, the others fail with store.ErrConflict;
// the old code never works again, the winner's new code works and the
// losers' do not. // SI-07, RC-03
func TestConcurrentRecoveryCodeSignInsOneSuccess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	wins, errs, auths := f.checkedRace(t, 20, f.rc, id, verify.VerifyRequest{RecoveryCode: &code})
	require.Equal(t, 1, wins)
	require.Len(t, errs, 19)
	for _, err := range errs {
		require.ErrorIs(t, err, store.ErrConflict)
	}
	_, err := f.recoverySignIn(ctx, f.sub.ID, id, code)
	require.ErrorIs(t, err, verify.ErrInvalidProof, "the old code never works again")
	rec, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	var winner string
	for _, a := range auths {
		if string(a.Secret) == string(rec.Secret) {
			require.Empty(t, winner, "one replacement stored")
			winner = a.RecoveryCode
		}
	}
	require.NotEmpty(t, winner)
	for _, a := range auths {
		if a.RecoveryCode != winner {
			_, err := f.check(ctx, f.rc, f.sub.ID, id, verify.VerifyRequest{RecoveryCode: &a.RecoveryCode})
			require.ErrorIs(t, err, verify.ErrInvalidProof, "a loser's code is not stored")
		}
	}
	_, err = f.recoverySignIn(ctx, f.sub.ID, id, winner)
	require.NoError(t, err, "the winner's new code works")
}

// TestConcurrentRecoveryCodeSignInsEndToEnd: 20 whole sign-ins (read,
// check, write) with one code at once: exactly one succeeds. // SI-07, RC-03
func TestConcurrentRecoveryCodeSignInsEndToEnd(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	wins, errs := race(20, func() error { _, err := f.recoverySignIn(ctx, f.sub.ID, id, code); return err })
	require.Equal(t, 1, wins)
	for _, err := range errs {
		assert.True(t, errors.Is(err, store.ErrConflict) || verify.ReasonOf(err) == "recovery_code", "%v", err)
	}
}

// oobSignIn is one sign-in with the email or phone method m of f.sub:
// Challenge (which sends the code), then Authenticate with the code
// proof(sent) returns.
func (f *oobFixture) oobSignIn(t testing.TB, e verify.Engine, m *verify.Method, proof func(sent string) string) (*verify.Confirmation, error) {
	t.Helper()
	st, err := f.oobChallenge(e, m)
	if err != nil {
		return nil, err
	}
	return f.oobAuthenticate(e, m, st, proof(f.sender.last(t).Code))
}

func (f *oobFixture) record(m *verify.Method) store.Method {
	rec, err := m.Record()
	if err != nil {
		panic(err)
	}
	rec.Subject, rec.Version = f.sub.ID, 1
	return rec
}

// oobChallenge runs e's Challenge for m and returns the sealed state.
func (f *oobFixture) oobChallenge(e verify.Engine, m *verify.Method) (jsontext.Value, error) {
	ch, err := e.Challenge(context.Background(), &verify.EngineStart{Subject: f.sub, Method: *m, Record: f.record(m), ExpiresAt: f.clock.Now().Add(5 * time.Minute)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(ch.State)
}

func (f *oobFixture) oobAuthenticate(e verify.Engine, m *verify.Method, state jsontext.Value, code string) (*verify.Confirmation, error) {
	return e.Authenticate(context.Background(), &verify.EngineConfirm{
		Subject: f.sub, Method: *m, Record: f.record(m), State: state,
		Request: verify.VerifyRequest{AuthSession: "s", OTPCode: &code}, IssuedAt: f.clock.Now(),
	})
}

// enrollEmail and enrollPhone confirm a method through the service.
func (f *oobFixture) enrollEmail(t testing.TB, addr string) *verify.Method {
	t.Helper()
	en, code := f.startEmail(t, addr)
	m, err := f.confirm(f.sub, en, code)
	require.NoError(t, err)
	return m
}

func (f *oobFixture) enrollPhone(t testing.TB, number, pref string) *verify.Method {
	t.Helper()
	en, code := f.startPhone(t, number, pref)
	m, err := f.confirm(f.sub, en, code)
	require.NoError(t, err)
	return m
}

func same(code string) string { return code }

// TestEmailSignInSendsAFreshCode: the challenge sends a new code to the
// method's address, with the enrollment's text and TTL, seals only its
// hash, and the code signs in. // SI-06
func TestEmailSignInSendsAFreshCode(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	m := f.enrollEmail(t, "Alice@Example.COM")
	enrollCode := f.sender.last(t).Code
	st, err := f.oobChallenge(f.email, m)
	require.NoError(t, err)
	require.Equal(t, 2, f.sender.count())
	msg := f.sender.last(t)
	assert.Equal(t, ChannelEmail, msg.Channel)
	assert.Equal(t, "Alice@example.com", msg.To)
	assert.Equal(t, defaultEmailSubject, msg.Subject)
	assert.Equal(t, "Your verification code is "+msg.Code+". It expires in 5 minutes.", msg.Text)
	assert.Equal(t, f.clock.Now().Add(defaultCodeTTL), msg.ExpiresAt)
	assert.NotContains(t, string(st), msg.Code, "only the hash is sealed")
	if enrollCode != msg.Code {
		_, err = f.oobAuthenticate(f.email, m, st, enrollCode)
		require.ErrorIs(t, err, verify.ErrInvalidProof, "the enrollment's code is not this challenge's")
	}
	a, err := f.oobAuthenticate(f.email, m, st, msg.Code)
	require.NoError(t, err)
	assert.Equal(t, m.ID, a.Method.ID)
	assert.Zero(t, a.Counter)
	assert.Nil(t, a.Secret)
}

// TestEmailSignInRefusesWrongExpiredAndOtherSessionCodes. // SI-06, OT-02, OT-04
func TestEmailSignInRefusesWrongExpiredAndOtherSessionCodes(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	m := f.enrollEmail(t, "alice@example.com")

	_, err := f.oobSignIn(t, f.email, m, wrong)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "email_code", verify.ReasonOf(err))
	_, err = f.oobSignIn(t, f.email, m, func(string) string { return "12345" })
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "email_code_format", verify.ReasonOf(err))
	st, err := f.oobChallenge(f.email, m)
	require.NoError(t, err)
	_, err = f.email.Authenticate(context.Background(), &verify.EngineConfirm{Subject: f.sub, Method: *m, Record: f.record(m), State: st})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "otp_code is required")

	// A code from another session: two challenges, each code fits its own.
	st1, err := f.oobChallenge(f.email, m)
	require.NoError(t, err)
	c1 := f.sender.last(t).Code
	st2, err := f.oobChallenge(f.email, m)
	require.NoError(t, err)
	c2 := f.sender.last(t).Code
	if c1 != c2 {
		_, err = f.oobAuthenticate(f.email, m, st2, c1)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	// The state of another method of the same user does not fit either.
	other := f.enrollEmail(t, "alice2@example.com")
	_, err = f.oobAuthenticate(f.email, other, st2, c2)
	require.ErrorIs(t, err, verify.ErrInvalidProof)

	// Expired: one millisecond past the TTL; just before it, accepted.
	f.clock.Add(defaultCodeTTL)
	_, err = f.oobAuthenticate(f.email, m, st1, c1)
	require.ErrorIs(t, err, verify.ErrExpired)
	assert.Equal(t, "verify: the code has expired; request a new one", err.Error())
	f.clock.Add(-time.Millisecond)
	_, err = f.oobAuthenticate(f.email, m, st2, c2)
	require.NoError(t, err)
}

// TestEmailSignInRefusesAChangedAddress: a code sent to the address the
// method had at the challenge does not sign in once the method names
// another. // SI-06, OT-10
func TestEmailSignInRefusesAChangedAddress(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	m := f.enrollEmail(t, "alice@example.com")
	st, err := f.oobChallenge(f.email, m)
	require.NoError(t, err)
	code := f.sender.last(t).Code
	changed := *m
	changed.Email = "mallory@example.com"
	_, err = f.oobAuthenticate(f.email, &changed, st, code)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "email_destination", verify.ReasonOf(err))
}

// TestPhoneSignInUsesThePreferredMethod: the challenge calls or texts as
// the method prefers, with the enrollment's texts. // SI-06
func TestPhoneSignInUsesThePreferredMethod(t *testing.T) {
	for _, pref := range []string{"sms", "voice"} {
		t.Run(pref, func(t *testing.T) {
			f := newOOBFixture(t, oobOptions{})
			m := f.enrollPhone(t, "+1 (201) 555-0123", pref)
			a, err := f.oobSignIn(t, f.phone, m, same)
			require.NoError(t, err)
			assert.Equal(t, m.ID, a.Method.ID)
			msg := f.sender.last(t)
			assert.Equal(t, Channel(pref), msg.Channel)
			assert.Equal(t, "+12015550123", msg.To)
			if pref == "voice" {
				spelled := strings.Join(strings.Split(msg.Code, ""), " ")
				assert.Equal(t, "Your verification code is "+spelled+". Again: "+spelled+". It expires in 5 minutes.", msg.Text)
			} else {
				assert.Equal(t, "Your verification code is "+msg.Code+". It expires in 5 minutes.", msg.Text)
			}
			_, err = f.oobSignIn(t, f.phone, m, wrong)
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Equal(t, "phone_code", verify.ReasonOf(err))
		})
	}
	t.Run("default channel", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{phone: PhoneConfig{Channels: []Channel{ChannelVoice, ChannelSMS}}})
		m := f.enrollPhone(t, "+12015550123", "sms")
		m.PreferredAuthenticationMethod = ""
		_, err := f.oobSignIn(t, f.phone, m, same)
		require.NoError(t, err)
		assert.Equal(t, ChannelVoice, f.sender.last(t).Channel)
	})
	t.Run("channel no longer allowed", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{phone: PhoneConfig{Channels: []Channel{ChannelSMS}}})
		m := f.enrollPhone(t, "+12015550123", "sms")
		m.PreferredAuthenticationMethod = "voice"
		n := f.sender.count()
		_, err := f.oobChallenge(f.phone, m)
		require.ErrorIs(t, err, verify.ErrForbidden)
		assert.Equal(t, n, f.sender.count(), "nothing sent")
	})
}

// TestSignInCodesShareTheEnrollmentBudgets: sign-in challenges are charged
// to the same per-user and per-destination send budgets as enrollment:
// with 3 sends an hour, an enrollment and two sign-ins exhaust them, the
// fourth send is refused (429) and nothing is sent. // SI-06, OT-06
func TestSignInCodesShareTheEnrollmentBudgets(t *testing.T) {
	limit := verify.Limit{Requests: 3, Window: time.Hour}
	for _, typ := range []verify.Type{verify.TypeEmail, verify.TypePhone} {
		t.Run(string(typ), func(t *testing.T) {
			f := newOOBFixture(t, oobOptions{email: EmailConfig{SendLimit: limit}, phone: PhoneConfig{SendLimit: limit}})
			var (
				m *verify.Method
				e verify.Engine
			)
			if typ == verify.TypeEmail {
				m, e = f.enrollEmail(t, "alice@example.com"), f.email
			} else {
				m, e = f.enrollPhone(t, "+12015550123", "sms"), f.phone
			}
			for range 2 {
				_, err := f.oobChallenge(e, m)
				require.NoError(t, err)
			}
			_, err := f.oobChallenge(e, m)
			require.ErrorIs(t, err, verify.ErrRateLimited)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.NotNil(t, ve.RateLimit)
			assert.Positive(t, ve.RateLimit.RetryAfter)
			assert.Equal(t, 3, f.sender.count())
		})
	}
}

// TestEmailAndPhoneSignInForbiddenByPolicy: Forbidden refuses sign-in too,
// sending nothing. // OT-08, OT-09
func TestEmailAndPhoneSignInForbiddenByPolicy(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	em := f.enrollEmail(t, "alice@example.com")
	pm := f.enrollPhone(t, "+12015550123", "sms")
	g := newOOBFixture(t, oobOptions{email: EmailConfig{Forbidden: true}, phone: PhoneConfig{Forbidden: true}})
	for _, tc := range []struct {
		e verify.Engine
		m *verify.Method
	}{{g.email, em}, {g.phone, pm}} {
		_, err := g.oobChallenge(tc.e, tc.m)
		require.ErrorIs(t, err, verify.ErrForbidden)
		_, err = g.oobAuthenticate(tc.e, tc.m, jsontext.Value(`""`), "123456")
		require.ErrorIs(t, err, verify.ErrForbidden)
	}
	assert.Zero(t, g.sender.count())
}

// TestOOBSignInRefusesARefusedDestination: a stored destination that the
// enrollment's checks refuse now is forbidden at sign-in (the client sent
// nothing to correct), and nothing is sent. // SI-06
func TestOOBSignInRefusesARefusedDestination(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	em := f.enrollEmail(t, "alice@example.com")
	pm := f.enrollPhone(t, "+12015550123", "sms")
	n := f.sender.count()
	badEmail, badPhone := *em, *pm
	badEmail.Email, badPhone.PhoneNumber = "not an address", "+0"
	for _, tc := range []struct {
		e      verify.Engine
		m      *verify.Method
		reason string
	}{{f.email, &badEmail, "email_destination_refused"}, {f.phone, &badPhone, "phone_destination_refused"}} {
		_, err := f.oobChallenge(tc.e, tc.m)
		require.ErrorIs(t, err, verify.ErrForbidden)
		assert.Equal(t, tc.reason, verify.ReasonOf(err))
	}
	assert.Equal(t, n, f.sender.count(), "nothing sent")
}

// TestOOBSignInRefusesOthersMethods: another user's record, or one of
// another type, is not found and nothing is sent. // RC-04
func TestOOBSignInRefusesOthersMethods(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	em := f.enrollEmail(t, "alice@example.com")
	n := f.sender.count()
	for name, rec := range map[string]store.Method{
		"another user": {ID: em.ID, Subject: "auth0|bob", Type: "email"},
		"another type": {ID: em.ID, Subject: f.sub.ID, Type: "phone"},
	} {
		_, err := f.email.Challenge(context.Background(), &verify.EngineStart{Subject: f.sub, Method: *em, Record: rec})
		require.ErrorIs(t, err, verify.ErrNotFound, name)
		code := "123456"
		_, err = f.email.Authenticate(context.Background(), &verify.EngineConfirm{Subject: f.sub, Method: *em, Record: rec, Request: verify.VerifyRequest{OTPCode: &code}})
		require.ErrorIs(t, err, verify.ErrNotFound, name)
	}
	assert.Equal(t, n, f.sender.count())
}

// BenchmarkTOTPAuthenticate is the engine's Authenticate alone, on a
// stored record: parse the key, compute and compare three steps. The
// record's counter is one step behind, so every iteration succeeds.
func BenchmarkTOTPAuthenticate(b *testing.B) {
	at := time.Unix(1_700_000_000, 0)
	e := engineAt(b, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	blob, err := k.MarshalBinary()
	require.NoError(b, err)
	code := codeAt(b, k, at.Unix()/30)
	req := &verify.EngineConfirm{
		Subject: verify.Subject{ID: "u"}, Request: verify.VerifyRequest{OTPCode: &code},
		Record: store.Method{ID: "totp|dev_1", Subject: "u", Type: "totp", Secret: blob, Counter: at.Unix()/30 - 2, Version: 1},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecoveryCodeAuthenticate is the engine's Authenticate alone:
// normalise, hash, compare, draw and hash the replacement code.
func BenchmarkRecoveryCodeAuthenticate(b *testing.B) {
	e, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: testHashKey})
	require.NoError(b, err)
	code := "0123-4567-89ab-cdef-ghjk-mnpq"
	norm, _ := normalizeRecoveryCode(code)
	h := e.hash("recovery-code|dev_1", norm)
	req := &verify.EngineConfirm{
		Subject: verify.Subject{ID: "u"}, Request: verify.VerifyRequest{RecoveryCode: &code},
		Record: store.Method{ID: "recovery-code|dev_1", Subject: "u", Type: "recovery-code", Secret: h[:], Version: 1},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmailAuthenticate and BenchmarkPhoneAuthenticate are the
// engines' Authenticate alone on one challenge's state: decode the state,
// hash the code, compare.
func BenchmarkEmailAuthenticate(b *testing.B) {
	f := newOOBFixture(b, oobOptions{})
	benchOOB(b, f, f.email, f.enrollEmail(b, "alice@example.com"))
}

func BenchmarkPhoneAuthenticate(b *testing.B) {
	f := newOOBFixture(b, oobOptions{})
	benchOOB(b, f, f.phone, f.enrollPhone(b, "+12015550123", "sms"))
}

func benchOOB(b *testing.B, f *oobFixture, e verify.Engine, m *verify.Method) {
	st, err := f.oobChallenge(e, m)
	require.NoError(b, err)
	code := f.sender.last(b).Code
	req := &verify.EngineConfirm{
		Subject: f.sub, Method: *m, Record: f.record(m), State: st,
		Request: verify.VerifyRequest{OTPCode: &code},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
