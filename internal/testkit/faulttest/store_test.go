package faulttest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

func newMemory(t *testing.T, now func() time.Time) store.Store {
	m, err := memory.New(memory.Config{Now: now})
	require.NoError(t, err)
	return m
}

// TestConformance: without a fault the wrapper is the store it wraps, so
// it passes the store contract suites.
func TestConformance(t *testing.T) {
	wrap := func(t *testing.T, now func() time.Time) store.Store { return faulttest.New(newMemory(t, now)) }
	storetest.Run(t, wrap) // the wrapper has no store.ServerNonces: that subtest is skipped
}

func commit(sid, id string) store.Commit {
	return store.Commit{SessionID: sid, SessionExpires: storetest.Epoch.Add(time.Minute),
		Method: store.Method{ID: id, Subject: "sub", Type: "totp", CreatedAt: storetest.Epoch}}
}

func TestFaultModes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		mode faulttest.Mode
		err  error
	}{
		{faulttest.ModeError, faulttest.ErrInjected},
		{faulttest.ModeTimeout, context.DeadlineExceeded},
		{faulttest.ModeCanceled, context.Canceled},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			s := faulttest.New(newMemory(t, storetest.NewClock(storetest.Epoch).Now))
			s.Inject(faulttest.Fault{Op: faulttest.OpCommit, Nth: 2, Mode: tc.mode})
			require.NoError(t, s.Commit(ctx, commit("s1", "m1")), "the first call passes")
			err := s.Commit(ctx, commit("s2", "m2"))
			require.ErrorIs(t, err, tc.err)
			for _, sentinel := range []error{store.ErrNotFound, store.ErrConsumed, store.ErrExists, store.ErrConflict} {
				assert.NotErrorIs(t, err, sentinel)
			}
			require.NoError(t, s.Commit(ctx, commit("s3", "m3")), "the third call passes")
			assert.Equal(t, 1, s.Fired())
			_, err = s.Inner().Get(ctx, "sub", "m2")
			require.ErrorIs(t, err, store.ErrNotFound, "the failed call never reached the store")
			assert.Equal(t, 3, s.Calls(faulttest.OpCommit))
		})
	}
}

func TestFaultCustomErrorAndEveryCall(t *testing.T) {
	ctx := context.Background()
	s := faulttest.New(newMemory(t, storetest.NewClock(storetest.Epoch).Now))
	boom := errors.New("boom")
	s.Inject(faulttest.Fault{Op: faulttest.OpList, Err: boom})
	for range 3 {
		_, err := s.List(ctx, "sub")
		require.ErrorIs(t, err, boom)
	}
	assert.Equal(t, 3, s.Fired())
	_, err := s.Attempt(ctx, "sid", storetest.Epoch.Add(time.Minute))
	require.NoError(t, err, "other operations pass")
	s.Clear()
	_, err = s.List(ctx, "sub")
	require.NoError(t, err)
}

func TestFaultAfter(t *testing.T) {
	ctx := context.Background()
	s := faulttest.New(newMemory(t, storetest.NewClock(storetest.Epoch).Now))
	s.Inject(faulttest.Fault{Op: faulttest.OpCommit, Nth: 1, After: true})
	require.ErrorIs(t, s.Commit(ctx, commit("s1", "m1")), faulttest.ErrInjected)
	_, err := s.Inner().Get(ctx, "sub", "m1")
	require.NoError(t, err, "the write landed; only its answer was lost")
}

// TestFaultBlock: a blocked call signals Blocked and returns only when its
// context is done, with the context's error.
func TestFaultBlock(t *testing.T) {
	s := faulttest.New(newMemory(t, storetest.NewClock(storetest.Epoch).Now))
	s.Inject(faulttest.Fault{Op: faulttest.OpAttempt, Nth: 1, Mode: faulttest.ModeBlock})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Attempt(ctx, "sid", storetest.Epoch.Add(time.Minute))
		done <- err
	}()
	<-s.Blocked()
	select {
	case err := <-done:
		t.Fatalf("returned before its context was done: %v", err)
	default:
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	n, err := s.Attempt(context.Background(), "sid", storetest.Epoch.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the blocked attempt was never counted")
}

func TestTraceAndFaults(t *testing.T) {
	ctx := context.Background()
	s := faulttest.New(newMemory(t, storetest.NewClock(storetest.Epoch).Now))
	_, _ = s.Attempt(ctx, "sid", storetest.Epoch.Add(time.Minute))
	_, _ = s.List(ctx, "sub")
	_, _ = s.Attempt(ctx, "sid", storetest.Epoch.Add(time.Minute))
	trace := s.Trace()
	require.Equal(t, []faulttest.Op{faulttest.OpAttempt, faulttest.OpList, faulttest.OpAttempt}, trace)
	fs := faulttest.Faults(trace)
	require.Len(t, fs, 3*len(faulttest.Modes))
	assert.Equal(t, faulttest.Fault{Op: faulttest.OpAttempt, Nth: 2, Mode: faulttest.ModeError}, fs[2*len(faulttest.Modes)])
	assert.Equal(t, "Attempt#2/error", fs[2*len(faulttest.Modes)].String())
	s.ResetTrace()
	assert.Empty(t, s.Trace())
	assert.Zero(t, s.Calls(faulttest.OpAttempt))
}

// unsupported is a store.Store with none of the optional interfaces.
type unsupported struct{ store.Store }

func TestOptionalUnsupported(t *testing.T) {
	ctx := context.Background()
	s := faulttest.New(unsupported{newMemory(t, storetest.NewClock(storetest.Epoch).Now)})
	_, err := s.Purge(ctx)
	require.ErrorIs(t, err, faulttest.ErrUnsupported)
	require.ErrorIs(t, s.CreatePushTicket(ctx, store.PushTicket{}), faulttest.ErrUnsupported)
	_, err = s.PushTicket(ctx, nil)
	require.ErrorIs(t, err, faulttest.ErrUnsupported)
	_, err = s.RedeemPushTicket(ctx, nil, store.PushDevice{})
	require.ErrorIs(t, err, faulttest.ErrUnsupported)
	require.ErrorIs(t, s.UseNonce(ctx, []byte("k"), storetest.Epoch), faulttest.ErrUnsupported)
}
