// Package storetest is the conformance suite every verifykit store must
// pass: Run(t, factory) exercises the contract of store.Store — atomic
// attempt counting, single-use commits and sign-ins under concurrency,
// expiry on the injected clock, not-found, duplicate credentials,
// optimistic updates and monotonic counters — and of the optional
// interfaces the store implements (store.Nonces, store.ServerNonces,
// store.PushDevices). Run it under -race.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// Factory returns a new, empty store whose clock is now. It is called once
// per subtest; it may register cleanup with t.
type Factory func(t *testing.T, now func() time.Time) store.Store

// Options are the optional inputs of Run; the zero value is the default.
type Options struct {
	// Shared returns n stores sharing one backend, as processes behind a
	// load balancer would, each with clock now, for the single-use cases
	// (SECURITY-CHECKLIST ST-04: a code is spent once across processes).
	// Default: one store of the Factory, n times, which is right for an
	// in-process store only.
	Shared func(t *testing.T, n int, now func() time.Time) []store.Store
}

// Clock is a settable clock for tests, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Epoch is the time every suite clock starts at.
var Epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Run runs the conformance suite against stores made by newStore, with at
// most one Options: the cases of store.Store, then the subtests
// PasswordReplace (the optimistic replace the password engine relies on),
// SingleUse (on Options.Shared), and Nonces, ServerNonces and Push for the
// optional interfaces. The subtest of an optional interface the store does
// not implement is skipped, saying so; assert the interfaces a store must
// have at compile time (var _ store.Nonces = (*Store)(nil)).
func Run(t *testing.T, newStore Factory, opts ...Options) {
	t.Helper()
	if len(opts) > 1 {
		t.Fatalf("storetest: Run takes at most one Options, got %d", len(opts))
	}
	var o Options
	if len(opts) == 1 {
		o = opts[0]
	}
	runCases(t, cases, newStore)
	runCases(t, signInCases, newStore)
	runCases(t, deletePrimaryCases, newStore)
	t.Run("PasswordReplace", func(t *testing.T) { runCases(t, passwordCases, newStore) })
	t.Run("SingleUse", func(t *testing.T) {
		shared := o.Shared
		if shared == nil {
			shared = func(t *testing.T, n int, now func() time.Time) []store.Store {
				s := newStore(t, now)
				out := make([]store.Store, n)
				for i := range out {
					out[i] = s
				}
				return out
			}
		}
		runSingleUse(t, shared)
	})
	runOptional(t, "Nonces", "store.Nonces", nonceCases, newStore)
	runOptional(t, "ServerNonces", "store.ServerNonces", serverNonceCases, newStore)
	runOptional(t, "Push", "store.PushDevices", pushCases, newStore)
}

// runOptional runs, as subtest name, the cases of the optional interface
// S (named iface) when the stores of newStore implement it, and skips the
// subtest otherwise.
func runOptional[S any](t *testing.T, name, iface string, cases []suiteCase[S], newStore Factory) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if _, ok := newStore(t, NewClock(Epoch).Now).(S); !ok {
			t.Skipf("storetest: the store does not implement %s", iface)
		}
		runCases(t, cases, func(t *testing.T, now func() time.Time) S {
			s, ok := newStore(t, now).(S)
			if !ok {
				t.Fatalf("storetest: a store of the factory does not implement %s", iface)
			}
			return s
		})
	})
}

// suiteCase is one named conformance case of a store of type S.
type suiteCase[S any] struct {
	name string
	run  func(t *testing.T, s S, clock *Clock)
}

// runCases runs each case on a new store from newStore, whose clock starts
// at Epoch.
func runCases[S any](t *testing.T, cases []suiteCase[S], newStore func(t *testing.T, now func() time.Time) S) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(Epoch)
			tc.run(t, newStore(t, clock.Now), clock)
		})
	}
}

type testCase = suiteCase[store.Store]

var ctx = context.Background()

// sampleMethod returns a sample method of subject with id.
func sampleMethod(subject, id string) store.Method {
	return store.Method{
		ID: id, Subject: subject, Type: "totp",
		CreatedAt: Epoch.Truncate(time.Millisecond),
		Attrs:     []byte(`{"name":"` + id + `"}`),
		Secret:    []byte("secret of " + id),
	}
}

func commit(sid string, m store.Method, clock *Clock) store.Commit {
	return store.Commit{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}
}

var cases = []testCase{
	{"AttemptCounts", func(t *testing.T, s store.Store, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		for want := 1; want <= 3; want++ {
			n, err := s.Attempt(ctx, "sid-a", exp)
			require.NoError(t, err)
			assert.Equal(t, want, n)
		}
		n, err := s.Attempt(ctx, "sid-b", exp)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "sessions are counted separately")
	}},
	{"AttemptsExpireWithSession", func(t *testing.T, s store.Store, clock *Clock) {
		exp := clock.Now().Add(time.Minute)
		for range 3 {
			_, err := s.Attempt(ctx, "sid", exp)
			require.NoError(t, err)
		}
		clock.Advance(time.Minute)
		n, err := s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 1, n, "an expired session's count is forgotten")
	}},
	{"AttemptConcurrent", func(t *testing.T, s store.Store, clock *Clock) {
		const n = 200
		exp := clock.Now().Add(time.Minute)
		seen := make([]atomic.Bool, n+1)
		parallel(t, n, func(int) error {
			k, err := s.Attempt(ctx, "sid", exp)
			if err != nil {
				return err
			}
			if k < 1 || k > n || seen[k].Swap(true) {
				return fmt.Errorf("count %d returned twice or out of range", k)
			}
			return nil
		})
		k, err := s.Attempt(ctx, "sid", exp)
		require.NoError(t, err)
		assert.Equal(t, n+1, k, "every concurrent attempt was counted once")
	}},
	{"CommitSavesAndConsumes", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-1", "totp|dev_1")
		m.CredentialID = []byte{1, 2, 3}
		m.Counter = 42
		require.NoError(t, s.Commit(ctx, commit("sid", m, clock)))
		got, err := s.Get(ctx, "user-1", "totp|dev_1")
		require.NoError(t, err)
		assert.Equal(t, m.ID, got.ID)
		assert.Equal(t, m.Subject, got.Subject)
		assert.Equal(t, m.Type, got.Type)
		assert.True(t, m.CreatedAt.Equal(got.CreatedAt), "created_at %v, want %v", got.CreatedAt, m.CreatedAt)
		assert.JSONEq(t, string(m.Attrs), string(got.Attrs))
		assert.Equal(t, m.Secret, got.Secret)
		assert.Equal(t, m.CredentialID, got.CredentialID)
		assert.Equal(t, int64(42), got.Counter)
		assert.Equal(t, int64(1), got.Version)

		_, err = s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
		assert.ErrorIs(t, err, store.ErrConsumed, "an attempt on a consumed session fails")
		err = s.Commit(ctx, commit("sid", sampleMethod("user-1", "totp|dev_2"), clock))
		assert.ErrorIs(t, err, store.ErrConsumed)
		_, err = s.Get(ctx, "user-1", "totp|dev_2")
		assert.ErrorIs(t, err, store.ErrNotFound, "a refused commit saves nothing")
	}},
	{"CommitConcurrentExactlyOne", func(t *testing.T, s store.Store, clock *Clock) {
		const n = 64
		var wins atomic.Int32
		parallel(t, n, func(i int) error {
			err := s.Commit(ctx, commit("one-session", sampleMethod("user-1", fmt.Sprintf("totp|dev_%d", i)), clock))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConsumed):
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load(), "exactly one commit of one session succeeds")
		ms, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		assert.Len(t, ms, 1, "exactly one method saved")
	}},
	{"CommitExistingIDRefused", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid-1", sampleMethod("user-1", "password|x"), clock)))
		err := s.Commit(ctx, commit("sid-2", sampleMethod("user-2", "password|x"), clock))
		require.ErrorIs(t, err, store.ErrExists)
		n, err := s.Attempt(ctx, "sid-2", clock.Now().Add(time.Minute))
		require.NoError(t, err, "a refused commit does not consume the session")
		assert.Equal(t, 1, n)
	}},
	{"DuplicateCredentialRefused", func(t *testing.T, s store.Store, clock *Clock) {
		a := sampleMethod("user-a", "passkey|dev_a")
		a.CredentialID = []byte("credential")
		require.NoError(t, s.Commit(ctx, commit("sid-a", a, clock)))
		for _, subject := range []string{"user-b", "user-a"} {
			b := sampleMethod(subject, "passkey|dev_b_"+subject)
			b.CredentialID = []byte("credential")
			err := s.Commit(ctx, commit("sid-b-"+subject, b, clock))
			require.ErrorIs(t, err, store.ErrDuplicateCredential, "credential of user-a registered again by %s", subject)
			_, err = s.Get(ctx, subject, b.ID)
			assert.ErrorIs(t, err, store.ErrNotFound)
			n, err := s.Attempt(ctx, "sid-b-"+subject, clock.Now().Add(time.Minute))
			require.NoError(t, err, "a refused commit does not consume the session")
			assert.Equal(t, 1, n)
		}
		got, err := s.ByCredentialID(ctx, []byte("credential"))
		require.NoError(t, err)
		assert.Equal(t, "user-a", got.Subject)
		_, err = s.ByCredentialID(ctx, []byte("other"))
		assert.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"DuplicateCredentialRace", func(t *testing.T, s store.Store, clock *Clock) {
		const n = 16
		var wins atomic.Int32
		parallel(t, n, func(i int) error {
			m := sampleMethod(fmt.Sprintf("user-%d", i), fmt.Sprintf("passkey|dev_%d", i))
			m.CredentialID = []byte("same credential")
			err := s.Commit(ctx, commit(fmt.Sprintf("sid-%d", i), m, clock))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrDuplicateCredential):
				return err
			}
			return nil
		})
		assert.Equal(t, int32(1), wins.Load(), "one credential id is registered once")
	}},
	{"NotFound", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("user-1", "totp|dev_1"), clock)))
		for _, tc := range []struct{ subject, id string }{
			{"user-1", "totp|dev_2"},
			{"user-2", "totp|dev_1"}, // another user's method is not found
			{"user-1", "x' OR '1'='1"},
			{"' OR '1'='1", "totp|dev_1"},
		} {
			_, err := s.Get(ctx, tc.subject, tc.id)
			assert.ErrorIs(t, err, store.ErrNotFound, "Get(%q, %q)", tc.subject, tc.id)
			assert.ErrorIs(t, s.Delete(ctx, tc.subject, tc.id), store.ErrNotFound, "Delete(%q, %q)", tc.subject, tc.id)
			m := sampleMethod(tc.subject, tc.id)
			m.Version = 1
			_, err = s.Update(ctx, m)
			assert.ErrorIs(t, err, store.ErrNotFound, "Update(%q, %q)", tc.subject, tc.id)
		}
		ms, err := s.List(ctx, "user-2")
		require.NoError(t, err)
		assert.Empty(t, ms)
	}},
	{"ListOldestFirst", func(t *testing.T, s store.Store, clock *Clock) {
		for i, id := range []string{"c", "a", "b"} {
			m := sampleMethod("user-1", id)
			m.CreatedAt = Epoch.Add(time.Duration(i) * time.Second)
			require.NoError(t, s.Commit(ctx, commit("sid-"+id, m, clock)))
		}
		require.NoError(t, s.Commit(ctx, commit("sid-other", sampleMethod("user-2", "z"), clock)))
		ms, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		assert.Equal(t, []string{"c", "a", "b"}, ids)
	}},
	{"UpdateOptimistic", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("user-1", "id"), clock)))
		m, err := s.Get(ctx, "user-1", "id")
		require.NoError(t, err)
		m.Attrs = []byte(`{"name":"renamed"}`)
		m.Secret = []byte("new secret")
		up, err := s.Update(ctx, m)
		require.NoError(t, err)
		assert.Equal(t, int64(2), up.Version)
		_, err = s.Update(ctx, m) // still version 1
		assert.ErrorIs(t, err, store.ErrConflict)
		got, err := s.Get(ctx, "user-1", "id")
		require.NoError(t, err)
		assert.JSONEq(t, `{"name":"renamed"}`, string(got.Attrs))
		assert.Equal(t, []byte("new secret"), got.Secret)
		assert.Equal(t, int64(2), got.Version)
	}},
	{"CommitReplace", func(t *testing.T, s store.Store, clock *Clock) {
		require.NoError(t, s.Commit(ctx, commit("sid-1", sampleMethod("user-1", "password|u1"), clock)))
		m := sampleMethod("user-1", "password|u1")
		m.Secret = []byte("second")
		c := commit("sid-2", m, clock)
		c.Replace = 7
		require.ErrorIs(t, s.Commit(ctx, c), store.ErrConflict, "replace of a wrong version")
		c.Replace = 1
		require.NoError(t, s.Commit(ctx, c))
		got, err := s.Get(ctx, "user-1", "password|u1")
		require.NoError(t, err)
		assert.Equal(t, []byte("second"), got.Secret)
		assert.Equal(t, int64(2), got.Version)
		c = commit("sid-3", sampleMethod("user-1", "password|none"), clock)
		c.Replace = 1
		require.ErrorIs(t, s.Commit(ctx, c), store.ErrNotFound, "replace of a missing method")
		c = commit("sid-4", sampleMethod("user-2", "password|u1"), clock)
		c.Replace = 2
		require.ErrorIs(t, s.Commit(ctx, c), store.ErrNotFound, "replace of another user's method")
	}},
	{"Delete", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-1", "passkey|dev_1")
		m.CredentialID = []byte("cred")
		require.NoError(t, s.Commit(ctx, commit("sid", m, clock)))
		require.NoError(t, s.Delete(ctx, "user-1", m.ID))
		_, err := s.Get(ctx, "user-1", m.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.ByCredentialID(ctx, m.CredentialID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		assert.ErrorIs(t, s.Delete(ctx, "user-1", m.ID), store.ErrNotFound)
		m2 := sampleMethod("user-2", "passkey|dev_2")
		m2.CredentialID = []byte("cred")
		require.NoError(t, s.Commit(ctx, commit("sid-2", m2, clock)), "a deleted credential can be registered again")
	}},
	{"NoAliasing", func(t *testing.T, s store.Store, clock *Clock) {
		m := sampleMethod("user-1", "id")
		m.CredentialID = []byte("cred")
		require.NoError(t, s.Commit(ctx, commit("sid", m, clock)))
		m.Secret[0], m.Attrs[0], m.CredentialID[0] = 'X', 'X', 'X'
		got, err := s.Get(ctx, "user-1", "id")
		require.NoError(t, err)
		got.Secret[1] = 'Y'
		again, err := s.Get(ctx, "user-1", "id")
		require.NoError(t, err)
		assert.Equal(t, []byte("secret of id"), again.Secret)
		assert.True(t, bytes.HasPrefix(again.Attrs, []byte("{")))
		assert.Equal(t, []byte("cred"), again.CredentialID)
	}},
	{"CancelledContext", func(t *testing.T, s store.Store, clock *Clock) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Attempt(cctx, "sid", clock.Now().Add(time.Minute))
		assert.ErrorIs(t, err, context.Canceled)
		err = s.Commit(cctx, commit("sid", sampleMethod("user-1", "id"), clock))
		assert.ErrorIs(t, err, context.Canceled)
		_, err = s.Get(ctx, "user-1", "id")
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing written under a cancelled context")
		n, err := s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 1, n, "no attempt counted under a cancelled context")
	}},
	{"MaxMethods", func(t *testing.T, s store.Store, clock *Clock) {
		for i := range 3 {
			c := commit(fmt.Sprint("sid-", i), sampleMethod("user-1", fmt.Sprint("id-", i)), clock)
			c.MaxMethods = 3
			require.NoError(t, s.Commit(ctx, c))
		}
		c := commit("sid-3", sampleMethod("user-1", "id-3"), clock)
		c.MaxMethods = 3
		require.ErrorIs(t, s.Commit(ctx, c), store.ErrLimit)
		n, err := s.Attempt(ctx, "sid-3", clock.Now().Add(time.Minute))
		require.NoError(t, err, "a commit refused by the limit consumes nothing")
		assert.Equal(t, 1, n)
		c = commit("sid-4", sampleMethod("user-2", "id-4"), clock)
		c.MaxMethods = 3
		require.NoError(t, s.Commit(ctx, c), "the bound is per subject")
		r := commit("sid-5", sampleMethod("user-1", "id-0"), clock)
		r.MaxMethods, r.Replace = 3, 1
		require.NoError(t, s.Commit(ctx, r), "a replace is not bounded")
	}},
	{"MaxMethodsConcurrent", func(t *testing.T, s store.Store, clock *Clock) {
		const n, max = 24, 5
		var wins atomic.Int32
		parallel(t, n, func(i int) error {
			c := commit(fmt.Sprint("sid-", i), sampleMethod("user-1", fmt.Sprint("id-", i)), clock)
			c.MaxMethods = max
			err := s.Commit(ctx, c)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrLimit):
				return err
			}
			return nil
		})
		assert.Equal(t, int32(max), wins.Load(), "concurrent commits never exceed the bound")
		ms, err := s.List(ctx, "user-1")
		require.NoError(t, err)
		assert.Len(t, ms, max)
	}},
	{"RefundAttempt", func(t *testing.T, s store.Store, clock *Clock) {
		r, ok := s.(store.AttemptRefunder)
		if !ok {
			t.Skip("store does not implement store.AttemptRefunder")
		}
		exp := clock.Now().Add(time.Minute)
		for range 3 {
			_, err := s.Attempt(ctx, "sid", exp)
			require.NoError(t, err)
		}
		require.NoError(t, r.RefundAttempt(ctx, "sid"))
		n, err := s.Attempt(ctx, "sid", exp)
		require.NoError(t, err)
		assert.Equal(t, 3, n, "a refunded attempt is given back")

		require.NoError(t, r.RefundAttempt(ctx, "never attempted"), "refunding an unknown session does nothing")
		n, err = s.Attempt(ctx, "never attempted", exp)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "a refund never makes a count negative")

		require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("user-1", "id"), clock)))
		require.NoError(t, r.RefundAttempt(ctx, "sid"), "refunding a consumed session does nothing")
		_, err = s.Attempt(ctx, "sid", exp)
		assert.ErrorIs(t, err, store.ErrConsumed, "a refund does not revive a consumed session")

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, r.RefundAttempt(cctx, "never attempted"), context.Canceled)
	}},
	{"Purge", func(t *testing.T, s store.Store, clock *Clock) {
		p, ok := s.(store.Purger)
		if !ok {
			t.Skip("store does not implement store.Purger")
		}
		_, err := s.Attempt(ctx, "short", clock.Now().Add(time.Minute))
		require.NoError(t, err)
		require.NoError(t, s.Commit(ctx, store.Commit{SessionID: "long", SessionExpires: clock.Now().Add(time.Hour), Method: sampleMethod("u", "m")}))
		clock.Advance(2 * time.Minute)
		n, err := p.Purge(ctx)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, n, 1, "the expired session is purged")
		_, err = s.Attempt(ctx, "long", clock.Now().Add(time.Hour))
		assert.ErrorIs(t, err, store.ErrConsumed, "an unexpired consumption survives a purge")
		_, err = s.Get(ctx, "u", "m")
		assert.NoError(t, err, "methods are never purged")
	}},
}

// parallel runs f(0..n-1) in n goroutines released together by a barrier
// and fails t with the first error.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make(chan error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := f(i); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
