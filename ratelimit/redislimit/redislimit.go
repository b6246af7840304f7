package redislimit

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/verifykit/verifykit/internal/gcra"
	"github.com/verifykit/verifykit/verify"
)

// defaultPrefix and maxPrefixLength are Config.Prefix's default and
// bound.
const (
	defaultPrefix   = "verifykit:ratelimit:"
	maxPrefixLength = 128
)

//go:embed gcra.lua
var gcraSource string

var gcraScript = redis.NewScript(gcraSource)

// Config configures a Limiter.
type Config struct {
	// Client is the Redis connection: a *redis.Client, *redis.ClusterClient,
	// *redis.Ring or redis.UniversalClient. Required. Every process that
	// must share limits uses the same Redis (and the same Prefix).
	Client redis.Scripter
	// Prefix is prepended to every Redis key. Default
	// "verifykit:ratelimit:"; at most 128 bytes.
	Prefix string
	// Now is the clock the decisions are made with; nil means time.Now.
	// The Redis server's clock is never read: processes sharing a Redis
	// must keep their clocks synchronized.
	Now func() time.Time
}

// Limiter is a verify.Limiter on Redis: GCRA, one atomic script per
// decision, with exactly the semantics of ratelimit.Memory. It is safe for
// concurrent use by goroutines and by processes sharing the Redis server.
type Limiter struct {
	client redis.Scripter
	prefix string
	now    func() time.Time
}

var _ verify.Limiter = (*Limiter)(nil)

// New validates cfg and returns a Limiter. It does not contact Redis.
func New(cfg Config) (*Limiter, error) {
	if cfg.Client == nil {
		return nil, errors.New("redislimit: Config.Client is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = defaultPrefix
	}
	if len(cfg.Prefix) > maxPrefixLength {
		return nil, fmt.Errorf("redislimit: Prefix length %d out of range [1, %d]", len(cfg.Prefix), maxPrefixLength)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{client: cfg.Client, prefix: cfg.Prefix, now: cfg.Now}, nil
}

// RedisKey returns the Redis key that holds key's bucket: the prefix and
// the unpadded base64url SHA-256 of key, so that user ids, addresses and
// phone numbers used as keys are not stored in Redis.
func (l *Limiter) RedisKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return l.prefix + base64.RawURLEncoding.EncodeToString(h[:])
}

// split returns ns as whole seconds and nanoseconds in [0, 1e9).
func split(ns int64) (int64, int64) {
	s, n := ns/1e9, ns%1e9
	if n < 0 {
		s, n = s-1, n+1e9
	}
	return s, n
}

// Allow records one request against key under limit and reports the
// decision, as ratelimit.Memory does (see package ratelimit for the
// algorithm and the meaning of every field). It fails for a limit out of
// range (ratelimit.ErrLimit), a done context, or a Redis failure; callers
// fail closed.
func (l *Limiter) Allow(ctx context.Context, key string, limit verify.Limit) (verify.RateLimit, error) {
	if err := gcra.Check(limit); err != nil {
		return verify.RateLimit{}, err
	}
	if err := ctx.Err(); err != nil {
		return verify.RateLimit{}, err
	}
	g := gcra.New(limit)
	now := l.now().UnixNano()
	nowS, nowN := split(now)
	intS, intN := split(g.Interval)
	burstS, burstN := split(g.Burst)
	res, err := gcraScript.Run(ctx, l.client, []string{l.RedisKey(key)}, nowS, nowN, intS, intN, burstS, burstN).Int64Slice()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return verify.RateLimit{}, fmt.Errorf("redislimit: %w", cerr)
		}
		return verify.RateLimit{}, fmt.Errorf("redislimit: %w", err)
	}
	if len(res) != 3 || res[0] < 0 || res[0] > 1 || res[2] < 0 || res[2] >= 1e9 {
		return verify.RateLimit{}, fmt.Errorf("redislimit: unexpected script reply %v", res)
	}
	tat := res[1]*1e9 + res[2]
	if res[0] == 0 {
		return g.Refused(tat, now), nil
	}
	return g.Allowed(tat, now), nil
}
