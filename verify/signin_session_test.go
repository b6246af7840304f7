package verify_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/verify"
)

// enrollTOTP confirms a TOTP enrollment of sub on the real fixture and
// returns the method and its key.
func (f *realFixture) enrollTOTP(t *testing.T, sub verify.Subject) (*verify.Method, otp.TOTPKey) {
	t.Helper()
	en, c := f.startTOTP(t, sub)
	m, err := f.svc.Verify(ctx, sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &c}, verify.Client{})
	require.NoError(t, err)
	secret, err := otpSecret(en.ManualInputCode)
	require.NoError(t, err)
	return m, otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}
}

// SI-01: a sign-in auth_session has its own purpose, is single use, bound,
// and lives at most 10 minutes.
//
// With the real sealer and TOTP engine, a sign-in auth_session
// has its own purpose (an enrollment session does not open at
// Authenticate, a sign-in session does not open at Verify), signs in once,
// only for its user, method and proof kind, and lives at most 10 minutes.
func TestSignInSessionHasItsOwnPurposeAndIsSingleUse(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	m, key := f.enrollTOTP(t, alice)
	f.clock.Advance(30 * time.Second) // the next time step: the enrollment's is used
	code, err := key.Code(f.clock.Now())
	require.NoError(t, err)

	ch, err := f.svc.Challenge(ctx, alice, m.ID, verify.Client{})
	require.NoError(t, err)
	assert.LessOrEqual(t, ch.ExpiresAt.Sub(f.clock.Now()), verify.MaxSessionTTL)

	// Purposes do not cross, in either direction.
	en, enCode := f.startTOTP(t, alice)
	_, err = f.svc.Authenticate(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &enCode}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession, "an enrollment session at Authenticate")
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession, "an enrollment session at Authenticate, for the method")
	_, err = f.svc.Verify(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession, "a sign-in session at Verify")

	// Bound to the user, the method and the proof kind.
	_, err = f.svc.Authenticate(ctx, bob, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	_, err = f.svc.Authenticate(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, RecoveryCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)

	// Once.
	in, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, alice.ID, in.Subject)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)

	// Expired after the service's TTL, with the right next code.
	f.clock.Advance(30 * time.Second)
	ch, err = f.svc.Challenge(ctx, alice, m.ID, verify.Client{})
	require.NoError(t, err)
	f.clock.Advance(verify.DefaultSessionTTL)
	late, err := key.Code(f.clock.Now())
	require.NoError(t, err)
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &late}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrExpired)
}

// SI-11: last_auth_at is set; signed_in and sign_in_failed events carry no
// secret.
//
// A successful sign-in sets last_auth_at, seen by Get and List,
// and emits signed_in; a failed one emits sign_in_failed with its reason;
// the log lines of those events carry no code and no auth_session.
func TestSignInSetsLastAuthAtAndLogsNoSecret(t *testing.T) {
	f := newRealFixture(t, realSealPassword)
	m, key := f.enrollTOTP(t, alice)
	require.True(t, m.LastAuthAt.IsZero())
	f.clock.Advance(30 * time.Second)
	code, err := key.Code(f.clock.Now())
	require.NoError(t, err)
	ch, err := f.svc.Challenge(ctx, alice, m.ID, verify.Client{IP: "192.0.2.1"})
	require.NoError(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	_, err = f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &wrong}, verify.Client{IP: "192.0.2.1"})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	failed := f.events.last()
	assert.Equal(t, verify.EventSignInFailed, failed.Kind)
	assert.NotEmpty(t, failed.Reason)
	assert.Equal(t, m.ID, failed.MethodID)

	in, err := f.svc.Authenticate(ctx, alice, m.ID, verify.VerifyRequest{AuthSession: ch.AuthSession, OTPCode: &code}, verify.Client{IP: "192.0.2.1"})
	require.NoError(t, err)
	now := f.clock.Now().UTC().Truncate(time.Millisecond)
	assert.Equal(t, now, in.Method.LastAuthAt)
	got, err := f.svc.Get(ctx, alice, m.ID)
	require.NoError(t, err)
	assert.Equal(t, now, got.LastAuthAt)
	list, err := f.svc.List(ctx, alice, verify.TypeTOTP)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, now, list[0].LastAuthAt)
	ok := f.events.last()
	assert.Equal(t, verify.EventSignedIn, ok.Kind)
	assert.Equal(t, alice.ID, ok.Subject)

	var logs bytes.Buffer
	obs := verify.SlogObserver(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{} // digits that could hold a code by chance
		}
		return a
	}})))
	obs.Observe(ctx, failed)
	obs.Observe(ctx, ok)
	text := logs.String()
	assert.Contains(t, text, `"event":"sign_in_failed"`)
	assert.Contains(t, text, `"level":"WARN"`)
	assert.Contains(t, text, `"event":"signed_in"`)
	for _, secret := range []string{code, wrong, ch.AuthSession} {
		assert.False(t, strings.Contains(text, secret), "the log carries %q", secret)
	}
}
