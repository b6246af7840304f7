package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/verifykit/verifykit/ratelimit/redislimit"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/verify"
)

// Limits of the storage flags.
const (
	defaultPurgeInterval = time.Minute
	minPurgeInterval     = time.Second
	maxPurgeInterval     = 24 * time.Hour
)

// openStore opens the store named by -store: "memory" (the default),
// "sqlite:PATH", or a postgres:// (postgresql://) URL. keys seal the
// secret columns of the SQL stores. The error never repeats the spec,
// which may hold a database password.
func openStore(ctx context.Context, spec string, keys []sqlstore.Key) (store.Store, func() error, error) {
	noop := func() error { return nil }
	var cfg sqlstore.Config
	switch {
	case spec == "" || spec == "memory":
		s, err := memory.New(memory.Config{})
		return s, noop, err
	case strings.HasPrefix(spec, "sqlite:"):
		cfg = sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: strings.TrimPrefix(spec, "sqlite:")}
		if cfg.DSN == "" {
			return nil, nil, errors.New("-store sqlite:PATH: the path is empty")
		}
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		cfg = sqlstore.Config{Driver: sqlstore.DriverPostgres, DSN: spec}
	default:
		return nil, nil, errors.New("-store: want memory, sqlite:PATH or a postgres:// URL")
	}
	cfg.Keys = keys
	s, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("-store: %w", err)
	}
	return s, s.Close, nil
}

// parseStoreKeys parses -store-keys: comma-separated ID:KEY pairs, the
// current key first, each KEY 32 bytes in base64url. Empty means one
// random key, which the caller warns about.
func parseStoreKeys(s string) ([]sqlstore.Key, bool, error) {
	if s == "" {
		k := sqlstore.Key{ID: "random"}
		_, _ = rand.Read(k.Secret[:]) // crypto/rand.Read never fails (Go 1.24+)
		return []sqlstore.Key{k}, true, nil
	}
	var keys []sqlstore.Key
	for i, pair := range strings.Split(s, ",") {
		id, enc, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok {
			return nil, false, fmt.Errorf("-store-keys: entry %d is not ID:KEY", i+1)
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
		if err != nil || len(b) != 32 {
			return nil, false, fmt.Errorf("-store-keys: key %q is not 32 bytes of base64url", id)
		}
		k := sqlstore.Key{ID: id}
		copy(k.Secret[:], b)
		keys = append(keys, k)
	}
	return keys, false, nil
}

// openRedisLimiter connects to the Redis of -redis (redis:// or rediss://
// URL) and returns a limiter shared by every process using it.
func openRedisLimiter(ctx context.Context, url string) (verify.Limiter, func() error, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, errors.New("-redis: want a redis:// or rediss:// URL")
	}
	client := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, nil, fmt.Errorf("-redis: %w", err)
	}
	l, err := redislimit.New(redislimit.Config{Client: client})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return l, client.Close, nil
}

// purge deletes expired records from st every interval until ctx is done,
// if st keeps them until asked (store.Purger).
func purge(ctx context.Context, st store.Store, every time.Duration, logger *slog.Logger) {
	p, ok := st.(store.Purger)
	if !ok {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := p.Purge(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("purge expired records", "error", err)
			case n > 0:
				logger.Debug("purged expired records", "count", n)
			}
		}
	}
}
