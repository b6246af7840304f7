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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := memory.New(memory.Config{Now: now})
		require.NoError(t, err)
		return s
	})
}

func TestConfigRange(t *testing.T) {
	_, err := memory.New(memory.Config{MaxSessions: -1})
	assert.ErrorContains(t, err, "out of range")
}

// TestBounded: the session records are bounded (SECURITY-CHECKLIST ST-09);
// a full store refuses new sessions rather than forgetting live ones, and
// makes room as sessions expire.
func TestBounded(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now, MaxSessions: 100})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 100 {
		_, err := s.Attempt(ctx, fmt.Sprint(i), clock.Now().Add(time.Duration(i+1)*time.Second))
		require.NoError(t, err)
	}
	_, err = s.Attempt(ctx, "one too many", clock.Now().Add(time.Minute))
	require.ErrorIs(t, err, store.ErrFull)
	n, err := s.Attempt(ctx, "0", clock.Now().Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "a live session is not forgotten when full")

	clock.Advance(10 * time.Second) // the first ten expire
	for i := range 10 {
		_, err := s.Attempt(ctx, fmt.Sprint("new", i), clock.Now().Add(time.Minute))
		require.NoError(t, err)
	}
	_, err = s.Attempt(ctx, "again too many", clock.Now().Add(time.Minute))
	require.ErrorIs(t, err, store.ErrFull)
}
