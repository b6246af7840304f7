package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// runSingleUse runs the cases single-use secrets rely on
// (SECURITY-CHECKLIST ST-04): a recovery code is spent by deleting its
// method, an e-mailed or texted code by consuming its auth_session in a
// Commit, so both operations must be conditional writes that succeed once
// under concurrency, on one store or on several sharing a database.
// newStores is Options.Shared.
func runSingleUse(t *testing.T, newStores func(t *testing.T, n int, now func() time.Time) []store.Store) {
	t.Helper()
	for _, tc := range singleUseCases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(Epoch)
			tc.run(t, newStores(t, 2, clock.Now), clock)
		})
	}
}

var singleUseCases = []struct {
	name string
	run  func(t *testing.T, s []store.Store, clock *Clock)
}{
	{"DeleteConcurrentExactlyOne", func(t *testing.T, s []store.Store, clock *Clock) {
		// 20 concurrent spends of one recovery code: one delete succeeds,
		// the others find nothing to delete.
		m := sampleMethod("user-1", "recovery-code|dev_1")
		other := sampleMethod("user-1", "recovery-code|dev_2")
		require.NoError(t, s[0].Commit(ctx, commit("sid-1", m, clock)))
		require.NoError(t, s[0].Commit(ctx, commit("sid-2", other, clock)))
		var wins, gone atomic.Int32
		parallel(t, 20, func(i int) error {
			err := s[i%len(s)].Delete(ctx, "user-1", m.ID)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrNotFound):
				gone.Add(1)
			default:
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load(), "a code is spent once")
		assert.Equal(t, int32(19), gone.Load())
		_, err := s[1].Get(ctx, "user-1", other.ID)
		assert.NoError(t, err, "the user's other code is untouched")
	}},
	{"DeleteScopedToSubject", func(t *testing.T, s []store.Store, clock *Clock) {
		// A spend names the user: another user's method is not found and
		// stays (RC-04 at the store).
		m := sampleMethod("user-b", "recovery-code|dev_b")
		require.NoError(t, s[0].Commit(ctx, commit("sid", m, clock)))
		assert.ErrorIs(t, s[1].Delete(ctx, "user-a", m.ID), store.ErrNotFound)
		_, err := s[0].Get(ctx, "user-b", m.ID)
		assert.NoError(t, err)
	}},
	{"SessionConsumedOnceAcrossStores", func(t *testing.T, s []store.Store, clock *Clock) {
		// An out-of-band code's auth_session: concurrent confirms through
		// every store, one commit wins, the rest see ErrConsumed, and an
		// attempt on it afterwards is refused too.
		var wins atomic.Int32
		parallel(t, 40, func(i int) error {
			err := s[i%len(s)].Commit(ctx, commit("oob-session", sampleMethod("user-1", fmt.Sprintf("email|dev_%d", i)), clock))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConsumed):
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load())
		for _, st := range s {
			_, err := st.Attempt(ctx, "oob-session", clock.Now().Add(5*time.Minute))
			assert.ErrorIs(t, err, store.ErrConsumed)
		}
		ms, err := s[0].List(ctx, "user-1")
		require.NoError(t, err)
		assert.Len(t, ms, 1)
	}},
}
