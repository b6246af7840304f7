package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// primaryMethod returns a sample primary method (a passkey) of subject.
func primaryMethod(subject, id string) store.Method {
	m := sampleMethod(subject, id)
	m.Type = "passkey"
	return m
}

// primaryIDs returns the ids of the primary methods of ms: in this suite,
// the passkeys (verify decides by the usage in Attrs).
func primaryIDs(ms []store.Method) []string {
	var ids []string
	for _, m := range ms {
		if m.Type == "passkey" {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// ids returns the ids of subject's methods, in list order.
func ids(t *testing.T, s store.Store, subject string) []string {
	t.Helper()
	ms, err := s.List(ctx, subject)
	require.NoError(t, err)
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// deletePrimaryCases are the cases of Methods.DeletePrimary, the store's
// guard of a user's last primary method (verify.Service.Delete).
var deletePrimaryCases = []testCase{
	{"DeletePrimaryInterleavedKeepsOne", func(t *testing.T, s store.Store, clock *Clock) {
		// Two deletes of a user's last two primary methods, interleaved
		// one step at a time: each reads the user's methods, then each
		// deletes. Both read two primaries, so each alone may delete; the
		// store lets the first through and refuses the second.
		require.NoError(t, s.Commit(ctx, commit("sid-a", primaryMethod("user-1", "passkey|a"), clock)))
		require.NoError(t, s.Commit(ctx, commit("sid-b", primaryMethod("user-1", "passkey|b"), clock)))
		require.NoError(t, s.Commit(ctx, commit("sid-c", sampleMethod("user-1", "totp|c"), clock)))

		// Deleter 1 (of a) reads.
		read1, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		require.Len(t, primaryIDs(read1), 2)
		// Deleter 2 (of b) reads.
		read2, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		require.Len(t, primaryIDs(read2), 2)
		// Deleter 2 deletes.
		err2 := s.DeletePrimary(ctx, "user-1", "passkey|b", primaryIDs(read2))
		// Deleter 1 deletes.
		err1 := s.DeletePrimary(ctx, "user-1", "passkey|a", primaryIDs(read1))

		require.NoError(t, err2, "the first delete leaves a primary method")
		require.ErrorIs(t, err1, store.ErrLastPrimary, "the second delete would leave none")
		assert.Equal(t, []string{"passkey|a", "totp|c"}, ids(t, s, "user-1"), "one primary method remains")
	}},
	{"DeletePrimaryConcurrentKeepsOne", func(t *testing.T, s store.Store, clock *Clock) {
		// Concurrent deletes of each of a user's primary methods, all read
		// before any delete: all but one succeed.
		const n = 8
		for i := range n {
			require.NoError(t, s.Commit(ctx, commit(fmt.Sprint("sid-", i), primaryMethod("user-1", fmt.Sprint("passkey|", i)), clock)))
		}
		ms, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		primaries := primaryIDs(ms)
		require.Len(t, primaries, n)
		var wins, refused atomic.Int32
		parallel(t, n, func(i int) error {
			err := s.DeletePrimary(ctx, "user-1", fmt.Sprint("passkey|", i), primaries)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrLastPrimary):
				refused.Add(1)
			default:
				return err
			}
			return nil
		})
		assert.Equal(t, int32(n-1), wins.Load())
		assert.Equal(t, int32(1), refused.Load())
		assert.Len(t, ids(t, s, "user-1"), 1, "one primary method remains")
	}},
	{"DeletePrimaryRefusesLastAndDeletesNothing", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid-a", primaryMethod("user-1", "passkey|a"), clock)))
		require.NoError(t, s.Commit(ctx, commit("sid-c", sampleMethod("user-1", "totp|c"), clock)))
		require.NoError(t, s.Commit(ctx, commit("sid-z", primaryMethod("user-2", "passkey|z"), clock)))

		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|a", []string{"passkey|a"}), store.ErrLastPrimary)
		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|a", nil), store.ErrLastPrimary, "no primaries: nothing would be kept")
		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|a", []string{"passkey|a", "passkey|z"}), store.ErrLastPrimary,
			"another user's method keeps nothing of this user's")
		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|a", []string{"passkey|a", "passkey|gone"}), store.ErrLastPrimary,
			"a primary that no longer exists keeps nothing")
		assert.Equal(t, []string{"passkey|a", "totp|c"}, ids(t, s, "user-1"), "a refused delete removes nothing")

		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|none", []string{"passkey|a"}), store.ErrNotFound)
		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|z", []string{"passkey|a"}), store.ErrNotFound,
			"another user's method is not found")
		require.ErrorIs(t, s.DeletePrimary(ctx, "user-1", "passkey|none", nil), store.ErrNotFound,
			"a missing method is reported before the guard")

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, s.DeletePrimary(cctx, "user-1", "totp|c", []string{"passkey|a"}), context.Canceled)
		require.NoError(t, s.DeletePrimary(ctx, "user-1", "totp|c", []string{"passkey|a"}), "a method other than the last primary goes")
		assert.Equal(t, []string{"passkey|a"}, ids(t, s, "user-1"))
	}},
}
