package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// signIn returns the sign-in write of session sid for the method id of
// subject, with no condition and nothing replaced.
func signIn(sid, subject, id string, clock *Clock) store.SignIn {
	return store.SignIn{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Subject: subject, MethodID: id}
}

// unconsumed asserts that session sid was not consumed: an attempt on it
// is counted, and it is the first.
func unconsumed(t *testing.T, s store.Store, sid string, clock *Clock) {
	t.Helper()
	n, err := s.Attempt(ctx, sid, clock.Now().Add(time.Minute))
	require.NoError(t, err, "a refused sign-in consumes nothing")
	assert.Equal(t, 1, n)
}

// unchanged asserts that the method id of subject is still want.
func unchanged(t *testing.T, s store.Store, want store.Method) {
	t.Helper()
	got, err := s.Get(ctx, want.Subject, want.ID)
	require.NoError(t, err)
	assert.Equal(t, want.Version, got.Version, "a refused sign-in changes nothing")
	assert.Equal(t, want.Counter, got.Counter)
	assert.Equal(t, string(want.Attrs), string(got.Attrs))
	assert.Equal(t, want.Secret, got.Secret)
}

// signInCases are the cases of Methods.SignIn, the single write of a
// successful sign-in (SECURITY-CHECKLIST section M).
var signInCases = []testCase{
	{"SignInConsumesSessionAndUpdatesMethod", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-01, SI-11: the session is consumed, the attributes
		// (last_auth_at) and counter replaced, the version incremented,
		// everything else kept.
		m := sampleMethod("user-1", "totp|dev_1")
		m.CredentialID = []byte("cred")
		m.Counter = 100
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		in := signIn("signin-1", "user-1", m.ID, clock)
		in.Counter = 101
		in.Attrs = []byte(`{"name":"totp|dev_1","last_auth_at":"2026-01-02T03:04:05Z"}`)
		got, err := s.SignIn(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, m.ID, got.ID)
		assert.Equal(t, m.Subject, got.Subject)
		assert.Equal(t, m.Type, got.Type)
		assert.True(t, m.CreatedAt.Equal(got.CreatedAt))
		assert.Equal(t, m.CredentialID, got.CredentialID)
		assert.Equal(t, m.Secret, got.Secret, "a nil Secret keeps the secret")
		assert.JSONEq(t, string(in.Attrs), string(got.Attrs))
		assert.Equal(t, int64(101), got.Counter)
		assert.Equal(t, int64(2), got.Version)
		again, err := s.Get(ctx, "user-1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, got.Version, again.Version, "SignIn returns the method as stored")
		assert.Equal(t, got.Counter, again.Counter)
		assert.Equal(t, string(got.Attrs), string(again.Attrs))
		assert.Equal(t, got.Secret, again.Secret)

		_, err = s.Attempt(ctx, "signin-1", clock.Now().Add(time.Minute))
		assert.ErrorIs(t, err, store.ErrConsumed, "an attempt on a consumed sign-in session fails")
		_, err = s.SignIn(ctx, signIn("signin-1", "user-1", m.ID, clock))
		assert.ErrorIs(t, err, store.ErrConsumed, "a sign-in session is used once")

		// A sign-in without a counter or attributes (a WebAuthn counter of
		// zero) replaces only the secret, and the caller's slices are not
		// kept.
		in = signIn("signin-2", "user-1", m.ID, clock)
		in.Secret = []byte("rotated secret")
		got, err = s.SignIn(ctx, in)
		require.NoError(t, err)
		in.Secret[0] = 'X'
		again, err = s.Get(ctx, "user-1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, []byte("rotated secret"), again.Secret)
		assert.Equal(t, []byte("rotated secret"), got.Secret)
		assert.Equal(t, int64(101), again.Counter, "a zero Counter keeps the counter")
		assert.Contains(t, string(again.Attrs), "last_auth_at", "nil Attrs keep the attributes")
		assert.Equal(t, int64(3), again.Version)
	}},
	{"SignInConcurrentOneSessionExactlyOne", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-01: 64 concurrent sign-ins with one auth_session; one wins.
		m := sampleMethod("user-1", "passkey|dev_1")
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		const n = 64
		var wins atomic.Int32
		parallel(t, n, func(int) error {
			_, err := s.SignIn(ctx, signIn("one-session", "user-1", m.ID, clock))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConsumed):
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load(), "exactly one sign-in of one session succeeds")
		got, err := s.Get(ctx, "user-1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version, "exactly one sign-in was written")
	}},
	{"SignInConcurrentRecoveryCodeExactlyOne", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-07: concurrent uses of one recovery code, each through its own
		// session, each replacing the code's hash at the version read: one
		// succeeds; the others conflict and consume nothing.
		m := sampleMethod("user-1", "recovery-code|dev_1")
		m.Type = "recovery-code"
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		const n = 20
		var wins atomic.Int32
		winner := make(chan string, n)
		parallel(t, n, func(i int) error {
			in := signIn(fmt.Sprint("signin-", i), "user-1", m.ID, clock)
			in.Version = 1
			in.Secret = []byte(fmt.Sprint("new code hash ", i))
			_, err := s.SignIn(ctx, in)
			switch {
			case err == nil:
				wins.Add(1)
				winner <- fmt.Sprint(i)
			case !errors.Is(err, store.ErrConflict):
				return err
			}
			return nil
		})
		require.Equal(t, int32(1), wins.Load(), "one recovery code is used once")
		w := <-winner
		got, err := s.Get(ctx, "user-1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, []byte("new code hash "+w), got.Secret, "the winner's new code is stored")
		assert.Equal(t, int64(2), got.Version)
		for i := range n {
			if sid := fmt.Sprint("signin-", i); fmt.Sprint(i) != w {
				unconsumed(t, s, sid, clock)
			}
		}
	}},
	{"SignInCounterNotAdvancedIsStale", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-05: the enrollment accepted TOTP step 100; a sign-in with the
		// same step, or an earlier one, is stale and consumes nothing.
		// SI-04: likewise a WebAuthn signature counter that does not grow.
		m := sampleMethod("user-1", "totp|dev_1")
		m.Counter = 100
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		m.Version = 1
		for _, step := range []int64{100, 99, 1} {
			in := signIn(fmt.Sprint("stale-", step), "user-1", m.ID, clock)
			in.Counter = step
			in.Attrs = []byte(`{"last_auth_at":"x"}`)
			_, err := s.SignIn(ctx, in)
			require.ErrorIs(t, err, store.ErrStale, "step %d", step)
			unconsumed(t, s, in.SessionID, clock)
			unchanged(t, s, m)
		}
		in := signIn("fresh", "user-1", m.ID, clock)
		in.Counter = 101
		_, err := s.SignIn(ctx, in)
		require.NoError(t, err, "the next step is accepted")
	}},
	{"SignInConcurrentOneCounterExactlyOne", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-04, SI-05: concurrent sign-ins with one code (one step), each
		// through its own session: one succeeds, the others are stale and
		// consume nothing.
		m := sampleMethod("user-1", "totp|dev_1")
		m.Counter = 100
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		const n = 20
		var wins, stale atomic.Int32
		parallel(t, n, func(i int) error {
			in := signIn(fmt.Sprint("signin-", i), "user-1", m.ID, clock)
			in.Counter = 101
			_, err := s.SignIn(ctx, in)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrStale):
				stale.Add(1)
			default:
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load(), "one time step is accepted once")
		assert.Equal(t, int32(n-1), stale.Load())
	}},
	{"SignInVersionConflictConsumesNothing", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-1", "recovery-code|dev_1")
		m.Counter = 50
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		m.Version = 1
		in := signIn("signin", "user-1", m.ID, clock)
		in.Version = 7
		in.Secret = []byte("new code hash")
		_, err := s.SignIn(ctx, in)
		require.ErrorIs(t, err, store.ErrConflict)
		unconsumed(t, s, "signin", clock)
		unchanged(t, s, m)

		in = signIn("signin-2", "user-1", m.ID, clock)
		in.Version, in.Counter = 7, 10
		_, err = s.SignIn(ctx, in)
		require.ErrorIs(t, err, store.ErrConflict, "a conflict is reported before a stale counter")
	}},
	{"SignInMissingMethodIsNotFound", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-b", "totp|dev_b")
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		m.Version = 1
		for _, tc := range []struct{ subject, id string }{
			{"user-a", "totp|none"},
			{"user-a", m.ID}, // another user's method is not found
			{"user-b", "x' OR '1'='1"},
		} {
			in := signIn("signin-"+tc.subject+tc.id, tc.subject, tc.id, clock)
			in.Attrs = []byte(`{"last_auth_at":"x"}`)
			_, err := s.SignIn(ctx, in)
			require.ErrorIs(t, err, store.ErrNotFound, "SignIn(%q, %q)", tc.subject, tc.id)
			unconsumed(t, s, in.SessionID, clock)
		}
		unchanged(t, s, m)
	}},
	{"SignInAndCommitShareSessionUse", func(t *testing.T, s store.Store, clock *Clock) {
		// SI-01: an auth_session consumed by a Commit cannot sign in, and
		// one consumed by a SignIn cannot commit.
		m := sampleMethod("user-1", "totp|dev_1")
		require.NoError(t, s.Commit(ctx, commit("shared-1", m, clock)))
		m.Version = 1
		_, err := s.SignIn(ctx, signIn("shared-1", "user-1", m.ID, clock))
		require.ErrorIs(t, err, store.ErrConsumed)
		unchanged(t, s, m)

		_, err = s.SignIn(ctx, signIn("shared-2", "user-1", m.ID, clock))
		require.NoError(t, err)
		err = s.Commit(ctx, commit("shared-2", sampleMethod("user-1", "totp|dev_2"), clock))
		require.ErrorIs(t, err, store.ErrConsumed)
		_, err = s.Get(ctx, "user-1", "totp|dev_2")
		assert.ErrorIs(t, err, store.ErrNotFound, "a refused commit saves nothing")

		_, err = s.SignIn(ctx, signIn("shared-2", "user-1", "totp|none", clock))
		assert.ErrorIs(t, err, store.ErrConsumed, "a consumed session is reported before a missing method")
	}},
	{"SignInCancelledContextWritesNothing", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-1", "totp|dev_1")
		require.NoError(t, s.Commit(ctx, commit("enroll", m, clock)))
		m.Version = 1
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		in := signIn("signin", "user-1", m.ID, clock)
		in.Counter = 5
		_, err := s.SignIn(cctx, in)
		assert.ErrorIs(t, err, context.Canceled)
		unconsumed(t, s, "signin", clock)
		unchanged(t, s, m)
	}},
}
