package memory

import (
	"bytes"
	"container/heap"
	"context"
	"time"

	"github.com/verifykit/verifykit/store"
)

var _ store.PushDevices = (*Store)(nil)

// pushTickets holds push-notification tickets by hash. Its zero value is
// ready; it is guarded by Store.mu. Its size is bounded by
// Config.MaxSessions, like session records: at the bound, expired tickets
// are purged, and CreatePushTicket fails with store.ErrFull if none has.
type pushTickets struct {
	byHash map[string]*pushRecord
	expiry pushHeap
	// Sign-in transactions, bounded by Config.MaxSessions too.
	txByHash map[string]*txRecord
	txExpiry txHeap
}

type txRecord struct {
	t     store.PushTransaction
	index int // in txExpiry
}

type pushRecord struct {
	t     store.PushTicket
	index int // in expiry heap
}

// pushTicket returns the unexpired record of hash, dropping an expired
// one. s.mu must be held.
func (s *Store) pushTicket(hash []byte, now time.Time) *pushRecord {
	r, ok := s.push.byHash[string(hash)]
	if !ok {
		return nil
	}
	if !now.Before(r.t.Expires) {
		delete(s.push.byHash, string(hash))
		heap.Remove(&s.push.expiry, r.index)
		return nil
	}
	return r
}

// purgePush drops expired tickets and transactions. s.mu must be held.
func (s *Store) purgePush(now time.Time) int {
	n := 0
	for len(s.push.expiry) > 0 && !now.Before(s.push.expiry[0].t.Expires) {
		r := heap.Pop(&s.push.expiry).(*pushRecord)
		delete(s.push.byHash, string(r.t.Hash))
		n++
	}
	for len(s.push.txExpiry) > 0 && !now.Before(s.push.txExpiry[0].t.Expires) {
		r := heap.Pop(&s.push.txExpiry).(*txRecord)
		delete(s.push.txByHash, string(r.t.Hash))
		n++
	}
	return n
}

// pushTx returns the unexpired transaction of hash, dropping an expired
// one. s.mu must be held.
func (s *Store) pushTx(hash []byte, now time.Time) *txRecord {
	r, ok := s.push.txByHash[string(hash)]
	if !ok {
		return nil
	}
	if !now.Before(r.t.Expires) {
		delete(s.push.txByHash, string(hash))
		heap.Remove(&s.push.txExpiry, r.index)
		return nil
	}
	return r
}

// CreatePushTransaction implements store.PushDevices.
func (s *Store) CreatePushTransaction(ctx context.Context, t store.PushTransaction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.pushTx(t.Hash, now) != nil {
		return store.ErrExists
	}
	if s.push.txByHash == nil {
		s.push.txByHash = make(map[string]*txRecord)
	}
	if len(s.push.txByHash) >= s.maxSessions {
		s.purgePush(now)
		if len(s.push.txByHash) >= s.maxSessions {
			return store.ErrFull
		}
	}
	t = cloneTx(t)
	t.Resolved, t.Accepted, t.Reason = false, false, ""
	r := &txRecord{t: t}
	s.push.txByHash[string(t.Hash)] = r
	heap.Push(&s.push.txExpiry, r)
	return nil
}

// ResolvePushTransaction implements store.PushDevices: under the store's
// mutex, the check and the write are one step.
func (s *Store) ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTx(hash, s.now())
	if r == nil {
		return store.PushTransaction{}, store.ErrNotFound
	}
	if r.t.Resolved {
		return store.PushTransaction{}, store.ErrConsumed
	}
	r.t.Resolved, r.t.Accepted, r.t.Reason = true, accepted, reason
	return cloneTx(r.t), nil
}

// PushTransaction implements store.PushDevices.
func (s *Store) PushTransaction(ctx context.Context, hash []byte) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTx(hash, s.now())
	if r == nil {
		return store.PushTransaction{}, store.ErrNotFound
	}
	return cloneTx(r.t), nil
}

func cloneTx(t store.PushTransaction) store.PushTransaction {
	t.Hash = bytes.Clone(t.Hash)
	t.ChallengeHash = bytes.Clone(t.ChallengeHash)
	return t
}

// CreatePushTicket implements store.PushDevices.
func (s *Store) CreatePushTicket(ctx context.Context, t store.PushTicket) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.pushTicket(t.Hash, now) != nil {
		return store.ErrExists
	}
	if s.push.byHash == nil {
		s.push.byHash = make(map[string]*pushRecord)
	}
	if len(s.push.byHash) >= s.maxSessions {
		s.purgePush(now)
		if len(s.push.byHash) >= s.maxSessions {
			return store.ErrFull
		}
	}
	t.Hash = bytes.Clone(t.Hash)
	t.Secret = bytes.Clone(t.Secret)
	t.Device = nil
	r := &pushRecord{t: t}
	s.push.byHash[string(t.Hash)] = r
	heap.Push(&s.push.expiry, r)
	return nil
}

// RedeemPushTicket implements store.PushDevices.
func (s *Store) RedeemPushTicket(ctx context.Context, hash []byte, d store.PushDevice) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTicket(hash, s.now())
	if r == nil {
		return store.PushTicket{}, store.ErrNotFound
	}
	if r.t.Device != nil {
		return store.PushTicket{}, store.ErrConsumed
	}
	d.PublicKey = bytes.Clone(d.PublicKey)
	d.TokenHash = bytes.Clone(d.TokenHash)
	r.t.Device = &d
	return cloneTicket(r.t), nil
}

// PushTicket implements store.PushDevices.
func (s *Store) PushTicket(ctx context.Context, hash []byte) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTicket(hash, s.now())
	if r == nil {
		return store.PushTicket{}, store.ErrNotFound
	}
	return cloneTicket(r.t), nil
}

func cloneTicket(t store.PushTicket) store.PushTicket {
	t.Hash = bytes.Clone(t.Hash)
	t.Secret = bytes.Clone(t.Secret)
	if t.Device != nil {
		d := *t.Device
		d.PublicKey = bytes.Clone(d.PublicKey)
		d.TokenHash = bytes.Clone(d.TokenHash)
		t.Device = &d
	}
	return t
}

// pushHeap orders tickets by expiry.
type pushHeap []*pushRecord

func (h pushHeap) Len() int           { return len(h) }
func (h pushHeap) Less(i, j int) bool { return h[i].t.Expires.Before(h[j].t.Expires) }
func (h pushHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *pushHeap) Push(x any) {
	r := x.(*pushRecord)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *pushHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// txHeap orders transactions by expiry.
type txHeap []*txRecord

func (h txHeap) Len() int           { return len(h) }
func (h txHeap) Less(i, j int) bool { return h[i].t.Expires.Before(h[j].t.Expires) }
func (h txHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *txHeap) Push(x any) {
	r := x.(*txRecord)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *txHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
