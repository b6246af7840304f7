package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// nonceCases are the cases of store.Nonces: single use, single use under
// concurrency, expiry on the injected clock, independence of keys,
// isolation from the caller's slice, and cancelled contexts.
type nonceCase = suiteCase[store.Nonces]

// nonceKey returns a sample nonce key named name: a SHA-256 digest, as
// callers pass.
func nonceKey(name string) []byte {
	h := sha256.Sum256([]byte("nonce|" + name))
	return h[:]
}

var nonceCases = []nonceCase{
	{"UseOnce", func(t *testing.T, s store.Nonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		require.NoError(t, s.UseNonce(ctx, nonceKey("a"), exp))
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("a"), exp), store.ErrConsumed)
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("a"), exp.Add(time.Hour)), store.ErrConsumed,
			"a replay with a later expiry is refused too")
	}},
	{"KeysAreIndependent", func(t *testing.T, s store.Nonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		require.NoError(t, s.UseNonce(ctx, nonceKey("a"), exp))
		require.NoError(t, s.UseNonce(ctx, nonceKey("b"), exp))
		short := []byte{1}
		require.NoError(t, s.UseNonce(ctx, short, exp), "a one-byte key")
		require.ErrorIs(t, s.UseNonce(ctx, []byte{1}, exp), store.ErrConsumed)
		long := bytes.Repeat([]byte{7}, store.MaxNonceKey)
		require.NoError(t, s.UseNonce(ctx, long, exp), "a key of MaxNonceKey bytes")
		require.ErrorIs(t, s.UseNonce(ctx, bytes.Clone(long), exp), store.ErrConsumed)
	}},
	{"Concurrent", func(t *testing.T, s store.Nonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		var fresh atomic.Int32
		parallel(t, 100, func(int) error {
			err := s.UseNonce(ctx, nonceKey("a"), exp)
			switch {
			case err == nil:
				fresh.Add(1)
				return nil
			case errors.Is(err, store.ErrConsumed):
				return nil
			default:
				return err
			}
		})
		require.EqualValues(t, 1, fresh.Load(), "exactly one use of one nonce is fresh")
	}},
	{"ConcurrentDistinct", func(t *testing.T, s store.Nonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		parallel(t, 50, func(i int) error {
			return s.UseNonce(ctx, nonceKey(string(rune('A'+i))), exp)
		})
		for i := range 50 {
			require.ErrorIs(t, s.UseNonce(ctx, nonceKey(string(rune('A'+i))), exp), store.ErrConsumed)
		}
	}},
	{"Expiry", func(t *testing.T, s store.Nonces, clock *Clock) {
		require.NoError(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)))
		require.NoError(t, s.UseNonce(ctx, nonceKey("b"), clock.Now().Add(time.Hour)))
		clock.Advance(time.Minute - time.Millisecond)
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)), store.ErrConsumed,
			"used until its expiry")
		clock.Advance(time.Millisecond)
		require.NoError(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)),
			"usable again once expired")
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)), store.ErrConsumed,
			"and recorded again")
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("b"), clock.Now().Add(time.Minute)), store.ErrConsumed,
			"another nonce keeps its own expiry")
	}},
	{"Isolation", func(t *testing.T, s store.Nonces, clock *Clock) {
		key := nonceKey("a")
		require.NoError(t, s.UseNonce(ctx, key, clock.Now().Add(time.Minute)))
		key[0] ^= 0xff
		require.ErrorIs(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)), store.ErrConsumed,
			"the store kept its own copy of the key")
		require.NoError(t, s.UseNonce(ctx, key, clock.Now().Add(time.Minute)))
	}},
	{"KeyLength", func(t *testing.T, s store.Nonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		for _, key := range [][]byte{nil, {}, bytes.Repeat([]byte{7}, store.MaxNonceKey+1)} {
			err := s.UseNonce(ctx, key, exp)
			require.Error(t, err, "key of %d bytes", len(key))
			assert.NotErrorIs(t, err, store.ErrConsumed)
		}
	}},
	{"Context", func(t *testing.T, s store.Nonces, clock *Clock) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, s.UseNonce(cctx, nonceKey("a"), clock.Now().Add(time.Minute)), context.Canceled)
		require.NoError(t, s.UseNonce(ctx, nonceKey("a"), clock.Now().Add(time.Minute)),
			"a cancelled use recorded nothing")
	}},
}

// serverNonceCases are the cases of store.ServerNonces: the first nonce
// stored for a period is the one every caller gets, also under
// concurrency; periods are independent; an expired nonce is replaced.
var serverNonceCases = []suiteCase[store.ServerNonces]{
	{"FirstStoredWins", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		exp := clock.Now().Add(10 * time.Minute)
		a, err := s.ServerNonce(ctx, 7, nonceKey("a"), exp)
		require.NoError(t, err)
		assert.Equal(t, nonceKey("a"), a)
		b, err := s.ServerNonce(ctx, 7, nonceKey("b"), exp)
		require.NoError(t, err)
		assert.Equal(t, nonceKey("a"), b, "a later candidate for the same period is not stored")
	}},
	{"PeriodsAreIndependent", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		exp := clock.Now().Add(10 * time.Minute)
		a, err := s.ServerNonce(ctx, 7, nonceKey("a"), exp)
		require.NoError(t, err)
		b, err := s.ServerNonce(ctx, 8, nonceKey("b"), exp)
		require.NoError(t, err)
		assert.NotEqual(t, a, b)
		again, err := s.ServerNonce(ctx, 7, nonceKey("c"), exp)
		require.NoError(t, err)
		assert.Equal(t, a, again)
	}},
	{"ConcurrentCallersAgree", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		exp := clock.Now().Add(10 * time.Minute)
		got := make([][]byte, 50)
		parallel(t, len(got), func(i int) error {
			v, err := s.ServerNonce(ctx, 42, nonceKey(string(rune('a'+i))), exp)
			got[i] = v
			return err
		})
		for i := range got {
			require.Equal(t, got[0], got[i], "caller %d got another nonce for the same period", i)
		}
	}},
	{"ExpiredNonceIsReplaced", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		_, err := s.ServerNonce(ctx, 7, nonceKey("a"), exp)
		require.NoError(t, err)
		clock.Advance(time.Minute)
		b, err := s.ServerNonce(ctx, 7, nonceKey("b"), exp.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, nonceKey("b"), b)
	}},
	{"CallerSliceIsNotRetained", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		c := nonceKey("a")
		_, err := s.ServerNonce(ctx, 7, c, clock.Now().Add(time.Minute))
		require.NoError(t, err)
		c[0] ^= 0xff
		v, err := s.ServerNonce(ctx, 7, nonceKey("b"), clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, nonceKey("a"), v)
	}},
	{"BadCandidateIsRefused", func(t *testing.T, s store.ServerNonces, clock *Clock) {
		_, err := s.ServerNonce(ctx, 7, nil, clock.Now().Add(time.Minute))
		require.Error(t, err)
		_, err = s.ServerNonce(ctx, 7, make([]byte, store.MaxNonceKey+1), clock.Now().Add(time.Minute))
		require.Error(t, err)
	}},
}
