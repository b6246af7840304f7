package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

// filled returns a store holding perUser methods for each of users users
// ("user0" …), committed at one-second steps.
func filled(tb testing.TB, users, perUser int) *memory.Store {
	tb.Helper()
	s, err := memory.New(memory.Config{Now: storetest.NewClock(storetest.Epoch).Now})
	require.NoError(tb, err)
	ctx := context.Background()
	for u := range users {
		for m := range perUser {
			id := fmt.Sprintf("totp|dev_%d_%d", u, m)
			require.NoError(tb, s.Commit(ctx, store.Commit{
				SessionID: "s" + id, SessionExpires: storetest.Epoch.Add(time.Hour),
				Method: store.Method{ID: id, Subject: fmt.Sprint("user", u), Type: "totp", CreatedAt: storetest.Epoch.Add(time.Duration(m) * time.Second)},
			}))
		}
	}
	return s
}

// TestListIndex: List sees exactly the subject's methods through inserts,
// replacements and deletes.
func TestListIndex(t *testing.T) {
	ctx := context.Background()
	s := filled(t, 3, 2)
	ids := func(sub string) []string {
		ms, err := s.List(ctx, sub)
		require.NoError(t, err)
		var out []string
		for _, m := range ms {
			assert.Equal(t, sub, m.Subject)
			out = append(out, m.ID)
		}
		return out
	}
	assert.Equal(t, []string{"totp|dev_1_0", "totp|dev_1_1"}, ids("user1"))

	m, err := s.Get(ctx, "user1", "totp|dev_1_0")
	require.NoError(t, err)
	require.NoError(t, s.Commit(ctx, store.Commit{SessionID: "replace", SessionExpires: storetest.Epoch.Add(time.Hour), Method: m, Replace: m.Version}))
	assert.Equal(t, []string{"totp|dev_1_0", "totp|dev_1_1"}, ids("user1"), "a replacement is listed once")

	require.NoError(t, s.Delete(ctx, "user1", "totp|dev_1_0"))
	assert.Equal(t, []string{"totp|dev_1_1"}, ids("user1"))
	require.NoError(t, s.Delete(ctx, "user1", "totp|dev_1_1"))
	ms, err := s.List(ctx, "user1")
	require.NoError(t, err)
	assert.Nil(t, ms)
	require.ErrorIs(t, s.Delete(ctx, "user2", "totp|dev_0_0"), store.ErrNotFound, "another subject's method")
	assert.Equal(t, []string{"totp|dev_0_0", "totp|dev_0_1"}, ids("user0"))
	assert.Nil(t, ids("nobody"))
}

// BenchmarkListManyUsers is the List of every Start (the service counts a
// user's methods) on a store holding 20,000 users' methods: it reads the
// user's two methods, not the whole store.
func BenchmarkListManyUsers(b *testing.B) {
	s := filled(b, 10000, 2)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ms, err := s.List(ctx, "user5000")
		if err != nil || len(ms) != 2 {
			b.Fatal(len(ms), err)
		}
	}
}
