package ratelimit_test

import (
	"context"
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

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newMemory(t testing.TB, c *clock, maxKeys int) *ratelimit.Memory {
	t.Helper()
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: c.Now, MaxKeys: maxKeys})
	require.NoError(t, err)
	return m
}

var perMinute5 = verify.Limit{Requests: 5, Window: time.Minute} // T = 12 s

func TestNewMemoryConfig(t *testing.T) {
	for _, n := range []int{-1, 1<<26 + 1} {
		_, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: n})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "out of range [1, 67108864]")
	}
	for _, n := range []int{0, 1, 1 << 26} {
		_, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: n})
		require.NoError(t, err)
	}
}

func TestLimitOutOfRangeIsRefused(t *testing.T) {
	bad := []verify.Limit{
		{Requests: 0, Window: time.Minute},
		{Requests: -1, Window: time.Minute},
		{Requests: ratelimit.MaxRequests + 1, Window: time.Hour},
		{Requests: 1, Window: 0},
		{Requests: 1, Window: -time.Second},
		{Requests: 1, Window: ratelimit.MaxWindow + 1},
		{Requests: 10, Window: 9 * time.Nanosecond},
	}
	m := newMemory(t, newClock(), 0)
	for _, l := range bad {
		t.Run(fmt.Sprintf("%d/%v", l.Requests, l.Window), func(t *testing.T) {
			_, err := m.Allow(context.Background(), "k", l)
			require.ErrorIs(t, err, ratelimit.ErrLimit)
			_, err = ratelimit.Unlimited(nil).Allow(context.Background(), "k", l)
			require.ErrorIs(t, err, ratelimit.ErrLimit)
		})
	}
	for _, l := range []verify.Limit{{Requests: 10, Window: 10 * time.Nanosecond}, {Requests: ratelimit.MaxRequests, Window: ratelimit.MaxWindow}} {
		_, err := ratelimit.Unlimited(nil).Allow(context.Background(), "k", l)
		require.NoError(t, err, "the bounds are inclusive")
	}
	assert.Equal(t, 0, m.Len(), "a refused limit creates no state")
}

func TestMemoryBurstAndRefill(t *testing.T) {
	c := newClock()
	m := newMemory(t, c, 0)
	ctx := context.Background()
	t0 := c.Now()

	for i := range 5 {
		rl, err := m.Allow(ctx, "user", perMinute5)
		require.NoError(t, err)
		assert.True(t, rl.Allowed, "request %d", i)
		assert.Equal(t, 5, rl.Limit)
		assert.Equal(t, 4-i, rl.Remaining, "request %d", i)
		assert.Equal(t, t0.Add(time.Duration(i+1)*12*time.Second), rl.Reset, "request %d", i)
		assert.Zero(t, rl.RetryAfter)
	}

	// The sixth in the same instant is refused, and refusals are not counted.
	for range 3 {
		rl, err := m.Allow(ctx, "user", perMinute5)
		require.NoError(t, err)
		assert.False(t, rl.Allowed)
		assert.Equal(t, 0, rl.Remaining)
		assert.Equal(t, 12*time.Second, rl.RetryAfter)
		assert.Equal(t, t0.Add(time.Minute), rl.Reset)
	}

	// Just before one interval has passed: still refused, with the rest to wait.
	c.Add(12*time.Second - time.Nanosecond)
	rl, err := m.Allow(ctx, "user", perMinute5)
	require.NoError(t, err)
	assert.False(t, rl.Allowed)
	assert.Equal(t, time.Nanosecond, rl.RetryAfter)

	// After one interval exactly one more request is allowed.
	c.Add(time.Nanosecond)
	rl, err = m.Allow(ctx, "user", perMinute5)
	require.NoError(t, err)
	assert.True(t, rl.Allowed)
	assert.Equal(t, 0, rl.Remaining)
	assert.Equal(t, t0.Add(72*time.Second), rl.Reset)
	rl, err = m.Allow(ctx, "user", perMinute5)
	require.NoError(t, err)
	assert.False(t, rl.Allowed)

	// After the reset time the full burst is back.
	c.Add(time.Hour)
	for i := range 5 {
		rl, err := m.Allow(ctx, "user", perMinute5)
		require.NoError(t, err)
		assert.True(t, rl.Allowed, "request %d", i)
	}
}

func TestMemoryKeysIndependent(t *testing.T) {
	c := newClock()
	m := newMemory(t, c, 0)
	ctx := context.Background()
	one := verify.Limit{Requests: 1, Window: time.Minute}
	rl, err := m.Allow(ctx, "a", one)
	require.NoError(t, err)
	require.True(t, rl.Allowed)
	rl, err = m.Allow(ctx, "a", one)
	require.NoError(t, err)
	require.False(t, rl.Allowed)
	rl, err = m.Allow(ctx, "b", one)
	require.NoError(t, err)
	require.True(t, rl.Allowed, "another key has its own budget")
}

func TestMemoryClockBackwards(t *testing.T) {
	c := newClock()
	m := newMemory(t, c, 0)
	ctx := context.Background()
	allowed := 0
	for range 5 {
		rl, err := m.Allow(ctx, "k", perMinute5)
		require.NoError(t, err)
		if rl.Allowed {
			allowed++
		}
	}
	c.Add(-time.Hour)
	for range 10 {
		rl, err := m.Allow(ctx, "k", perMinute5)
		require.NoError(t, err)
		if rl.Allowed {
			allowed++
		}
	}
	assert.Equal(t, 5, allowed, "a clock stepping back grants nothing extra")
}

func TestMemoryConcurrentExactlyLimit(t *testing.T) {
	c := newClock()
	m := newMemory(t, c, 0)
	const n = 64
	limit := verify.Limit{Requests: 10, Window: time.Minute}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			rl, err := m.Allow(context.Background(), "shared", limit)
			if err == nil && rl.Allowed {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(10), allowed.Load())
}

func TestMemoryEviction(t *testing.T) {
	ctx := context.Background()
	one := verify.Limit{Requests: 1, Window: time.Minute}

	t.Run("idle keys are dropped losslessly", func(t *testing.T) {
		c := newClock()
		m := newMemory(t, c, 2)
		for _, k := range []string{"a", "b"} {
			rl, err := m.Allow(ctx, k, one)
			require.NoError(t, err)
			require.True(t, rl.Allowed)
		}
		require.Equal(t, 2, m.Len())
		c.Add(time.Minute) // a and b are idle now
		rl, err := m.Allow(ctx, "c", one)
		require.NoError(t, err)
		require.True(t, rl.Allowed)
		assert.Equal(t, 1, m.Len())
	})

	t.Run("a full table drops the key closest to idle", func(t *testing.T) {
		c := newClock()
		m := newMemory(t, c, 2)
		long := verify.Limit{Requests: 1, Window: time.Hour}
		rl, err := m.Allow(ctx, "long", long) // TAT = now + 1h
		require.NoError(t, err)
		require.True(t, rl.Allowed)
		rl, err = m.Allow(ctx, "short", one) // TAT = now + 1m
		require.NoError(t, err)
		require.True(t, rl.Allowed)
		rl, err = m.Allow(ctx, "new", one)
		require.NoError(t, err)
		require.True(t, rl.Allowed)
		assert.Equal(t, 2, m.Len())

		rl, err = m.Allow(ctx, "long", long)
		require.NoError(t, err)
		assert.False(t, rl.Allowed, "the key furthest from idle is kept")
		rl, err = m.Allow(ctx, "short", one)
		require.NoError(t, err)
		assert.True(t, rl.Allowed, "the key closest to idle was dropped")
	})

	t.Run("memory stays bounded", func(t *testing.T) {
		c := newClock()
		m := newMemory(t, c, 100)
		for i := range 10_000 {
			_, err := m.Allow(ctx, fmt.Sprint("k", i), one)
			require.NoError(t, err)
		}
		assert.Equal(t, 100, m.Len())
	})
}

func TestMemoryContext(t *testing.T) {
	m := newMemory(t, newClock(), 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Allow(ctx, "k", perMinute5)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, m.Len())
}

func TestUnlimited(t *testing.T) {
	c := newClock()
	l := ratelimit.Unlimited(c.Now)
	for range 100 {
		rl, err := l.Allow(context.Background(), "k", perMinute5)
		require.NoError(t, err)
		assert.Equal(t, verify.RateLimit{Allowed: true, Limit: 5, Remaining: 5, Reset: c.Now()}, rl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Allow(ctx, "k", perMinute5)
	require.ErrorIs(t, err, context.Canceled)
}

func ExampleMemory() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	limit := verify.Limit{Requests: 3, Window: time.Minute}
	for range 4 {
		rl, _ := m.Allow(context.Background(), "create:auth0|demo", limit)
		fmt.Println(rl.Allowed, rl.Remaining, rl.Reset.Format(time.TimeOnly), rl.RetryAfter)
	}
	// Output:
	// true 2 00:00:20 0s
	// true 1 00:00:40 0s
	// true 0 00:01:00 0s
	// false 0 00:01:00 20s
}

func BenchmarkMemoryAllow(b *testing.B) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	require.NoError(b, err)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("user-", i)
	}
	limit := verify.Limit{Requests: 1 << 20, Window: time.Minute}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := m.Allow(ctx, keys[i&1023], limit); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkMemoryAllowParallel(b *testing.B) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	require.NoError(b, err)
	limit := verify.Limit{Requests: 1 << 20, Window: time.Minute}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Allow(context.Background(), fmt.Sprint("user-", i&255), limit); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
