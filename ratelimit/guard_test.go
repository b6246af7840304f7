package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
)

var ctx = context.Background()

var errWrong = verify.NewError(verify.ErrInvalidProof, "wrong_code", "Invalid code")

func TestGuard(t *testing.T) {
	c := newClock()
	m := newMemory(t, c, 0)
	limit := ratelimit.DefaultGuardLimit()
	var ran int
	wrong := func(context.Context) error { ran++; return errWrong }
	right := func(context.Context) error { ran++; return nil }

	for range limit.Requests {
		err := ratelimit.Guard(ctx, m, "user:alice", limit, wrong)
		require.ErrorIs(t, err, verify.ErrInvalidProof, "the check's own error, unchanged")
	}
	err := ratelimit.Guard(ctx, m, "user:alice", limit, right)
	require.ErrorIs(t, err, verify.ErrRateLimited, "the right secret after the budget is spent is refused")
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.NotNil(t, ve.RateLimit)
	assert.False(t, ve.RateLimit.Allowed)
	assert.Equal(t, 3*time.Minute, ve.RateLimit.RetryAfter)
	assert.Equal(t, limit.Requests, ran, "a refused check does not run")

	require.NoError(t, ratelimit.Guard(ctx, m, "user:bob", limit, right), "keys are separate")
	c.Add(limit.Window)
	require.NoError(t, ratelimit.Guard(ctx, m, "user:alice", limit, right), "after the window the budget is back")
}

// Checklist: TO-07.
func TestGuardConcurrent(t *testing.T) {
	m := newMemory(t, newClock(), 0)
	limit := ratelimit.DefaultGuardLimit()
	var evaluated, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			err := ratelimit.Guard(ctx, m, "user:alice", limit, func(context.Context) error {
				evaluated.Add(1)
				return errWrong
			})
			if errors.Is(err, verify.ErrRateLimited) {
				refused.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(limit.Requests), evaluated.Load(), "a burst of 50 guesses evaluates at most the limit")
	assert.Equal(t, int32(50-limit.Requests), refused.Load())
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, verify.Limit) (verify.RateLimit, error) {
	return verify.RateLimit{}, errors.New("redis: connection refused")
}

func TestGuardFailsClosed(t *testing.T) {
	ran := false
	err := ratelimit.Guard(ctx, brokenLimiter{}, "user:alice", ratelimit.DefaultGuardLimit(), func(context.Context) error { ran = true; return nil })
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err), "an outage matches no client error kind")
	assert.False(t, ran)

	err = ratelimit.Guard(ctx, newMemory(t, newClock(), 0), "k", verify.Limit{}, func(context.Context) error { ran = true; return nil })
	require.ErrorIs(t, err, ratelimit.ErrLimit)
	assert.False(t, ran)
	require.Error(t, ratelimit.Guard(ctx, nil, "k", ratelimit.DefaultGuardLimit(), func(context.Context) error { return nil }))
	require.Error(t, ratelimit.Guard(ctx, newMemory(t, newClock(), 0), "k", ratelimit.DefaultGuardLimit(), nil))
}

func ExampleGuard() {
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	// The sign-in check of a TOTP or recovery code, e.g.
	// func(ctx context.Context) error { return totp.Authenticate(ctx, st, sub, id, code) }.
	check := func(context.Context) error {
		return verify.NewError(verify.ErrInvalidProof, "wrong_code", "Invalid code")
	}
	for i := 1; i <= 6; i++ {
		err := ratelimit.Guard(context.Background(), limiter, "signin:auth0|alice", ratelimit.DefaultGuardLimit(), check)
		fmt.Printf("attempt %d: %v\n", i, verify.Kind(err))
	}
	// Output:
	// attempt 1: verify: invalid proof
	// attempt 2: verify: invalid proof
	// attempt 3: verify: invalid proof
	// attempt 4: verify: invalid proof
	// attempt 5: verify: invalid proof
	// attempt 6: verify: rate limited
}
