package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/verifykit/verifykit/store"
)

// maxServerNonces bounds the server nonces kept: a caller asks for the
// current and the previous period, so a few suffice.
const maxServerNonces = 64

// ServerNonce implements store.ServerNonces.
func (s *Store) ServerNonce(ctx context.Context, period int64, candidate []byte, expires time.Time) ([]byte, error) {
	if err := checkNonce("server nonce", candidate); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _, err := s.serverNonces.getOrAdd(strconv.FormatInt(period, 10), bytes.Clone(candidate), expires, s.now())
	if err != nil {
		return nil, err
	}
	return bytes.Clone(*v), nil
}

// UseNonce implements store.Nonces.
func (s *Store) UseNonce(ctx context.Context, key []byte, expires time.Time) error {
	if err := checkNonce("nonce key", key); err != nil {
		return err
	}
	err := create(ctx, s, &s.nonces, key, struct{}{}, expires)
	if errors.Is(err, store.ErrExists) {
		return store.ErrConsumed
	}
	return err
}

func checkNonce(what string, b []byte) error {
	if len(b) == 0 || len(b) > store.MaxNonceKey {
		return fmt.Errorf("memory: %s of %d bytes out of range [1, %d]", what, len(b), store.MaxNonceKey)
	}
	return nil
}
