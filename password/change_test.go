package password

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/verify"
)

// The password-change rows of SECURITY-CHECKLIST (PW-09, PW-10, PW-16,
// PW-17), one test each.

// The passwords of the change tests.
const (
	current = "tangerine quartz violin"
	next    = "marmalade glacier piano"
)

// hostChange is a host's password change: the current password is checked
// under the user's guard, then the new one is enrolled.
func hostChange(t *testing.T, f *fixture, lim verify.Limiter, limit verify.Limit, cur, pw string) error {
	err := ratelimit.Guard(ctx, lim, "signin:"+alice.ID, limit, func(ctx context.Context) error {
		return f.signIn(alice.ID, passwordMethodID(alice.ID), cur)
	})
	if err != nil {
		return err
	}
	_, err = f.set(t, alice, pw)
	return err
}

// PW-09: a change requires the current password.
//
// A wrong current password refuses the change and is counted; the
// stored hash is unchanged. (A stale sign-in is refused before any
// of this by the host's authentication: GN-01.)
func TestChangeRequiresTheCurrentPassword(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, current)
	require.NoError(t, err)
	before := f.secret(t, alice)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
	require.NoError(t, err)
	limit := ratelimit.DefaultGuardLimit()
	err = hostChange(t, f, lim, limit, "not the password", next)
	require.ErrorIs(t, err, ErrMismatch)
	assert.Equal(t, before, f.secret(t, alice), "nothing changed")
	rl, err := lim.Allow(ctx, "signin:"+alice.ID, limit)
	require.NoError(t, err)
	assert.Equal(t, limit.Requests-2, rl.Remaining, "the failed check was counted")
	require.NoError(t, hostChange(t, f, lim, limit, current, next))
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), next))
}

// PW-10: change attempts are rate-limited.
//
// 10 wrong current passwords, then the right one: 429, unchecked.
func TestChangeAttemptsAreRateLimited(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, current)
	require.NoError(t, err)
	lim, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: f.clock.Now})
	require.NoError(t, err)
	limit := verify.Limit{Requests: 10, Window: 15 * time.Minute}
	for range limit.Requests {
		require.ErrorIs(t, hostChange(t, f, lim, limit, "not the password", next), ErrMismatch)
	}
	err = hostChange(t, f, lim, limit, current, next)
	require.ErrorIs(t, err, verify.ErrRateLimited)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.NotNil(t, ve.RateLimit)
	assert.Positive(t, ve.RateLimit.RetryAfter)
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), current), "the password did not change")
}

// PW-16: the user is notified of a change and offered to end other sessions.
//
// A change is reported once to the host's Observer, with the method
// and no secret: the host notifies the user and offers to end other
// sessions from that event.
func TestPasswordChangeIsReportedOnce(t *testing.T) {
	f := newFixture(t, Config{})
	obs := &events{}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: testSealPassword}}, Now: f.clock.Now})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{f.eng}, Sealer: sealer, Store: f.store, Now: f.clock.Now, Observer: obs})
	require.NoError(t, err)
	for i, pw := range []string{current, next} {
		en, err := svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypePassword}, verify.Client{})
		require.NoError(t, err)
		m, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, NewPassword: &pw}, verify.Client{})
		require.NoError(t, err)
		confirmed := obs.of(verify.EventConfirmed)
		require.Len(t, confirmed, i+1, "exactly one event per change")
		ev := confirmed[i]
		assert.Equal(t, verify.TypePassword, ev.Type)
		assert.Equal(t, alice.ID, ev.Subject)
		assert.Equal(t, m.ID, ev.MethodID)
		assert.NotContains(t, ev.Reason+ev.MethodID+ev.Client.UserAgent, pw)
	}
}

// PW-17: pasting is not blocked.
//
// No check looks at typing: a password confirmed the same instant
// the enrollment started (a paste, a password manager) is accepted.
func TestPastedPasswordIsAccepted(t *testing.T) {
	f := newFixture(t, Config{})
	en := f.start(t, alice)
	m, err := f.confirm(alice, en, current)
	require.NoError(t, err)
	assert.Equal(t, passwordMethodID(alice.ID), m.ID)
}

// events is an Observer keeping every event.
type events struct {
	mu sync.Mutex
	ev []verify.Event
}

func (e *events) Observe(_ context.Context, ev verify.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, ev)
}

func (e *events) of(k verify.EventKind) []verify.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []verify.Event
	for _, ev := range e.ev {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}
