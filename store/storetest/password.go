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

// passwordMethod is a password method of subject with the given secret.
func passwordMethod(subject, secret string) store.Method {
	m := sampleMethod(subject, "password|dXNlci0x")
	m.Type, m.Secret = "password", []byte(secret)
	return m
}

// passwordCases are the cases the password engine relies on to keep a
// user's current hash and password history in store.Method.Secret with no
// store interface of its own: a change is a Commit whose Replace is the
// version the engine read, so of concurrent changes exactly one succeeds,
// the others fail with ErrConflict and consume nothing (their session can
// be retried), and no history is lost.
var passwordCases = []testCase{
	{"ReplaceConcurrentExactlyOne", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid-first", passwordMethod("user-1", "hash-0"), clock)))
		const n = 32
		var winner atomic.Int32
		winner.Store(-1)
		parallel(t, n, func(i int) error {
			c := commit(fmt.Sprint("sid-", i), passwordMethod("user-1", fmt.Sprint("hash-", i+1, "|hash-0")), clock)
			c.Replace = 1
			err := s.Commit(ctx, c)
			switch {
			case err == nil:
				if !winner.CompareAndSwap(-1, int32(i)) {
					return errors.New("two replaces of version 1 succeeded")
				}
			case !errors.Is(err, store.ErrConflict):
				return err
			}
			return nil
		})
		w := winner.Load()
		require.GreaterOrEqual(t, w, int32(0), "one replace succeeds")
		got, err := s.Get(ctx, "user-1", "password|dXNlci0x")
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, fmt.Sprint("hash-", w+1, "|hash-0"), string(got.Secret), "the winner's secret, history included")
		for i := range n {
			if int32(i) == w {
				continue
			}
			// A conflict consumed nothing: the loser's session can retry.
			_, err := s.Attempt(ctx, fmt.Sprint("sid-", i), clock.Now().Add(5*time.Minute))
			require.NoError(t, err, "session of a conflicting commit is not consumed")
		}
	}},
	{"ReplaceChain", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid-0", passwordMethod("user-1", "h0"), clock)))
		secret := "h0"
		for i := 1; i <= 3; i++ {
			cur, err := s.Get(ctx, "user-1", "password|dXNlci0x")
			require.NoError(t, err)
			secret = fmt.Sprint("h", i, "|", secret)
			c := commit(fmt.Sprint("sid-", i), passwordMethod("user-1", secret), clock)
			c.Replace = cur.Version
			require.NoError(t, s.Commit(ctx, c))
		}
		stale := commit("sid-stale", passwordMethod("user-1", "lost"), clock)
		stale.Replace = 2
		require.ErrorIs(t, s.Commit(ctx, stale), store.ErrConflict)
		got, err := s.Get(ctx, "user-1", "password|dXNlci0x")
		require.NoError(t, err)
		assert.Equal(t, int64(4), got.Version)
		assert.Equal(t, "h3|h2|h1|h0", string(got.Secret))
	}},
}
