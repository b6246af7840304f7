package verify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
)

// stateEngine starts enrollments with a given state.
type stateEngine struct{ state any }

func (e stateEngine) Type() Type { return TypeTOTP }

func (e stateEngine) Start(context.Context, *EngineStart) (*Challenge, error) {
	return &Challenge{State: e.state}, nil
}

func (e stateEngine) Confirm(context.Context, *EngineConfirm) (*Confirmation, error) {
	return nil, NewError(ErrInvalidProof, "never", "never")
}

// onlySealer hides the PayloadSealer of a *session.Sealer, so Start takes
// the generic path through Seal.
type onlySealer struct{ s *session.Sealer }

func (o onlySealer) Seal(v any, ttl time.Duration) (string, error) { return o.s.Seal(v, ttl) }
func (o onlySealer) Unseal(token string, v any) error              { return o.s.Unseal(token, v) }

// TestStartPayload: whatever the engine's state (none, a string written
// straight into the payload, anything else through json.Marshal) and
// whether the sealer is a PayloadSealer or not, the sealed payload is
// byte for byte what the Encoder writes of the session with the state's
// json.Marshal form, as Seal wrote it before Start encoded by hand.
func TestStartPayload(t *testing.T) {
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k", Password: "start-payload-test-password-0123456789"}}})
	require.NoError(t, err)
	for _, state := range []any{nil, "", "AQEGHjEy", "<a&b>\u2028\"\\\xff", map[string]any{"s": "<x>", "n": 1}, []int{1, 2}} {
		for _, sl := range []Sealer{sealer, onlySealer{sealer}} {
			st, err := memory.New(memory.Config{})
			require.NoError(t, err)
			svc, err := NewService(Config{Engines: []Engine{stateEngine{state}}, Sealer: sl, Store: st})
			require.NoError(t, err)
			en, err := svc.Start(context.Background(), Subject{ID: "auth0|<user>&"}, StartRequest{Type: TypeTOTP}, Client{})
			require.NoError(t, err)
			payload, err := sealer.UnsealPayload(en.AuthSession)
			require.NoError(t, err)
			p, ok := decodeSession(payload)
			require.True(t, ok, "%s", payload)

			want := p
			want.State = nil
			if state != nil {
				want.State, err = json.Marshal(state)
				require.NoError(t, err)
			}
			assert.Equal(t, string(referenceEncode(t, want)), string(payload), "state %#v, sealer %T", state, sl)
		}
	}
}
