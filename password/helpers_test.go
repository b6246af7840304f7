package password

import (
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// requirePeer returns the path of the external program name. Without it
// the test is skipped on a laptop and fails in CI (CI=true).
func requirePeer(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		peer.Missing(t, "interop peer %s not installed: %v", name, err)
	}
	return p
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const testSealPassword = "a-test-sealing-password-of-at-least-32-chars"

// fixture is a verify.Service with the password engine over a memory
// store, on a fixed clock.
type fixture struct {
	svc   *verify.Service
	eng   *Engine
	store *memory.Store
	clock *clock
}

var ctx = context.Background()

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, func(s *memory.Store) store.Store { return s })
}

// newFixtureWith is newFixture with the engine and service on wrap(the
// memory store).
func newFixtureWith(t testing.TB, cfg Config, wrap func(*memory.Store) store.Store) *fixture {
	t.Helper()
	return newFixtureAllow(t, cfg, wrap, nil)
}

// newFixtureAllow is newFixtureWith with the service's identity hook
// (verify.Config.AllowIdentity).
func newFixtureAllow(t testing.TB, cfg Config, wrap func(*memory.Store) store.Store, allow func(context.Context, verify.Subject, string) error) *fixture {
	t.Helper()
	clk := &clock{t: epoch}
	mem, err := memory.New(memory.Config{Now: clk.Now})
	require.NoError(t, err)
	st := wrap(mem)
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	if cfg.Hasher == nil {
		cfg.Hasher = cheapHasher(t, 0)
	}
	eng, err := New(st, cfg)
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: testSealPassword}}, Now: clk.Now})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{eng}, Sealer: sealer, Store: st, Now: clk.Now, MaxAttempts: 20, AllowIdentity: allow})
	require.NoError(t, err)
	return &fixture{svc: svc, eng: eng, store: mem, clock: clk}
}

// cheapHasher is an argon2id Hasher with test-only parameters (m=64 KiB,
// t=1) far below the floors NewHasher enforces, so that engine tests stay
// fast under -race. Tests of the parameters themselves use testHasher.
func cheapHasher(t testing.TB, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := NewHasher(HashConfig{MaxConcurrent: maxConcurrent})
	require.NoError(t, err)
	h.argon = Argon2Params{Memory: 64, Time: 1, Threads: 1}
	return h
}

// cheapBcrypt is a bcrypt Hasher at the test-only cost 4 (NewHasher
// enforces at least 10).
func cheapBcrypt(t testing.TB) *Hasher {
	t.Helper()
	h, err := NewHasher(HashConfig{Algorithm: Bcrypt, BcryptCost: MinBcryptCost})
	require.NoError(t, err)
	h.cost = 4
	return h
}

// testHasher is the default argon2id hasher (m=19 MiB, t=2, p=1).
func testHasher(t testing.TB) *Hasher {
	t.Helper()
	h, err := NewHasher(HashConfig{})
	require.NoError(t, err)
	return h
}

var alice = verify.Subject{
	ID: "auth0|alice01", Name: "Alice Liddell", Email: "alice.liddell@example.com", Username: "wonderland",
	Profile: map[string]string{"nickname": "rabbithole"},
}

// start begins a password enrollment for sub.
func (f *fixture) start(t testing.TB, sub verify.Subject) *verify.Enrollment {
	t.Helper()
	enr, err := f.svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypePassword}, verify.Client{})
	require.NoError(t, err)
	return enr
}

// confirm confirms enr with pw.
func (f *fixture) confirm(sub verify.Subject, enr *verify.Enrollment, pw string) (*verify.Method, error) {
	return f.svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession, NewPassword: &pw}, verify.Client{})
}

// set starts and confirms one password change.
func (f *fixture) set(t testing.TB, sub verify.Subject, pw string) (*verify.Method, error) {
	t.Helper()
	return f.confirm(sub, f.start(t, sub), pw)
}

// secret returns the stored secret of sub's own password method.
func (f *fixture) secret(t testing.TB, sub verify.Subject) Secret {
	t.Helper()
	rec, err := f.store.Get(ctx, sub.ID, MethodID(sub.ID))
	require.NoError(t, err)
	s, err := DecodeSecret(rec.Secret)
	require.NoError(t, err)
	return s
}

// policyError returns the *PolicyError in err, failing the test if none.
func policyError(t testing.TB, err error) *PolicyError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	var pe *PolicyError
	require.ErrorAs(t, err, &pe)
	return pe
}

func rules(pe *PolicyError) []Rule {
	var rs []Rule
	for _, v := range pe.Violations {
		rs = append(rs, v.Rule)
	}
	return rs
}

// lockedWriter serialises writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// newTestLogger logs JSON lines into w, guarded by mu.
func newTestLogger(mu *sync.Mutex, w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewJSONHandler(lockedWriter{mu, w}, nil))
}
