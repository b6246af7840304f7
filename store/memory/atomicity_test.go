package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// The store rows of SECURITY-CHECKLIST section K (ST-*) for the in-memory
// store, one test each; store/sqlstore has the same IDs for SQLite and
// PostgreSQL. ST-07 (SQL injection), ST-08 (encryption at rest) and ST-12
// (migrations) concern SQL storage only.

// ST-01: one contract suite runs against every store.
//
// The shared contract suites, the ones store/sqlstore runs too.
func TestMemoryStorePassesTheContractSuites(t *testing.T) {
	factory := func(t *testing.T, now func() time.Time) store.Store { return newStore(t, now, 0) }
	storetest.Run(t, factory)
}

// ST-02: consuming an auth_session is atomic: one of concurrent commits wins.
func TestConcurrentCommitsOfOneSessionHaveOneWinner(t *testing.T) {
	ctx := context.Background()
	commit := func(sid string, m store.Method, clock *storetest.Clock) store.Commit {
		return store.Commit{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}
	}
	parallel := func(n int, f func(i int)) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() { <-start; f(i) })
		}
		close(start)
		wg.Wait()
	}
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	var wins, consumed atomic.Int32
	parallel(100, func(i int) {
		err := s.Commit(ctx, commit("one", sampleMethod("u", fmt.Sprint("totp|", i)), clock))
		switch {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, store.ErrConsumed):
			consumed.Add(1)
		}
	})
	assert.Equal(t, int32(1), wins.Load())
	assert.Equal(t, int32(99), consumed.Load())
}

// ST-03: the TOTP last-step update is a compare-and-set.
//
// A TOTP sign-in advances the stored step in store.SignIn: of 20
// concurrent sign-ins, each with its own session, to step s exactly one
// succeeds and the others fail with ErrStale; step s−1 after s is stale.
func TestTOTPStepAdvanceIsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	m := sampleMethod("u", "totp|dev_1")
	m.Counter = 10
	require.NoError(t, s.Commit(ctx, store.Commit{SessionID: "sid", SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}))
	signIn := func(sid string, step int64) error {
		_, err := s.SignIn(ctx, store.SignIn{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Subject: "u", MethodID: m.ID, Counter: step})
		return err
	}
	var wins, stale atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 20 {
		wg.Go(func() {
			<-start
			switch err := signIn(fmt.Sprintf("sid-%d", i), 11); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrStale):
				stale.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load(), "step s twice: one success")
	assert.Equal(t, int32(19), stale.Load(), "the others are stale")
	assert.ErrorIs(t, signIn("sid-late", 10), store.ErrStale, "step s−1 after s")
	got, err := s.Get(ctx, "u", m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(11), got.Counter)
}

// ST-04: single-use codes are spent by conditional writes.
func TestSingleUseSecretsAreSpentOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return newStore(t, now, 0) },
		storetest.Options{Shared: func(t *testing.T, n int, now func() time.Time) []store.Store {
			s := newStore(t, now, 0)
			out := make([]store.Store, n)
			for i := range out {
				out[i] = s
			}
			return out
		}})
}

// ST-05: a credential id is unique across all users.
func TestCredentialIDIsUniqueAcrossUsers(t *testing.T) {
	ctx := context.Background()
	commit := func(sid string, m store.Method, clock *storetest.Clock) store.Commit {
		return store.Commit{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}
	}
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	a := sampleMethod("user-a", "passkey|dev_a")
	a.CredentialID = []byte("credential")
	require.NoError(t, s.Commit(ctx, commit("sid-a", a, clock)))
	b := sampleMethod("user-b", "passkey|dev_b")
	b.CredentialID = []byte("credential")
	require.ErrorIs(t, s.Commit(ctx, commit("sid-b", b, clock)), store.ErrDuplicateCredential)
	_, err := s.Attempt(ctx, "sid-b", clock.Now().Add(time.Minute))
	require.NoError(t, err, "the refused commit consumed nothing")
}

// ST-06: attempt counters are atomic and windowed by the session's expiry.
func TestParallelAttemptsAreAllCounted(t *testing.T) {
	ctx := context.Background()
	parallel := func(n int, f func(i int)) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() { <-start; f(i) })
		}
		close(start)
		wg.Wait()
	}
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	exp := clock.Now().Add(time.Minute)
	parallel(1000, func(int) { _, _ = s.Attempt(ctx, "sid", exp) })
	n, err := s.Attempt(ctx, "sid", exp)
	require.NoError(t, err)
	assert.Equal(t, 1001, n, "1 000 parallel increments counted 1 000")
	clock.Advance(time.Minute)
	n, err = s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "reset once the session expired")
}

// ST-07: queries are parameterised and no forgeable tokens exist.
//
// No query language to inject into; the ids are opaque map keys.
func TestIDsAreOpaqueKeys(t *testing.T) {
	ctx := context.Background()
	commit := func(sid string, m store.Method, clock *storetest.Clock) store.Commit {
		return store.Commit{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}
	}
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("u", "totp|dev_1"), clock)))
	_, err := s.Get(ctx, "u", "x' OR '1'='1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

// ST-09: the in-memory store is bounded.
//
// Pending enrollments are not stored (their state is sealed in the
// auth_session), so 10 000 begun enrollments take no room; session
// records are bounded by MaxSessions, and a full store refuses new
// sessions (store.ErrFull) rather than evicting live ones, since
// forgetting a consumed session would allow its replay (pinned:
// refuse, not evict; TestBounded shows expired records make room).
func TestFullStoreRefusesNewSessions(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 1000)
	tp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example", Now: clock.Now})
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "memory-test-sealing-password-0123456789"}}, Now: clock.Now})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{tp}, Sealer: sealer, Store: s, Now: clock.Now})
	require.NoError(t, err)
	for i := range 10000 {
		_, err := svc.Start(ctx, verify.Subject{ID: fmt.Sprint("user-", i)}, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
		require.NoError(t, err)
	}
	exp := clock.Now().Add(time.Minute)
	for i := range 1000 {
		_, err := s.Attempt(ctx, fmt.Sprint("sid-", i), exp)
		require.NoError(t, err, "no room was taken by the enrollments")
	}
	_, err = s.Attempt(ctx, "one too many", exp)
	require.ErrorIs(t, err, store.ErrFull)
}

// ST-10: the context is honoured and no write is partial.
func TestCancelledContextWritesNothing(t *testing.T) {
	ctx := context.Background()
	commit := func(sid string, m store.Method, clock *storetest.Clock) store.Commit {
		return store.Commit{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Method: m}
	}
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	m := sampleMethod("u", "totp|dev_1")
	require.NoError(t, s.Commit(ctx, commit("sid", m, clock)))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Attempt(cctx, "sid-2", clock.Now().Add(time.Minute))
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Commit(cctx, commit("sid-2", sampleMethod("u", "totp|dev_2"), clock)), context.Canceled)
	_, err = s.Get(cctx, "u", m.ID)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.List(cctx, "u")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Delete(cctx, "u", m.ID), context.Canceled)
	_, err = s.SignIn(cctx, store.SignIn{SessionID: "sid-3", SessionExpires: clock.Now().Add(time.Minute), Subject: "u", MethodID: m.ID, Counter: 5})
	assert.ErrorIs(t, err, context.Canceled)
	got, err := s.Get(ctx, "u", m.ID)
	require.NoError(t, err, "no partial write")
	assert.Equal(t, m.Counter, got.Counter)
	n, err := s.Attempt(ctx, "sid-2", clock.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// ST-11: expiry follows the library's injected clock.
//
// Expiry is the injected clock's, to the instant: a session that
// expires at T is live at T−1ns and forgotten at T, whatever the
// wall clock says (the suite's clock is in 2026).
func TestExpiryFollowsTheInjectedClock(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s := newStore(t, clock.Now, 0)
	exp := clock.Now().Add(5 * time.Minute)
	_, err := s.Attempt(ctx, "sid", exp)
	require.NoError(t, err)
	clock.Advance(5*time.Minute - time.Nanosecond)
	n, err := s.Attempt(ctx, "sid", exp)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	clock.Advance(time.Nanosecond)
	n, err = s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}
func sampleMethod(subject, id string) store.Method {
	return store.Method{
		ID: id, Subject: subject, Type: "totp",
		CreatedAt: storetest.Epoch.Truncate(time.Millisecond),
		Attrs:     []byte(`{"name":"` + id + `"}`),
		Secret:    []byte("secret of " + id),
	}
}

// newStore is a memory store on the given clock, holding at most
// maxSessions auth_sessions (0: the default bound).
func newStore(t *testing.T, now func() time.Time, maxSessions int) *memory.Store {
	t.Helper()
	s, err := memory.New(memory.Config{Now: now, MaxSessions: maxSessions})
	require.NoError(t, err)
	return s
}
