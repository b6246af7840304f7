package passkey

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/verifykit/verifykit/store"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

const (
	testRPID   = "example.org"
	testOrigin = "https://example.org"
)

var alice = verify.Subject{ID: "auth0|alice", Name: "Alice Liddell", Email: "alice@example.org"}
var bob = verify.Subject{ID: "auth0|bob", Email: "bob@example.org"}

// harness is an engine over a memory store with a fixed clock.
type harness struct {
	t     testing.TB
	e     *Engine
	store *memory.Store
	cfg   Config
}

func baseConfig() Config {
	return Config{RPID: testRPID, Origins: []string{testOrigin}, Now: fixedClock}
}

func newHarness(t testing.TB, typ verify.Type, mutate func(*Config)) *harness {
	t.Helper()
	st, err := memory.New(memory.Config{Now: fixedClock})
	require.NoError(t, err)
	cfg := baseConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := New(typ, st, cfg)
	require.NoError(t, err)
	return &harness{t: t, e: e, store: st, cfg: cfg}
}

// start runs Start for sub and returns the sealed state and the options.
func (h *harness) start(sub verify.Subject) (sealedState, creationOptions) {
	h.t.Helper()
	ch, err := h.e.Start(context.Background(), &verify.EngineStart{
		Subject: sub, Request: verify.StartRequest{Type: h.e.Type()}, MethodID: string(h.e.Type()) + "|dev_test",
		ExpiresAt: testNow.Add(5 * time.Minute),
	})
	require.NoError(h.t, err)
	st, ok := ch.State.(sealedState)
	require.True(h.t, ok)
	var opts creationOptions
	require.NoError(h.t, json.Unmarshal(ch.AuthnParamsPublicKey, &opts))
	return st, opts
}

// stateFor is a sealed state for a known challenge, as Start would seal it.
func (h *harness) stateFor(challenge []byte) sealedState {
	return sealedState{
		Version: stateVersion, Type: h.e.Type(), RPID: h.e.s.rpID, Challenge: challenge,
		UserHandle: []byte("0123456789abcdef0123456789abcdef"), UV: h.e.s.uv, Algs: h.e.s.algs,
		Attestation: h.e.s.attestation, Identity: alice.ID, Expires: testNow.Add(5 * time.Minute).UnixMilli(),
	}
}

// confirm runs Confirm of body against st for sub.
func (h *harness) confirm(st sealedState, sub verify.Subject, body jsontext.Value) (*verify.Confirmation, error) {
	h.t.Helper()
	return h.confirmT(h.t, st, sub, body)
}

// confirmT is confirm reporting to t (a fuzz target's own T).
func (h *harness) confirmT(t testing.TB, st sealedState, sub verify.Subject, body jsontext.Value) (*verify.Confirmation, error) {
	t.Helper()
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	return h.e.Confirm(context.Background(), &verify.EngineConfirm{
		Subject: sub, MethodID: string(h.e.Type()) + "|dev_test", State: raw,
		Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: body},
		Client:  verify.Client{UserAgent: chromeMacUA},
	})
}

// save stores a confirmation as the service would.
func (h *harness) save(sub verify.Subject, id string, c *verify.Confirmation) {
	h.t.Helper()
	m := c.Method
	m.ID, m.Type, m.Subject, m.Confirmed, m.CreatedAt = id, h.e.Type(), sub.ID, true, testNow
	rec, err := m.Record()
	require.NoError(h.t, err)
	rec.CredentialID, rec.Counter = c.CredentialID, c.Counter
	require.NoError(h.t, h.store.Commit(context.Background(), storeCommit(id, rec)))
}

const chromeMacUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// testService is a verify.Service with the real iron sealer, the memory
// store and the given engines, all on the fixed clock.
func testService(t testing.TB, st *memory.Store, now func() time.Time, engines ...verify.Engine) *verify.Service {
	t.Helper()
	sealer, err := session.NewSealer(session.Config{
		Keys: []session.Key{{ID: "k1", Password: "q7Jx2Lm9Vb4Nc8Zs1Df6Gh3Pk5Rt0Wy-Ue_Io"}},
		Now:  now,
	})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: engines, Sealer: sealer, Store: st, Now: now})
	require.NoError(t, err)
	return svc
}

// requireCI fails when a peer is missing under CI=true and skips otherwise.
func requireCI(t testing.TB, format string, args ...any) {
	t.Helper()
	peer.Missing(t, format, args...)
}

func storeCommit(id string, rec store.Method) store.Commit {
	return store.Commit{SessionID: "sid-" + id, SessionExpires: testNow.Add(time.Hour), Method: rec}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
