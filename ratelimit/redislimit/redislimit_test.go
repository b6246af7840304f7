package redislimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/ratelimit/redislimit"
	"github.com/verifykit/verifykit/verify"
)

// RedisEnv names the environment variable holding the URL of the real
// redis-server the tests use (.ci/services start sets it up).
const RedisEnv = "VERIFYKIT_REDIS_URL"

var ctx = context.Background()

// missingPeer skips t on a laptop without the peer, and fails it in CI.
func missingPeer(t testing.TB, msg string) {
	t.Helper()
	peer.Missing(t, "%s", msg)
}

// client returns a client of the test Redis, closed when t ends.
func client(t testing.TB) *redis.Client {
	t.Helper()
	u := os.Getenv(RedisEnv)
	if u == "" {
		missingPeer(t, RedisEnv+" is not set: run `.ci/services start` and eval \"$(.ci/services env)\"")
	}
	opt, err := redis.ParseURL(u)
	require.NoError(t, err)
	c := redis.NewClient(opt)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	require.NoError(t, c.Ping(ctx).Err(), "redis at %s", RedisEnv)
	return c
}

// prefix returns a key prefix of t's own, whose keys are deleted when t
// ends, so that tests and packages sharing the server never collide.
func prefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := "verifykit:test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		keys, err := c.Keys(ctx, p+"*").Result()
		require.NoError(t, err)
		if len(keys) > 0 {
			require.NoError(t, c.Del(ctx, keys...).Err())
		}
	})
	return p
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

func newLimiter(t testing.TB, c *redis.Client, p string, now func() time.Time) *redislimit.Limiter {
	t.Helper()
	l, err := redislimit.New(redislimit.Config{Client: c, Prefix: p, Now: now})
	require.NoError(t, err)
	return l
}

// TestParity replays random request sequences against ratelimit.Memory
// and the Redis limiter on one clock: every decision, Remaining, Reset and
// RetryAfter is identical, for limits whose interval is not a whole
// number of anything.
func TestParity(t *testing.T) {
	c := client(t)
	limits := []verify.Limit{
		{Requests: 1, Window: time.Second},
		{Requests: 3, Window: time.Second}, // interval 333 333 333 ns
		{Requests: 5, Window: 15 * time.Minute},
		{Requests: 7, Window: 1001 * time.Nanosecond},
		{Requests: 1000, Window: time.Hour},
		{Requests: 1, Window: ratelimit.MaxWindow},
		{Requests: 97, Window: 24*time.Hour + 7},
	}
	for _, limit := range limits {
		t.Run(fmt.Sprintf("%d per %v", limit.Requests, limit.Window), func(t *testing.T) {
			clk := &clock{t: epoch}
			mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: clk.Now})
			require.NoError(t, err)
			red := newLimiter(t, c, prefix(t, c), clk.Now)
			rng := mrand.New(mrand.NewPCG(uint64(limit.Requests), uint64(limit.Window)))
			allowed, refused := 0, 0
			interval := int64(limit.Window / time.Duration(limit.Requests))
			for i := range 200 + 6*limit.Requests {
				key := fmt.Sprint("key-", rng.IntN(2))
				switch r := rng.IntN(100 * (limit.Requests + 10)); {
				case r < 100: // rarely, a long pause
					clk.Advance(time.Duration(rng.Int64N(int64(limit.Window)/4 + 1)))
				case r < 100+10*(limit.Requests+10): // up to one interval
					clk.Advance(time.Duration(rng.Int64N(interval + 1)))
				case r < 100+20*(limit.Requests+10): // a few nanoseconds
					clk.Advance(time.Duration(rng.Int64N(3)))
				default: // mostly bursts at one instant
				}
				want, err := mem.Allow(ctx, key, limit)
				require.NoError(t, err)
				got, err := red.Allow(ctx, key, limit)
				require.NoError(t, err)
				require.Equal(t, want, got, "request %d on %s at %v", i, key, clk.Now())
				if got.Allowed {
					allowed++
				} else {
					refused++
				}
			}
			assert.Positive(t, allowed)
			assert.Positive(t, refused)
		})
	}
}

// TestConcurrent: 200 requests released together over two limiters (two
// processes) sharing Redis, at one instant, with a limit of 10: exactly
// 10 allowed, each Remaining seen once; the next interval allows one more.
func TestConcurrent(t *testing.T) {
	c1, c2 := client(t), client(t)
	p := prefix(t, c1)
	clk := &clock{t: epoch}
	ls := []*redislimit.Limiter{newLimiter(t, c1, p, clk.Now), newLimiter(t, c2, p, clk.Now)}
	limit := verify.Limit{Requests: 10, Window: time.Minute}
	var (
		wg      sync.WaitGroup
		allowed atomic.Int32
		seen    [10]atomic.Int32
		start   = make(chan struct{})
	)
	for i := range 200 {
		wg.Go(func() {
			<-start
			rl, err := ls[i%2].Allow(ctx, "user-1", limit)
			if !assert.NoError(t, err) {
				return
			}
			if rl.Allowed {
				allowed.Add(1)
				seen[rl.Remaining].Add(1)
			} else {
				assert.Positive(t, rl.RetryAfter)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(10), allowed.Load())
	for r := range seen {
		assert.Equal(t, int32(1), seen[r].Load(), "remaining %d reported once", r)
	}
	clk.Advance(6 * time.Second)
	rl, err := ls[0].Allow(ctx, "user-1", limit)
	require.NoError(t, err)
	assert.True(t, rl.Allowed, "one request regained after W/R")
	rl, err = ls[1].Allow(ctx, "user-1", limit)
	require.NoError(t, err)
	assert.False(t, rl.Allowed)
	assert.Equal(t, 6*time.Second, rl.RetryAfter)
}

func TestSemantics(t *testing.T) {
	c := client(t)
	clk := &clock{t: epoch}
	l := newLimiter(t, c, prefix(t, c), clk.Now)
	limit := verify.Limit{Requests: 5, Window: 15 * time.Minute} // one per 3 min
	for i := range 5 {
		rl, err := l.Allow(ctx, "k", limit)
		require.NoError(t, err)
		assert.Equal(t, verify.RateLimit{
			Allowed: true, Limit: 5, Remaining: 4 - i,
			Reset: epoch.Add(time.Duration(i+1) * 3 * time.Minute),
		}, rl)
	}
	rl, err := l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Equal(t, verify.RateLimit{Allowed: false, Limit: 5, Reset: epoch.Add(15 * time.Minute), RetryAfter: 3 * time.Minute}, rl)

	// A clock that steps back never grants a new burst.
	clk.Advance(-time.Hour)
	rl, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.False(t, rl.Allowed)
	clk.Advance(time.Hour)

	// Keys are separate; after the window the key is full again.
	rl, err = l.Allow(ctx, "other", limit)
	require.NoError(t, err)
	assert.True(t, rl.Allowed)
	clk.Advance(15 * time.Minute)
	rl, err = l.Allow(ctx, "k", limit)
	require.NoError(t, err)
	assert.Equal(t, 4, rl.Remaining)
}

// TestStorage: keys are hashed (no user data in Redis) and expire once
// idle.
func TestStorage(t *testing.T) {
	c := client(t)
	p := prefix(t, c)
	l := newLimiter(t, c, p, nil)
	_, err := l.Allow(ctx, "alice@example.com", verify.Limit{Requests: 2, Window: time.Minute})
	require.NoError(t, err)
	keys, err := c.Keys(ctx, p+"*").Result()
	require.NoError(t, err)
	require.Equal(t, []string{l.RedisKey("alice@example.com")}, keys)
	assert.False(t, strings.Contains(keys[0], "alice"))
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	require.NoError(t, err)
	assert.Positive(t, ttl)
	assert.LessOrEqual(t, ttl, 30*time.Second+1001*time.Millisecond, "the key lives until its TAT (one interval) plus slack")
}

func TestErrors(t *testing.T) {
	t.Run("config", func(t *testing.T) {
		_, err := redislimit.New(redislimit.Config{})
		assert.ErrorContains(t, err, "Client is required")
		_, err = redislimit.New(redislimit.Config{Client: redis.NewClient(&redis.Options{}), Prefix: strings.Repeat("x", 129)})
		assert.ErrorContains(t, err, "Prefix length 129 out of range [1, 128]")
	})
	t.Run("limit", func(t *testing.T) {
		// Refused before Redis is contacted.
		l, err := redislimit.New(redislimit.Config{Client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})})
		require.NoError(t, err)
		for _, limit := range []verify.Limit{{}, {Requests: 1}, {Requests: 10, Window: 5}, {Requests: 1, Window: ratelimit.MaxWindow + 1}} {
			_, err := l.Allow(ctx, "k", limit)
			assert.ErrorIs(t, err, ratelimit.ErrLimit, "%+v", limit)
		}
	})
	t.Run("redis down", func(t *testing.T) {
		// An outage is an error, never an allowed request.
		rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
		defer rc.Close()
		l, err := redislimit.New(redislimit.Config{Client: rc})
		require.NoError(t, err)
		rl, err := l.Allow(ctx, "k", verify.Limit{Requests: 1, Window: time.Second})
		require.Error(t, err)
		assert.NotErrorIs(t, err, ratelimit.ErrLimit)
		assert.False(t, rl.Allowed)
	})
	t.Run("cancelled", func(t *testing.T) {
		c := client(t)
		l := newLimiter(t, c, prefix(t, c), nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := l.Allow(cctx, "k", verify.Limit{Requests: 1, Window: time.Second})
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func BenchmarkAllow(b *testing.B) {
	c := client(b)
	l := newLimiter(b, c, prefix(b, c), nil)
	limit := verify.Limit{Requests: 1 << 30, Window: time.Hour}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Allow(ctx, fmt.Sprint("k", i%64), limit); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
