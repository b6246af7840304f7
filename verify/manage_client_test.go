package verify_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// TestManageEventsCarryClient: the events of Update and Delete carry their
// Client argument, so the audit trail of a deletion names where it came
// from.
func TestManageEventsCarryClient(t *testing.T) {
	f := newFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP)
	client := verify.Client{IP: "192.0.2.7", UserAgent: "curl/8.5.0"}

	name := "phone"
	_, err := f.svc.Update(ctx, alice, m.ID, verify.UpdateRequest{Name: &name}, client)
	require.NoError(t, err)
	ev := f.events.last()
	assert.Equal(t, verify.EventUpdated, ev.Kind)
	assert.Equal(t, client, ev.Client)

	require.NoError(t, f.svc.Delete(ctx, alice, m.ID, client))
	ev = f.events.last()
	assert.Equal(t, verify.EventDeleted, ev.Kind)
	assert.Equal(t, client, ev.Client)
	assert.Equal(t, m.ID, ev.MethodID)
	assert.Equal(t, alice.ID, ev.Subject)
	assert.Equal(t, verify.TypeTOTP, ev.Type)
}

// TestUpdateNothing: an update that changes nothing returns the method
// unchanged, without a write (the version stays) or an event.
func TestUpdateNothing(t *testing.T) {
	f := newFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP)
	before, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	events := len(f.events.events)

	got, err := f.svc.Update(ctx, alice, m.ID, verify.UpdateRequest{}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, *m, *got)
	after, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, before.Version, after.Version)
	assert.Len(t, f.events.events, events)

	_, err = f.svc.Update(ctx, bob, m.ID, verify.UpdateRequest{}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrNotFound, "another user's method is not found, even for an empty update")
}

// makePrimary marks sub's method id primary in the store, as passkeys and
// passwords are.
func (f *fixture) makePrimary(t *testing.T, sub verify.Subject, id string) {
	t.Helper()
	rec, err := f.store.Get(ctx, sub.ID, id)
	require.NoError(t, err)
	m, err := verify.MethodFromRecord(rec)
	require.NoError(t, err)
	m.Usage = []verify.Usage{verify.UsagePrimary}
	nr, err := m.Record()
	require.NoError(t, err)
	nr.Version = rec.Version
	_, err = f.store.Update(ctx, nr)
	require.NoError(t, err)
}

// barrierStore holds every List, once armed, until n callers have listed:
// the interleaving in which concurrent deletes all read the methods before
// any of them deletes.
type barrierStore struct {
	store.Store
	mu      sync.Mutex
	armed   bool
	n       int
	arrived int
	all     chan struct{}
}

func (s *barrierStore) arm(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.n, s.arrived, s.all = true, n, 0, make(chan struct{})
}

func (s *barrierStore) List(c context.Context, subject string) ([]store.Method, error) {
	ms, err := s.Store.List(c, subject)
	s.mu.Lock()
	if !s.armed {
		s.mu.Unlock()
		return ms, err
	}
	s.arrived++
	all := s.all
	if s.arrived == s.n {
		close(all)
		s.armed = false
	}
	s.mu.Unlock()
	<-all
	return ms, err
}

// TestDeleteLastPrimaryConcurrently: concurrent deletes of a user's last
// two primary methods cannot both pass the last-primary check, even when
// both read the methods before either deletes; one primary method always
// remains.
func TestDeleteLastPrimaryConcurrently(t *testing.T) {
	var bs *barrierStore
	f := newFixture(t, func(c *verify.Config) {
		bs = &barrierStore{Store: c.Store}
		c.Store = bs
		c.Engines = []verify.Engine{&primaryEngine{codeEngine{typ: verify.TypeTOTP}}}
	})
	p1 := f.enroll(t, alice, verify.TypeTOTP)
	p2 := f.enroll(t, alice, verify.TypeTOTP)
	f.makePrimary(t, alice, p1.ID)
	f.makePrimary(t, alice, p2.ID)
	bs.arm(2)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, id := range []string{p1.ID, p2.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.svc.Delete(ctx, alice, id, verify.Client{})
		}()
	}
	wg.Wait()
	close(errs)
	deleted := 0
	for err := range errs {
		if err == nil {
			deleted++
			continue
		}
		require.ErrorIs(t, err, verify.ErrConflict)
	}
	ms, err := f.svc.List(ctx, alice, "")
	require.NoError(t, err)
	require.Len(t, ms, 1, "one primary method remains")
	assert.Equal(t, 1, deleted)
	assert.Equal(t, verify.EventDeleted, f.events.last().Kind)

	// Alone, the delete of a primary that is not the last goes through.
	p3 := f.enroll(t, alice, verify.TypeTOTP)
	f.makePrimary(t, alice, p3.ID)
	require.NoError(t, f.svc.Delete(ctx, alice, ms[0].ID, verify.Client{}))
	require.ErrorIs(t, f.svc.Delete(ctx, alice, p3.ID, verify.Client{}), verify.ErrConflict)
}
