package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// LoadConfig configures RunLoad. Zero fields take the defaults.
type LoadConfig struct {
	// Clients is the number of concurrent HTTP clients. Default 64.
	Clients int
	// Sessions is the number of TOTP enrollments confirmed under load, each
	// sent Wrong wrong codes and one valid request that is also replayed
	// Replays times. Default 100.
	Sessions int
	// Wrong is the wrong codes sent to each of those sessions: fewer than
	// the attempt limit, so that every session is confirmed. Default 4.
	Wrong int
	// Replays is how often each valid request is sent again. Default 5.
	Replays int
	// Guessing is the number of further sessions that are sent only wrong
	// codes, twice the attempt limit. Default 20.
	Guessing int
}

func (c *LoadConfig) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Clients, 64)
	def(&c.Sessions, 100)
	def(&c.Wrong, verify.DefaultMaxAttempts-1)
	def(&c.Replays, 5)
	def(&c.Guessing, 20)
}

// countingEngine counts the Confirm calls of each method id: the proofs
// the engine actually evaluated.
type countingEngine struct {
	verify.Engine
	mu    sync.Mutex
	count map[string]int
}

func (e *countingEngine) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	e.mu.Lock()
	e.count[req.MethodID]++
	e.mu.Unlock()
	return e.Engine.Confirm(ctx, req)
}

func (e *countingEngine) evaluations(methodID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count[methodID]
}

// loadCall is one verify request of the load and what it got.
type loadCall struct {
	session int
	kind    string // "valid", "replay" or "wrong"
	body    string
	status  int
	problem string
	err     error
}

// RunLoad starts cfg.Sessions + cfg.Guessing TOTP enrollments on a Kit
// over st (whose clock must be clock), then lets cfg.Clients concurrent
// HTTP clients send, in random order, every session's valid request, its
// replays and its wrong codes, and the guessing sessions' wrong codes. It
// checks that
//   - every session is confirmed exactly once (one 201) and stored once,
//     with the matched time step as its counter;
//   - the engine evaluates at most the attempt limit of proofs per
//     session, and a guessing session exactly the limit;
//   - a wrong code is never accepted and a valid one never refused as
//     wrong; every other answer is session_already_used or
//     too_many_attempts; nothing is a 5xx; every response matches the spec.
//
// It makes no timing assertion.
func RunLoad(t *testing.T, st store.Store, clock *storetest.Clock, cfg LoadConfig) {
	t.Helper()
	cfg.defaults()
	counter := &countingEngine{count: map[string]int{}}
	k := NewKit(t, KitConfig{
		Store: st, Clock: clock, Types: []verify.Type{verify.TypeTOTP},
		Logger: slog.New(slog.DiscardHandler),
		WrapEngine: func(e verify.Engine) verify.Engine {
			counter.Engine = e
			return counter
		},
	})
	limit := verify.DefaultMaxAttempts
	total := cfg.Sessions + cfg.Guessing
	enrollments := make([]*Enrollment, total)
	var calls []*loadCall
	for i := range total {
		e := k.Start(t, fmt.Sprintf("auth0|load-%03d", i), verify.TypeTOTP)
		enrollments[i] = e
		code := k.TOTPCode(t, e)
		wrong := cfg.Wrong
		if i >= cfg.Sessions {
			wrong = 2 * limit
		} else {
			valid := VerifyBody(e.AuthSession, "otp_code", code)
			calls = append(calls, &loadCall{session: i, kind: "valid", body: valid})
			for range cfg.Replays {
				calls = append(calls, &loadCall{session: i, kind: "replay", body: valid})
			}
		}
		for _, w := range k.wrongTOTPCodes(t, e, wrong) {
			calls = append(calls, &loadCall{session: i, kind: "wrong", body: VerifyBody(e.AuthSession, "otp_code", w)})
		}
	}
	rand.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })

	srv := httptest.NewServer(k.Handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients}}
	defer client.CloseIdleConnections()
	queue := make(chan *loadCall)
	var wg sync.WaitGroup
	var specErrs atomic.Int32
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range queue {
				e := enrollments[c.session]
				r, err := http.NewRequest(http.MethodPost, srv.URL+"/me/v1"+VerifyPath(e.ID), strings.NewReader(c.body))
				if err != nil {
					c.err = err
					continue
				}
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+e.Token)
				resp, err := client.Do(r)
				if err != nil {
					c.err = err
					continue
				}
				body, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				c.status, c.err = resp.StatusCode, err
				if err := spectest.CheckResponse("confirmAuthenticationMethod", resp.StatusCode, resp.Header, body); err != nil {
					specErrs.Add(1)
					c.err = err
				}
				if resp.StatusCode != http.StatusCreated {
					var p Problem
					if err := json.Unmarshal(body, &p); err != nil {
						c.err = err
					}
					c.problem = p.Type
				}
			}
		}()
	}
	for _, c := range calls {
		queue <- c
	}
	close(queue)
	wg.Wait()
	require.Zero(t, specErrs.Load(), "responses that do not match the spec")

	type tally struct{ created, wrong, used, tooMany int }
	tallies := make([]tally, total)
	for _, c := range calls {
		require.NoError(t, c.err, "session %d %s", c.session, c.kind)
		tl := &tallies[c.session]
		switch {
		case c.status == http.StatusCreated:
			require.NotEqual(t, "wrong", c.kind, "a wrong code was accepted (session %d)", c.session)
			tl.created++
		case c.status == http.StatusBadRequest && c.problem == "invalid_proof":
			require.Equal(t, "wrong", c.kind, "a valid code was refused as wrong (session %d)", c.session)
			tl.wrong++
		case c.status == http.StatusBadRequest && c.problem == "session_already_used":
			tl.used++
		case c.status == http.StatusBadRequest && c.problem == "too_many_attempts":
			tl.tooMany++
		default:
			t.Fatalf("session %d %s: status %d %s", c.session, c.kind, c.status, c.problem)
		}
	}
	step := clock.Now().Unix() / 30
	for i, e := range enrollments {
		require.True(t, strings.HasPrefix(e.ID, "totp|dev_"), "the engine sees the enrollment id: %s", e.ID)
		tl, evals := tallies[i], counter.evaluations(e.ID)
		assert.LessOrEqual(t, evals, limit, "session %d: the engine evaluated more proofs than the attempt limit", i)
		ms, err := st.List(context.Background(), e.Subject)
		require.NoError(t, err)
		if i < cfg.Sessions {
			assert.Equal(t, 1, tl.created, "session %d: %+v", i, tl)
			assert.LessOrEqual(t, tl.wrong, cfg.Wrong)
			assert.Equal(t, 1+cfg.Replays+cfg.Wrong, tl.created+tl.wrong+tl.used+tl.tooMany)
			require.Len(t, ms, 1, "session %d", i)
			assert.Equal(t, step, ms[0].Counter, "the matched time step is stored")
			continue
		}
		assert.Equal(t, tally{wrong: limit, tooMany: limit}, tl, "guessing session %d", i)
		assert.Equal(t, limit, evals, "guessing session %d", i)
		assert.Empty(t, ms)
	}
}
