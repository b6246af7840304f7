package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/store"
)

var (
	_ store.Nonces       = (*Store)(nil)
	_ store.ServerNonces = (*Store)(nil)
)

type serverNonce struct {
	value   []byte
	expires time.Time
}

// maxServerNonces bounds the server nonces kept: a caller asks for the
// current and the previous period, so a few suffice; expired ones are
// dropped first.
const maxServerNonces = 64

// ServerNonce implements store.ServerNonces.
func (s *Store) ServerNonce(ctx context.Context, period int64, candidate []byte, expires time.Time) ([]byte, error) {
	if len(candidate) == 0 || len(candidate) > store.MaxNonceKey {
		return nil, fmt.Errorf("memory: server nonce of %d bytes out of range [1, %d]", len(candidate), store.MaxNonceKey)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if n, ok := s.serverNonces[period]; ok && now.Before(n.expires) {
		return n.value, nil
	}
	if s.serverNonces == nil {
		s.serverNonces = make(map[int64]serverNonce)
	}
	if len(s.serverNonces) >= maxServerNonces {
		for p, n := range s.serverNonces {
			if !now.Before(n.expires) {
				delete(s.serverNonces, p)
			}
		}
		if len(s.serverNonces) >= maxServerNonces {
			return nil, store.ErrFull
		}
	}
	v := append([]byte(nil), candidate...)
	s.serverNonces[period] = serverNonce{value: v, expires: expires}
	return v, nil
}

// UseNonce implements store.Nonces. Used nonces are bounded by
// Config.MaxSessions, like session records.
func (s *Store) UseNonce(ctx context.Context, key []byte, expires time.Time) error {
	if len(key) == 0 || len(key) > store.MaxNonceKey {
		return fmt.Errorf("memory: nonce key of %d bytes out of range [1, %d]", len(key), store.MaxNonceKey)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.nonces.get(string(key), now) != nil {
		return store.ErrConsumed
	}
	if !now.Before(expires) {
		return nil // expired already: nothing to remember
	}
	_, err := s.nonces.add(string(key), struct{}{}, expires, now, s.maxSessions)
	return err
}
