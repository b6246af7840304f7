package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

var _ verify.Sealer = (*session.Sealer)(nil)

// recoveryEngine is the smallest engine: a recovery-code enrollment whose
// pending state is a marker the test checks on confirm.
type recoveryEngine struct{ gotState jsontext.Value }

func (e *recoveryEngine) Type() verify.Type { return verify.TypeRecoveryCode }

func (e *recoveryEngine) Start(context.Context, *verify.EngineStart) (*verify.Challenge, error) {
	return &verify.Challenge{State: map[string]string{"h": "<keyed hash & more>"}, RecoveryCode: "ABCD-EFGH"}, nil
}

func (e *recoveryEngine) Confirm(_ context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.gotState = req.State
	return &verify.Confirmation{}, nil
}

// The recoveryEngine enrolls only: its sign-in half refuses.
func (e *recoveryEngine) Challenge(context.Context, *verify.EngineStart) (*verify.Challenge, error) {
	return nil, errors.New("recoveryEngine: no sign-in")
}

func (e *recoveryEngine) Authenticate(context.Context, *verify.EngineConfirm) (*verify.Confirmation, error) {
	return nil, errors.New("recoveryEngine: no sign-in")
}

// TestService runs verify.Service with a real Sealer: start seals an Fe26.2
// auth_session, verify opens it; a tampered or expired one maps to the
// service's invalid-session and expired errors.
func TestService(t *testing.T) {
	c := &clock{t: time.UnixMilli(1700000000000)}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: key1}}, Now: c.Now})
	require.NoError(t, err)
	st, err := memory.New(memory.Config{Now: c.Now})
	require.NoError(t, err)
	eng := &recoveryEngine{}
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{eng}, Sealer: sealer, Store: st, Now: c.Now})
	require.NoError(t, err)
	ctx := context.Background()
	sub := verify.Subject{ID: "auth0|123"}

	start := func(t *testing.T) *verify.Enrollment {
		t.Helper()
		enr, err := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeRecoveryCode}, verify.Client{})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(enr.AuthSession, "Fe26.2*k1*"), enr.AuthSession)
		return enr
	}

	t.Run("round trip", func(t *testing.T) {
		enr := start(t)
		m, err := svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession}, verify.Client{})
		require.NoError(t, err)
		assert.Equal(t, enr.ID, m.ID)
		assert.JSONEq(t, `{"h":"<keyed hash & more>"}`, string(eng.gotState))
	})

	t.Run("tampered", func(t *testing.T) {
		enr := start(t)
		tok := []byte(enr.AuthSession)
		i := len(tok) - 10
		tok[i] ^= 'A' ^ 'B'
		if tok[i] == '*' {
			tok[i] = 'x'
		}
		_, err := svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: string(tok)}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidSession)
		require.ErrorIs(t, err, session.ErrInvalid)
	})

	t.Run("expired", func(t *testing.T) {
		enr := start(t)
		defer func(t0 time.Time) { c.t = t0 }(c.t)
		c.t = c.t.Add(verify.DefaultSessionTTL + time.Minute) // past the seal's skew too
		_, err := svc.Verify(ctx, sub, enr.ID, verify.VerifyRequest{AuthSession: enr.AuthSession}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrExpired)
		require.True(t, errors.Is(err, session.ErrExpired))
	})
}
