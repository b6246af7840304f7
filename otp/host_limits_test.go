package otp

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
)

// The SECURITY-CHECKLIST rows of this package that concern both the
// library and its host (TO-07, RC-06, RC-07, RC-09): the enrollment side is
// the service's attempt limit per auth_session, the sign-in side the host's
// limiter, for which ratelimit.Guard is the supported shape.

// wrongCode returns a code of k's length that is the code of none of the
// steps s-3 … s+3.
func wrongCode(t testing.TB, k TOTPKey, s int64) string {
	t.Helper()
	taken := map[string]bool{}
	for d := int64(-3); d <= 3; d++ {
		taken[codeAt(t, k, s+d)] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%0*d", k.Digits, i)
		if !taken[c] {
			return c
		}
	}
}

// signInLimit is ratelimit.DefaultGuardLimit: 5 per 15 minutes.
var signInLimit = ratelimit.DefaultGuardLimit()

// TO-07: brute force is limited, and the limit is shared across
// enrollment and sign-in.
func TestCodeGuessingIsLimitedOnEveryPath(t *testing.T) {
	ctx := context.Background()
	t.Run("enrollment", func(t *testing.T) {
		// The service counts every confirm attempt of an auth_session before
		// the engine runs: after 5 wrong codes the right one is refused,
		// and a parallel burst is evaluated at most 5 times.
		f := newFixture(t, TOTPConfig{}, 0)
		en, k := f.startTOTP(t)
		s := f.step()
		for range verify.DefaultMaxAttempts {
			_, err := f.verifyCode(en, wrongCode(t, k, s))
			require.ErrorIs(t, err, verify.ErrInvalidProof)
		}
		_, err := f.verifyCode(en, codeAt(t, k, s))
		require.ErrorIs(t, err, verify.ErrTooManyAttempts)

		counting := &countingEngine{Engine: f.totp}
		svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{counting}, Sealer: f.sealer, Store: f.store, Now: f.clock.Now})
		require.NoError(t, err)
		en, k = f.startTOTP(t)
		bad := wrongCode(t, k, s)
		wins, errs := race(50, func() error {
			_, err := svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &bad}, verify.Client{})
			return err
		})
		assert.Zero(t, wins)
		assert.Len(t, errs, 50)
		assert.Equal(t, int32(verify.DefaultMaxAttempts), counting.confirms.Load(), "≤ 5 of 50 parallel wrong codes evaluated")
	})
	t.Run("sign-in", func(t *testing.T) {
		// ratelimit.Guard keyed by user, around the TOTP sign-in: the
		// sixth attempt is refused even with the right code; after the
		// window the right code works; a burst is evaluated ≤ 5 times.
		f := newFixture(t, TOTPConfig{}, 0)
		id, k := f.enrolled(t)
		lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
		require.NoError(t, err)
		f.clock.Add(30 * time.Second)
		signIn := func(code string) error {
			return ratelimit.Guard(ctx, lim, "signin:"+f.sub.ID, signInLimit, func(ctx context.Context) error {
				return f.totpSignIn(ctx, f.sub.ID, id, code)
			})
		}
		for range signInLimit.Requests {
			require.ErrorIs(t, signIn(wrongCode(t, k, f.step())), verify.ErrInvalidProof)
		}
		err = signIn(codeAt(t, k, f.step()))
		require.ErrorIs(t, err, verify.ErrRateLimited, "locked even with the right code")
		m, err := f.store.Get(ctx, f.sub.ID, id)
		require.NoError(t, err)
		assert.Less(t, m.Counter, f.step(), "the refused right code was not evaluated, nothing recorded")

		f.clock.Add(signInLimit.Window)
		require.NoError(t, signIn(codeAt(t, k, f.step())), "after the window the right code works")

		f.clock.Add(signInLimit.Window)
		var evaluated atomic.Int32
		bad := wrongCode(t, k, f.step())
		wins, _ := race(50, func() error {
			return ratelimit.Guard(ctx, lim, "signin:"+f.sub.ID, signInLimit, func(ctx context.Context) error {
				evaluated.Add(1)
				return f.totpSignIn(ctx, f.sub.ID, id, bad)
			})
		})
		assert.Zero(t, wins)
		assert.Equal(t, int32(signInLimit.Requests), evaluated.Load(), "≤ 5 of 50 parallel wrong codes evaluated")
	})
}

// RC-06: failed recovery-code uses are rate-limited.
func TestRecoveryCodeFailuresAreRateLimited(t *testing.T) {
	// Recovery codes carry 120 bits, yet their failures are still counted:
	// 10 wrong codes through the user's guard, then the right one is
	// refused (429) and stays unused.
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
	require.NoError(t, err)
	limit := verify.Limit{Requests: 10, Window: 15 * time.Minute}
	use := func(c string) error {
		return ratelimit.Guard(ctx, lim, "signin:"+f.sub.ID, limit, func(ctx context.Context) error {
			_, err := f.recoverySignIn(ctx, f.sub.ID, id, c)
			return err
		})
	}
	before, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	wrong := "0000-0000-0000-0000-0000-0000"
	for range limit.Requests {
		require.ErrorIs(t, use(wrong), verify.ErrInvalidProof)
	}
	require.ErrorIs(t, use(code), verify.ErrRateLimited)
	after, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the refused code was not spent")
	f.clock.Add(limit.Window)
	require.NoError(t, use(code))
}

// RC-07: regeneration invalidates the old code, needs a fresh MFA, and
// shows the new one once.
func TestRegeneratedRecoveryCodeInvalidatesTheOldOne(t *testing.T) {
	// Regeneration, as the package doc describes it: enroll a new code,
	// then delete the old method. The old code stops working at once; the
	// new one works; nothing readable afterwards carries a code. The fresh
	// strong authentication regeneration needs is the host's (GN-01).
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	oldID, oldCode := f.enrollRecovery(t, f.sub)
	newID, newCode := f.enrollRecovery(t, f.sub)
	require.NoError(t, f.svc.Delete(ctx, f.sub, oldID, verify.Client{}))
	_, err := f.recoverySignIn(ctx, f.sub.ID, oldID, oldCode)
	require.ErrorIs(t, err, verify.ErrNotFound, "the old method, and with it its code, is gone")

	ms, err := f.svc.List(ctx, f.sub, "")
	require.NoError(t, err)
	require.Len(t, ms, 1)
	m, err := f.svc.Get(ctx, f.sub, newID)
	require.NoError(t, err)
	for _, v := range []any{ms, m} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		assert.NotContains(t, string(b), newCode, "a read never returns the code")
	}
	rec, err := f.store.Get(ctx, f.sub.ID, newID)
	require.NoError(t, err)
	assert.NotContains(t, string(rec.Secret)+string(rec.Attrs), newCode)
	_, err = f.recoverySignIn(ctx, f.sub.ID, newID, newCode)
	require.NoError(t, err)
}

// RC-09: when the last code is used, the host is told to regenerate.
func TestLastRecoveryCodeUsedSignalsRegeneration(t *testing.T) {
	// Exhaustion cannot happen: as with Auth0, every use of the code
	// replaces it with a new one, shown once. The user keeps one method,
	// and the code returned by the last sign-in is the one that works.
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	remaining := func() int {
		ms, err := f.svc.List(ctx, f.sub, verify.TypeRecoveryCode)
		require.NoError(t, err)
		return len(ms)
	}
	for range 3 {
		next, err := f.recoverySignIn(ctx, f.sub.ID, id, code)
		require.NoError(t, err)
		require.NotEmpty(t, next, "a replacement is always issued")
		assert.Equal(t, 1, remaining(), "nothing is used up")
		code = next
	}
}

// countingEngine counts the Confirm calls reaching its engine.
type countingEngine struct {
	verify.Engine
	confirms atomic.Int32
}

func (e *countingEngine) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.confirms.Add(1)
	return e.Engine.Confirm(ctx, req)
}
