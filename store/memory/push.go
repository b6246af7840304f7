package memory

import (
	"bytes"
	"context"
	"time"

	"github.com/verifykit/verifykit/store"
)

// CreatePushTransaction implements store.PushDevices.
func (s *Store) CreatePushTransaction(ctx context.Context, t store.PushTransaction) error {
	t.Resolved, t.Accepted, t.Reason = false, false, ""
	return create(ctx, s, &s.pushTxs, t.Hash, cloneTx(t), t.Expires)
}

// ResolvePushTransaction implements store.PushDevices.
func (s *Store) ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (store.PushTransaction, error) {
	return live(ctx, s, &s.pushTxs, hash, cloneTx, func(t *store.PushTransaction) error {
		if t.Resolved {
			return store.ErrConsumed
		}
		t.Resolved, t.Accepted, t.Reason = true, accepted, reason
		return nil
	})
}

// PushTransaction implements store.PushDevices.
func (s *Store) PushTransaction(ctx context.Context, hash []byte) (store.PushTransaction, error) {
	return live(ctx, s, &s.pushTxs, hash, cloneTx, nil)
}

// CreatePushTicket implements store.PushDevices.
func (s *Store) CreatePushTicket(ctx context.Context, t store.PushTicket) error {
	t.Device = nil
	return create(ctx, s, &s.pushTickets, t.Hash, cloneTicket(t), t.Expires)
}

// RedeemPushTicket implements store.PushDevices.
func (s *Store) RedeemPushTicket(ctx context.Context, hash []byte, d store.PushDevice) (store.PushTicket, error) {
	return live(ctx, s, &s.pushTickets, hash, cloneTicket, func(t *store.PushTicket) error {
		if t.Device != nil {
			return store.ErrConsumed
		}
		t.Device = &d
		*t = cloneTicket(*t)
		return nil
	})
}

// PushTicket implements store.PushDevices.
func (s *Store) PushTicket(ctx context.Context, hash []byte) (store.PushTicket, error) {
	return live(ctx, s, &s.pushTickets, hash, cloneTicket, nil)
}

// create records v under key in e until expires, failing with
// store.ErrExists if key is live.
func create[V any](ctx context.Context, s *Store, e *expiring[V], key []byte, v V, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, added, err := e.getOrAdd(string(key), v, expires, s.now())
	if err == nil && !added {
		return store.ErrExists
	}
	return err
}

// live returns a copy of the live value of key in e, or fails with
// store.ErrNotFound. A non-nil update runs first, under s.mu: if it fails,
// live returns its error.
func live[V any](ctx context.Context, s *Store, e *expiring[V], key []byte, copyOf func(V) V, update func(*V) error) (V, error) {
	var zero V
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := e.get(string(key), s.now())
	if v == nil {
		return zero, store.ErrNotFound
	}
	if update != nil {
		if err := update(v); err != nil {
			return zero, err
		}
	}
	return copyOf(*v), nil
}

func cloneTx(t store.PushTransaction) store.PushTransaction {
	t.Hash = bytes.Clone(t.Hash)
	t.ChallengeHash = bytes.Clone(t.ChallengeHash)
	return t
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
