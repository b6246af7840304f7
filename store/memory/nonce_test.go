package memory_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

// TestNoncesBounded: used nonces are bounded like sessions (ST-09); a full
// store refuses new nonces rather than forgetting live ones (which would
// allow a replay), and Purge and expiry make room.
func TestNoncesBounded(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now, MaxSessions: 10})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 10 {
		require.NoError(t, s.UseNonce(ctx, nonceKey(fmt.Sprint(i)), clock.Now().Add(time.Duration(i+1)*time.Second)))
	}
	require.ErrorIs(t, s.UseNonce(ctx, nonceKey("full"), clock.Now().Add(time.Minute)), store.ErrFull)
	require.ErrorIs(t, s.UseNonce(ctx, nonceKey("0"), clock.Now().Add(time.Minute)), store.ErrConsumed,
		"a full store still refuses replays")
	clock.Advance(2 * time.Second) // two expire
	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	for i := range 2 {
		require.NoError(t, s.UseNonce(ctx, nonceKey(fmt.Sprint("new", i)), clock.Now().Add(time.Minute)))
	}
	require.ErrorIs(t, s.UseNonce(ctx, nonceKey("full"), clock.Now().Add(time.Minute)), store.ErrFull)
	clock.Advance(time.Second) // one more expires: made room for without a Purge
	require.NoError(t, s.UseNonce(ctx, nonceKey("full"), clock.Now().Add(time.Minute)))
}

// nonceKey returns a sample nonce key named name: a SHA-256 digest, as
// callers pass.
func nonceKey(name string) []byte {
	h := sha256.Sum256([]byte("nonce|" + name))
	return h[:]
}
