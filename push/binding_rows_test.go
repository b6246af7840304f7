package push

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
)

// The push enrollment rows of SECURITY-CHECKLIST (PU-*), one test each.

// PU-01: the binding ticket has at least 112 bits, is single use and lives
// at most 10 minutes.
func TestBindingTicketIsRandomSingleUseAndShortLived(t *testing.T) {
	f := newFixture(t, Config{}, verify.MaxSessionTTL)
	en := f.start(t, f.alice)
	raw, err := ticketEncoding.DecodeString(en.ticket)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(raw), 14, "at least 112 bits")
	// Single use: a second device redeeming the same ticket is refused.
	_, err = f.enroll(t, newECDevice(t, "first"), en)
	require.NoError(t, err)
	_, err = f.enroll(t, newECDevice(t, "second"), en)
	require.ErrorIs(t, err, ErrInvalidTicket)
	// Valid ≤ 10 minutes: at t + 10 min the ticket has expired with its
	// session (9 min 59 s still works).
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{{10*time.Minute - time.Second, true}, {10 * time.Minute, false}, {10*time.Minute + time.Second, false}} {
		g := newFixture(t, Config{}, verify.MaxSessionTTL)
		en := g.start(t, g.alice)
		g.clock.Add(tc.after)
		_, err := g.enroll(t, newECDevice(t, "late"), en)
		if tc.ok {
			require.NoError(t, err, "after %v", tc.after)
		} else {
			require.ErrorIs(t, err, ErrInvalidTicket, "after %v", tc.after)
		}
	}
	// The ticket goes in the barcode only: no Sender is involved, so it
	// is never e-mailed or texted.
	assert.NotContains(t, en.ManualInputCode, en.ticket)
}

// PU-02: the device proves possession of its key.
func TestDeviceMustProveItsKey(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	d := newECDevice(t, "d")
	en := f.start(t, f.alice)
	req := d.request(t, en.baseURL, en.ticket, f.clock.Now())
	req.Proof = d.sign(t, nil, d.claims(en.baseURL+"/api/enroll", f.start(t, f.alice).ticket, f.clock.Now()))
	_, err := f.push.Enroll(context.Background(), en.ticket, req)
	require.ErrorIs(t, err, ErrInvalidProof, "a signature over a different challenge")
	req = d.request(t, en.baseURL, en.ticket, f.clock.Now())
	req.PublicKey = nil
	_, err = f.push.Enroll(context.Background(), en.ticket, req)
	require.ErrorIs(t, err, ErrInvalidRequest, "missing key")
	_, err = New(Config{Issuer: "X", BaseURL: testBaseURL, TicketSize: 7}, f.store, ratelimit.Unlimited(nil))
	require.ErrorIs(t, err, ErrConfig, "a challenge under 8 bytes")
	// Guardian's enrollment carries no proof: accepted by default, the
	// single-use ticket binding the device; with RequireProof refused.
	req = d.request(t, en.baseURL, en.ticket, f.clock.Now())
	req.Proof = ""
	strict := *f.push
	strict.requireProof = true
	_, err = strict.Enroll(context.Background(), en.ticket, req)
	require.ErrorIs(t, err, ErrInvalidRequest, "RequireProof: no proof")
	_, err = f.push.Enroll(context.Background(), en.ticket, req)
	require.NoError(t, err, "Guardian enroll without a proof")
	t.Run("errors", TestEnrollErrors)
	// Approvals signed by another key: push_test TestResolveRefusesForgedResponses.
}

// PU-03: verify stays pending until the device enrolls for this ticket and
// user.
func TestVerifyIsPendingUntilTheDeviceEnrolls(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	a1, a2 := f.start(t, f.alice), f.start(t, f.alice)
	b := f.start(t, f.bob)
	// Before any device: pending, a 4xx, not success.
	_, err := f.verify(f.alice, a1)
	require.ErrorIs(t, err, verify.ErrPending)
	// A device enrolls under Bob's ticket, then under Alice's second
	// session: neither satisfies Alice's first session.
	_, err = f.enroll(t, newECDevice(t, "bobs"), b)
	require.NoError(t, err)
	_, err = f.enroll(t, newECDevice(t, "other-session"), a2)
	require.NoError(t, err)
	_, err = f.verify(f.alice, a1)
	require.ErrorIs(t, err, verify.ErrPending)
	// Bob's session cannot be confirmed by Alice (bound to its user).
	_, err = f.verify(f.alice, b)
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	// The engine also checks the ticket's owner: Bob's ticket hash
	// sealed in a state presented for Alice is refused.
	h := sha256.Sum256([]byte(b.ticket))
	state, _ := json.Marshal(pushState{V: 1, Ticket: h[:], Secret: make([]byte, 20)})
	_, err = f.push.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.alice, MethodID: b.ID, State: state})
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	m, err := f.verify(f.alice, a2)
	require.NoError(t, err)
	assert.Equal(t, "Pixel of other-session", m.Name)
	t.Run("polls", TestPolls)
}

// PU-04: pushes are rate-limited; number matching is available.
func TestPushesAreRateLimited(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	refused := 0
	for i := 0; i < 30; i++ {
		_, err := f.svc.Start(context.Background(), f.alice, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
		if errors.Is(err, verify.ErrRateLimited) {
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.NotNil(t, ve.RateLimit)
			assert.Positive(t, ve.RateLimit.RetryAfter)
			refused++
			continue
		}
		require.NoError(t, err)
	}
	assert.Equal(t, 30-defaultStartRequests, refused, "enrollment starts are throttled per user")
	// Sign-in pushes are throttled and number-matched: see
	// TestSignInPushesAreThrottled and TestNumberMatching.
}

// PU-05: one device per user, replaced atomically, revocable.
func TestOneDevicePerUserIsRevocable(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	d := newECDevice(t, "same-device")
	en1, en2 := f.start(t, f.alice), f.start(t, f.alice)
	_, err := f.enroll(t, d, en1)
	require.NoError(t, err)
	// The same device enrolled twice by the same user before either is
	// confirmed: one active record.
	_, err = f.enroll(t, d, en2)
	require.NoError(t, err)
	_, err = f.verify(f.alice, en1)
	require.NoError(t, err)
	// Once one is confirmed, the device's enroll is refused (409).
	_, err = f.enroll(t, d, f.start(t, f.alice))
	require.ErrorIs(t, err, ErrAlreadyEnrolled)
	_, err = f.verify(f.alice, en2)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "duplicate_credential", ve.Reason)
	ms, err := f.store.List(context.Background(), f.alice.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 1)
	// Revocation is deleting the method; the device may then enroll again.
	require.NoError(t, f.store.Delete(context.Background(), f.alice.ID, en1.ID))
	en3 := f.start(t, f.alice)
	_, err = f.enroll(t, d, en3)
	require.NoError(t, err)
	_, err = f.verify(f.alice, en3)
	require.NoError(t, err)
	// Another user may enroll a device claiming the same identifier.
	b := f.start(t, f.bob)
	_, err = f.enroll(t, newECDevice(t, "same-device"), b)
	require.NoError(t, err)
	_, err = f.verify(f.bob, b)
	require.NoError(t, err)
}

// PU-06: the user is notified of a new method.
func TestDeviceConfirmationIsReportedOnce(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	en := f.start(t, f.alice)
	_, err := f.verify(f.alice, en) // pending
	require.ErrorIs(t, err, verify.ErrPending)
	_, err = f.enroll(t, newECDevice(t, "d"), en)
	require.NoError(t, err)
	_, err = f.verify(f.alice, en)
	require.NoError(t, err)
	f.observer.mu.Lock()
	defer f.observer.mu.Unlock()
	confirmed := 0
	for _, e := range f.observer.events {
		dump := fmt.Sprintf("%+v", e)
		assert.NotContains(t, dump, en.ticket)
		assert.NotContains(t, dump, en.secret)
		assert.NotContains(t, dump, en.AuthSession)
		if e.Kind == verify.EventConfirmed {
			confirmed++
			assert.Equal(t, verify.TypePushNotification, e.Type)
			assert.Equal(t, en.ID, e.MethodID)
		}
	}
	assert.Equal(t, 1, confirmed, "exactly one confirmation event, for the host's notifier")
}
