package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
)

// TestPurge: Purge deletes expired session records, push tickets and
// nonces, by the injected clock, and keeps live ones and methods.
func TestPurge(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		ctx := context.Background()
		short, long := clock.Now().Add(time.Minute), clock.Now().Add(time.Hour)
		_, err := s.Attempt(ctx, "short", short)
		require.NoError(t, err)
		require.NoError(t, s.Commit(ctx, store.Commit{SessionID: "long", SessionExpires: long, Method: sampleMethod("u", "m")}))
		tk := pushTicket("t", "u", clock) // expires in 5 minutes
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		require.NoError(t, s.UseNonce(ctx, nonceKey("short"), short))
		require.NoError(t, s.UseNonce(ctx, nonceKey("long"), long))

		n, err := s.Purge(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing has expired yet")
		clock.Advance(10 * time.Minute)
		n, err = s.Purge(ctx)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "the short session, the ticket and the short nonce")
		var left int
		require.NoError(t, s.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM verifykit_sessions) + (SELECT COUNT(*) FROM verifykit_push_tickets) + (SELECT COUNT(*) FROM verifykit_nonces)`).Scan(&left))
		assert.Equal(t, 2, left, "the long session and the long nonce stay")
		assert.ErrorIs(t, s.UseNonce(ctx, nonceKey("long"), long), store.ErrConsumed)
		_, err = s.Get(ctx, "u", "m")
		assert.NoError(t, err, "methods are never purged")
	})
}
