package memory

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/store"
)

var (
	_ store.Nonces       = (*Store)(nil)
	_ store.ServerNonces = (*Store)(nil)
)

// nonces holds used nonces (DPoP proof jtis) by key until they expire. Its
// zero value is ready; it is guarded by Store.mu. Its size is bounded by
// Config.MaxSessions, like session records: at the bound, expired nonces
// are purged, and UseNonce fails with store.ErrFull if none has, rather
// than forgetting a live nonce (which would allow its replay).
type nonces struct {
	byKey  map[string]*nonceRecord
	expiry nonceHeap
	server map[int64]serverNonce // DPoP server nonces by period
}

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
	if n, ok := s.nonces.server[period]; ok && now.Before(n.expires) {
		return n.value, nil
	}
	if s.nonces.server == nil {
		s.nonces.server = make(map[int64]serverNonce)
	}
	if len(s.nonces.server) >= maxServerNonces {
		for p, n := range s.nonces.server {
			if !now.Before(n.expires) {
				delete(s.nonces.server, p)
			}
		}
		if len(s.nonces.server) >= maxServerNonces {
			return nil, store.ErrFull
		}
	}
	v := append([]byte(nil), candidate...)
	s.nonces.server[period] = serverNonce{value: v, expires: expires}
	return v, nil
}

type nonceRecord struct {
	key     string
	expires time.Time
	index   int // in expiry heap
}

// purgeNonces drops expired nonces. s.mu must be held.
func (s *Store) purgeNonces(now time.Time) int {
	n := 0
	for len(s.nonces.expiry) > 0 && !now.Before(s.nonces.expiry[0].expires) {
		r := heap.Pop(&s.nonces.expiry).(*nonceRecord)
		delete(s.nonces.byKey, r.key)
		n++
	}
	return n
}

// UseNonce implements store.Nonces.
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
	if r, ok := s.nonces.byKey[string(key)]; ok {
		if now.Before(r.expires) {
			return store.ErrConsumed
		}
		delete(s.nonces.byKey, r.key)
		heap.Remove(&s.nonces.expiry, r.index)
	}
	if !now.Before(expires) {
		return nil // expired already: nothing to remember
	}
	if s.nonces.byKey == nil {
		s.nonces.byKey = make(map[string]*nonceRecord)
	}
	if len(s.nonces.byKey) >= s.maxSessions {
		s.purgeNonces(now)
		if len(s.nonces.byKey) >= s.maxSessions {
			return store.ErrFull
		}
	}
	r := &nonceRecord{key: string(key), expires: expires}
	s.nonces.byKey[r.key] = r
	heap.Push(&s.nonces.expiry, r)
	return nil
}

// nonceHeap orders nonces by expiry.
type nonceHeap []*nonceRecord

func (h nonceHeap) Len() int           { return len(h) }
func (h nonceHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h nonceHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *nonceHeap) Push(x any) {
	r := x.(*nonceRecord)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *nonceHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
