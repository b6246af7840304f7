package memory

import (
	"bytes"
	"context"

	"github.com/verifykit/verifykit/store"
)

var _ store.PushDevices = (*Store)(nil)

// Push tickets and sign-in transactions are kept by hash until they
// expire, each bounded by Config.MaxSessions like session records.

// CreatePushTransaction implements store.PushDevices.
func (s *Store) CreatePushTransaction(ctx context.Context, t store.PushTransaction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.pushTxs.get(string(t.Hash), now) != nil {
		return store.ErrExists
	}
	t = cloneTx(t)
	t.Resolved, t.Accepted, t.Reason = false, false, ""
	_, err := s.pushTxs.add(string(t.Hash), t, t.Expires, now, s.maxSessions)
	return err
}

// ResolvePushTransaction implements store.PushDevices: under the store's
// mutex, the check and the write are one step.
func (s *Store) ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTxs.get(string(hash), s.now())
	if r == nil {
		return store.PushTransaction{}, store.ErrNotFound
	}
	if r.v.Resolved {
		return store.PushTransaction{}, store.ErrConsumed
	}
	r.v.Resolved, r.v.Accepted, r.v.Reason = true, accepted, reason
	return cloneTx(r.v), nil
}

// PushTransaction implements store.PushDevices.
func (s *Store) PushTransaction(ctx context.Context, hash []byte) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTxs.get(string(hash), s.now())
	if r == nil {
		return store.PushTransaction{}, store.ErrNotFound
	}
	return cloneTx(r.v), nil
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
	if s.pushTickets.get(string(t.Hash), now) != nil {
		return store.ErrExists
	}
	t.Device = nil
	_, err := s.pushTickets.add(string(t.Hash), cloneTicket(t), t.Expires, now, s.maxSessions)
	return err
}

// RedeemPushTicket implements store.PushDevices.
func (s *Store) RedeemPushTicket(ctx context.Context, hash []byte, d store.PushDevice) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTickets.get(string(hash), s.now())
	if r == nil {
		return store.PushTicket{}, store.ErrNotFound
	}
	if r.v.Device != nil {
		return store.PushTicket{}, store.ErrConsumed
	}
	r.v.Device = &d
	r.v = cloneTicket(r.v)
	return cloneTicket(r.v), nil
}

// PushTicket implements store.PushDevices.
func (s *Store) PushTicket(ctx context.Context, hash []byte) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.pushTickets.get(string(hash), s.now())
	if r == nil {
		return store.PushTicket{}, store.ErrNotFound
	}
	return cloneTicket(r.v), nil
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
