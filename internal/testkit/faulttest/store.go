package faulttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/verifykit/verifykit/store"
)

// Op names one operation of store.Store or of an optional store interface.
type Op string

// The operations a Store can fail.
const (
	OpAttempt          Op = "Attempt"          // store.Store
	OpCommit           Op = "Commit"           // store.Methods
	OpGet              Op = "Get"              // store.Methods
	OpList             Op = "List"             // store.Methods
	OpByCredentialID   Op = "ByCredentialID"   // store.Methods
	OpUpdate           Op = "Update"           // store.Methods
	OpDelete           Op = "Delete"           // store.Methods
	OpDeletePrimary    Op = "DeletePrimary"    // store.Methods
	OpSignIn           Op = "SignIn"           // store.Methods
	OpPurge            Op = "Purge"            // store.Purger
	OpCreatePushTicket Op = "CreatePushTicket" // store.PushDevices
	OpRedeemPushTicket Op = "RedeemPushTicket" // store.PushDevices
	OpPushTicket       Op = "PushTicket"       // store.PushDevices
	// Push sign-in transactions, store.PushDevices.
	OpCreatePushTransaction  Op = "CreatePushTransaction"
	OpResolvePushTransaction Op = "ResolvePushTransaction"
	OpPushTransaction        Op = "PushTransaction"
	OpUseNonce               Op = "UseNonce"      // store.Nonces
	OpRefundAttempt          Op = "RefundAttempt" // store.AttemptRefunder
)

// Mode is how an injected fault fails its call.
type Mode int

// The failure modes. Each is a failure a real store shows: a broken
// connection, a deadline that expired inside the call, a caller that went
// away, and a call that hangs until its caller gives up.
const (
	// ModeError returns Fault.Err, by default ErrInjected.
	ModeError Mode = iota
	// ModeTimeout returns an error wrapping context.DeadlineExceeded.
	ModeTimeout
	// ModeCanceled returns an error wrapping context.Canceled.
	ModeCanceled
	// ModeBlock blocks until the call's context is done and returns its
	// error: the call hangs like a lost connection until the caller's
	// deadline or cancellation. Blocked signals when a call blocks.
	ModeBlock
)

var modeNames = [...]string{"error", "timeout", "canceled", "block"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// Modes lists every Mode, for tables.
var Modes = []Mode{ModeError, ModeTimeout, ModeCanceled, ModeBlock}

// ErrInjected is the default error of ModeError. It matches none of the
// store sentinels, so callers must treat it as an outage.
var ErrInjected = errors.New("faulttest: injected store failure")

// ErrUnsupported is returned by the optional operations the wrapped store
// does not implement.
var ErrUnsupported = errors.New("faulttest: the wrapped store does not implement this operation")

// Fault is one failure to inject: the Nth call of Op, counted from when
// the fault is injected, fails in Mode instead of reaching the wrapped
// store (or, with After, after reaching it).
type Fault struct {
	Op Op
	// Nth is the call that fails, from 1; 0 fails every call of Op.
	Nth  int
	Mode Mode
	// Err is what ModeError returns; nil means ErrInjected.
	Err error
	// After lets the failing call reach the wrapped store first and then
	// reports the failure: the write happened but its caller never learns
	// it, like a connection lost while a commit's answer was on its way.
	// ModeBlock ignores it.
	After bool
}

func (f Fault) String() string {
	s := fmt.Sprintf("%s#%d/%s", f.Op, f.Nth, f.Mode)
	if f.After {
		s += "/after"
	}
	return s
}

// Store wraps a store.Store and fails the operation a Fault names. It
// implements store.Store and the optional store.Purger, store.PushDevices,
// store.Nonces and store.AttemptRefunder; an optional operation the wrapped
// store lacks fails with ErrUnsupported. It records every call (Trace), so that a test can
// learn the operations a flow performs from a run without faults and then
// fail each of them in turn. It is safe for concurrent use.
type Store struct {
	inner store.Store

	mu      sync.Mutex
	fault   *Fault
	seen    int // calls of fault.Op since Inject
	fired   int
	trace   []Op
	calls   map[Op]int
	blocked chan struct{}
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Purger      = (*Store)(nil)
	_ store.PushDevices = (*Store)(nil)
	_ store.Nonces      = (*Store)(nil)

	_ store.AttemptRefunder = (*Store)(nil)
)

// New returns a Store passing every call to inner until a fault is
// injected.
func New(inner store.Store) *Store {
	return &Store{inner: inner, calls: map[Op]int{}, blocked: make(chan struct{}, 1)}
}

// Inner returns the wrapped store, to inspect it without counting calls.
func (s *Store) Inner() store.Store { return s.inner }

// Inject arms f, replacing any armed fault, and resets its count.
func (s *Store) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.seen, s.fired = &f, 0, 0
}

// Clear disarms the fault.
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = nil
}

// Fired reports how many calls the armed (or last) fault has failed.
func (s *Store) Fired() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fired
}

// Calls reports how many times op has been called since New or ResetTrace.
func (s *Store) Calls(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Trace returns the operations called since New or ResetTrace, in order.
func (s *Store) Trace() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Op(nil), s.trace...)
}

// ResetTrace forgets the recorded calls.
func (s *Store) ResetTrace() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trace, s.calls = nil, map[Op]int{}
}

// Blocked receives a value each time a ModeBlock fault starts blocking a
// call, so that a test cancels the caller's context only once the call is
// stuck, without sleeping. It holds at most one pending signal.
func (s *Store) Blocked() <-chan struct{} { return s.blocked }

// Faults returns a Fault of every mode for each call in trace: the first
// call of Attempt becomes {Attempt, 1, m}, its second {Attempt, 2, m}, and
// so on. It is the table of "every step fails" tests.
func Faults(trace []Op) []Fault {
	var out []Fault
	n := map[Op]int{}
	for _, op := range trace {
		n[op]++
		for _, m := range Modes {
			out = append(out, Fault{Op: op, Nth: n[op], Mode: m})
		}
	}
	return out
}

// before records a call of op and returns the fault to apply to it, if any.
func (s *Store) before(op Op) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trace = append(s.trace, op)
	s.calls[op]++
	f := s.fault
	if f == nil || f.Op != op {
		return nil
	}
	s.seen++
	if f.Nth != 0 && s.seen != f.Nth {
		return nil
	}
	s.fired++
	c := *f
	return &c
}

// fail returns the error of f for a call with ctx.
func (s *Store) fail(ctx context.Context, f *Fault) error {
	switch f.Mode {
	case ModeTimeout:
		return fmt.Errorf("faulttest: %s: %w", f.Op, context.DeadlineExceeded)
	case ModeCanceled:
		return fmt.Errorf("faulttest: %s: %w", f.Op, context.Canceled)
	case ModeBlock:
		select {
		case s.blocked <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return fmt.Errorf("faulttest: %s blocked: %w", f.Op, ctx.Err())
	}
	if f.Err != nil {
		return f.Err
	}
	return fmt.Errorf("faulttest: %s: %w", f.Op, ErrInjected)
}

// do runs call under the fault for op.
func (s *Store) do(ctx context.Context, op Op, call func() error) error {
	f := s.before(op)
	if f == nil {
		return call()
	}
	if f.After && f.Mode != ModeBlock {
		if err := call(); err != nil {
			return err
		}
	}
	return s.fail(ctx, f)
}

// Attempt implements store.Store.
func (s *Store) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
	var n int
	err := s.do(ctx, OpAttempt, func() (err error) {
		n, err = s.inner.Attempt(ctx, sid, expires)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Commit implements store.Methods.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	return s.do(ctx, OpCommit, func() error { return s.inner.Commit(ctx, c) })
}

// Get implements store.Methods.
func (s *Store) Get(ctx context.Context, subject, id string) (store.Method, error) {
	var m store.Method
	err := s.do(ctx, OpGet, func() (err error) {
		m, err = s.inner.Get(ctx, subject, id)
		return err
	})
	if err != nil {
		return store.Method{}, err
	}
	return m, nil
}

// List implements store.Methods.
func (s *Store) List(ctx context.Context, subject string) ([]store.Method, error) {
	var ms []store.Method
	err := s.do(ctx, OpList, func() (err error) {
		ms, err = s.inner.List(ctx, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// ByCredentialID implements store.Methods.
func (s *Store) ByCredentialID(ctx context.Context, credentialID []byte) (store.Method, error) {
	var m store.Method
	err := s.do(ctx, OpByCredentialID, func() (err error) {
		m, err = s.inner.ByCredentialID(ctx, credentialID)
		return err
	})
	if err != nil {
		return store.Method{}, err
	}
	return m, nil
}

// Update implements store.Methods.
func (s *Store) Update(ctx context.Context, m store.Method) (store.Method, error) {
	var out store.Method
	err := s.do(ctx, OpUpdate, func() (err error) {
		out, err = s.inner.Update(ctx, m)
		return err
	})
	if err != nil {
		return store.Method{}, err
	}
	return out, nil
}

// Delete implements store.Methods.
func (s *Store) Delete(ctx context.Context, subject, id string) error {
	return s.do(ctx, OpDelete, func() error { return s.inner.Delete(ctx, subject, id) })
}

// DeletePrimary implements store.Methods.
func (s *Store) DeletePrimary(ctx context.Context, subject, id string, primaries []string) error {
	return s.do(ctx, OpDeletePrimary, func() error { return s.inner.DeletePrimary(ctx, subject, id, primaries) })
}

// SignIn implements store.Methods.
func (s *Store) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	var m store.Method
	err := s.do(ctx, OpSignIn, func() (err error) {
		m, err = s.inner.SignIn(ctx, in)
		return err
	})
	if err != nil {
		return store.Method{}, err
	}
	return m, nil
}

// Purge implements store.Purger.
func (s *Store) Purge(ctx context.Context) (int, error) {
	p, ok := s.inner.(store.Purger)
	var n int
	err := s.do(ctx, OpPurge, func() (err error) {
		if !ok {
			return ErrUnsupported
		}
		n, err = p.Purge(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// RefundAttempt implements store.AttemptRefunder.
func (s *Store) RefundAttempt(ctx context.Context, sid string) error {
	r, ok := s.inner.(store.AttemptRefunder)
	return s.do(ctx, OpRefundAttempt, func() error {
		if !ok {
			return ErrUnsupported
		}
		return r.RefundAttempt(ctx, sid)
	})
}

// CreatePushTicket implements store.PushDevices.
func (s *Store) CreatePushTicket(ctx context.Context, t store.PushTicket) error {
	d, ok := s.inner.(store.PushDevices)
	return s.do(ctx, OpCreatePushTicket, func() error {
		if !ok {
			return ErrUnsupported
		}
		return d.CreatePushTicket(ctx, t)
	})
}

// RedeemPushTicket implements store.PushDevices.
func (s *Store) RedeemPushTicket(ctx context.Context, hash []byte, dev store.PushDevice) (store.PushTicket, error) {
	d, ok := s.inner.(store.PushDevices)
	var t store.PushTicket
	err := s.do(ctx, OpRedeemPushTicket, func() (err error) {
		if !ok {
			return ErrUnsupported
		}
		t, err = d.RedeemPushTicket(ctx, hash, dev)
		return err
	})
	if err != nil {
		return store.PushTicket{}, err
	}
	return t, nil
}

// PushTicket implements store.PushDevices.
func (s *Store) PushTicket(ctx context.Context, hash []byte) (store.PushTicket, error) {
	d, ok := s.inner.(store.PushDevices)
	var t store.PushTicket
	err := s.do(ctx, OpPushTicket, func() (err error) {
		if !ok {
			return ErrUnsupported
		}
		t, err = d.PushTicket(ctx, hash)
		return err
	})
	if err != nil {
		return store.PushTicket{}, err
	}
	return t, nil
}

// UseNonce implements store.Nonces.
func (s *Store) UseNonce(ctx context.Context, key []byte, expires time.Time) error {
	n, ok := s.inner.(store.Nonces)
	return s.do(ctx, OpUseNonce, func() error {
		if !ok {
			return ErrUnsupported
		}
		return n.UseNonce(ctx, key, expires)
	})
}

// CreatePushTransaction implements store.PushDevices.
func (s *Store) CreatePushTransaction(ctx context.Context, t store.PushTransaction) error {
	d, ok := s.inner.(store.PushDevices)
	return s.do(ctx, OpCreatePushTransaction, func() error {
		if !ok {
			return ErrUnsupported
		}
		return d.CreatePushTransaction(ctx, t)
	})
}

// ResolvePushTransaction implements store.PushDevices.
func (s *Store) ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (store.PushTransaction, error) {
	d, ok := s.inner.(store.PushDevices)
	var t store.PushTransaction
	err := s.do(ctx, OpResolvePushTransaction, func() (err error) {
		if !ok {
			return ErrUnsupported
		}
		t, err = d.ResolvePushTransaction(ctx, hash, accepted, reason)
		return err
	})
	if err != nil {
		return store.PushTransaction{}, err
	}
	return t, nil
}

// PushTransaction implements store.PushDevices.
func (s *Store) PushTransaction(ctx context.Context, hash []byte) (store.PushTransaction, error) {
	d, ok := s.inner.(store.PushDevices)
	var t store.PushTransaction
	err := s.do(ctx, OpPushTransaction, func() (err error) {
		if !ok {
			return ErrUnsupported
		}
		t, err = d.PushTransaction(ctx, hash)
		return err
	})
	if err != nil {
		return store.PushTransaction{}, err
	}
	return t, nil
}
