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

// TestPushBounded: tickets are bounded like sessions (ST-09); a full store
// refuses new tickets rather than forgetting live ones, and Purge and
// expiry make room.
func TestPushBounded(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now, MaxSessions: 10})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 10 {
		tk := pushTicket(fmt.Sprint(i), "alice", clock)
		tk.Expires = clock.Now().Add(time.Duration(i+1) * time.Second)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
	}
	require.ErrorIs(t, s.CreatePushTicket(ctx, pushTicket("full", "alice", clock)), store.ErrFull)
	clock.Advance(2 * time.Second) // two expire
	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	for i := range 2 {
		require.NoError(t, s.CreatePushTicket(ctx, pushTicket(fmt.Sprint("new", i), "alice", clock)))
	}
	require.ErrorIs(t, s.CreatePushTicket(ctx, pushTicket("full", "alice", clock)), store.ErrFull)
}

// pushTicket returns a sample ticket for subject named name, expiring in
// five minutes on clock.
func pushTicket(name, subject string, clock *storetest.Clock) store.PushTicket {
	h := sha256.Sum256([]byte(name))
	return store.PushTicket{
		Hash: h[:], Subject: subject, MethodID: "push-notification|dev_" + name,
		Expires: clock.Now().Add(5 * time.Minute).Truncate(time.Millisecond),
		Secret:  []byte("totp secret of " + name),
	}
}
