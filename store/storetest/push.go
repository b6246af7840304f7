package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// pushCases are the cases of store.PushDevices: ticket creation, single
// redemption under concurrency, expiry on the injected clock, not-found,
// and isolation of returned values.
type pushCase = suiteCase[store.PushDevices]

// pushTicket returns a sample ticket for subject named name, expiring in
// five minutes on clock.
func pushTicket(name, subject string, clock *Clock) store.PushTicket {
	h := sha256.Sum256([]byte(name))
	return store.PushTicket{
		Hash: h[:], Subject: subject, MethodID: "push-notification|dev_" + name,
		Expires: clock.Now().Add(5 * time.Minute).Truncate(time.Millisecond),
		Secret:  []byte("totp secret of " + name),
	}
}

// pushTransaction returns a sample push sign-in transaction named name,
// expiring in five minutes on clock.
func pushTransaction(name, subject string, clock *Clock) store.PushTransaction {
	h := sha256.Sum256([]byte("tx " + name))
	c := sha256.Sum256([]byte("challenge " + name))
	return store.PushTransaction{
		Hash: h[:], ChallengeHash: c[:], Subject: subject, MethodID: "push-notification|dev_" + name,
		Expires: clock.Now().Add(5 * time.Minute).Truncate(time.Millisecond),
	}
}

func requireSameTx(t *testing.T, want, got store.PushTransaction) {
	t.Helper()
	assert.True(t, want.Expires.Equal(got.Expires), "expires %v, want %v", got.Expires, want.Expires)
	want.Expires, got.Expires = time.Time{}, time.Time{}
	assert.Equal(t, want, got)
}

// pushDevice returns a sample device named name.
func pushDevice(name string, clock *Clock) store.PushDevice {
	return store.PushDevice{
		Identifier: "device-" + name, Name: "Phone " + name, Service: "FCM", Token: "token-" + name,
		PublicKey:  []byte(`{"kty":"EC","crv":"P-256","x":"` + name + `","y":"y"}`),
		TokenHash:  func() []byte { h := sha256.Sum256([]byte("device token " + name)); return h[:] }(),
		EnrolledAt: clock.Now().Truncate(time.Millisecond),
	}
}

func requireSameTicket(t *testing.T, want, got store.PushTicket) {
	t.Helper()
	assert.Equal(t, want.Hash, got.Hash)
	assert.Equal(t, want.Subject, got.Subject)
	assert.Equal(t, want.MethodID, got.MethodID)
	assert.Equal(t, want.Secret, got.Secret)
	assert.True(t, want.Expires.Equal(got.Expires), "expires %v, want %v", got.Expires, want.Expires)
	if want.Device == nil {
		assert.Nil(t, got.Device)
		return
	}
	require.NotNil(t, got.Device)
	w, g := *want.Device, *got.Device
	assert.True(t, w.EnrolledAt.Equal(g.EnrolledAt), "enrolled at %v, want %v", g.EnrolledAt, w.EnrolledAt)
	w.EnrolledAt, g.EnrolledAt = time.Time{}, time.Time{}
	assert.Equal(t, w, g)
}

var pushCases = []pushCase{
	{"CreateAndGet", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		requireSameTicket(t, tk, got)
		_, err = s.PushTicket(ctx, pushTicket("b", "alice", clock).Hash)
		require.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"CreateDuplicate", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		other := tk
		other.Subject = "mallory"
		require.ErrorIs(t, s.CreatePushTicket(ctx, other), store.ErrExists)
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		assert.Equal(t, "alice", got.Subject, "the first ticket is kept")
	}},
	{"Redeem", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		d := pushDevice("a", clock)
		got, err := s.RedeemPushTicket(ctx, tk.Hash, d)
		require.NoError(t, err)
		want := tk
		want.Device = &d
		requireSameTicket(t, want, got)
		got, err = s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		requireSameTicket(t, want, got)
	}},
	{"RedeemOnce", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		first := pushDevice("first", clock)
		_, err := s.RedeemPushTicket(ctx, tk.Hash, first)
		require.NoError(t, err)
		_, err = s.RedeemPushTicket(ctx, tk.Hash, pushDevice("second", clock))
		require.ErrorIs(t, err, store.ErrConsumed)
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		require.NotNil(t, got.Device)
		assert.Equal(t, first.Identifier, got.Device.Identifier, "the second redemption changed nothing")
	}},
	{"RedeemUnknown", func(t *testing.T, s store.PushDevices, clock *Clock) {
		_, err := s.RedeemPushTicket(ctx, pushTicket("nope", "alice", clock).Hash, pushDevice("a", clock))
		require.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"RedeemConcurrent", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		var wins atomic.Int32
		var winner atomic.Value
		parallel(t, 100, func(i int) error {
			d := pushDevice(fmt.Sprint(i), clock)
			_, err := s.RedeemPushTicket(ctx, tk.Hash, d)
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(d.Identifier)
				return nil
			case errors.Is(err, store.ErrConsumed):
				return nil
			default:
				return err
			}
		})
		require.EqualValues(t, 1, wins.Load(), "exactly one redemption wins")
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		assert.Equal(t, winner.Load(), got.Device.Identifier)
	}},
	{"Expiry", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		redeemed := pushTicket("b", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, redeemed))
		_, err := s.RedeemPushTicket(ctx, redeemed.Hash, pushDevice("b", clock))
		require.NoError(t, err)

		clock.Advance(5*time.Minute - time.Millisecond)
		_, err = s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err, "alive until its expiry")
		clock.Advance(time.Millisecond)
		_, err = s.RedeemPushTicket(ctx, tk.Hash, pushDevice("a", clock))
		require.ErrorIs(t, err, store.ErrNotFound, "an expired ticket cannot be redeemed")
		_, err = s.PushTicket(ctx, tk.Hash)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.PushTicket(ctx, redeemed.Hash)
		require.ErrorIs(t, err, store.ErrNotFound, "a redeemed ticket expires too")
		// Its hash may be recorded again once expired.
		again := pushTicket("a", "alice", clock)
		require.NoError(t, s.CreatePushTicket(ctx, again))
	}},
	{"Isolation", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		hash := append([]byte(nil), tk.Hash...)
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		tk.Hash[0] ^= 0xff
		d := pushDevice("a", clock)
		got, err := s.RedeemPushTicket(ctx, hash, d)
		require.NoError(t, err, "the store kept its own copy of the hash")
		d.PublicKey[0] = 'X'
		got.Device.PublicKey[1] = 'X'
		got.Hash[0] ^= 0xff
		again, err := s.PushTicket(ctx, hash)
		require.NoError(t, err)
		assert.Equal(t, pushDevice("a", clock).PublicKey, again.Device.PublicKey)
		assert.Equal(t, hash, again.Hash)
	}},
	{"Context", func(t *testing.T, s store.PushDevices, clock *Clock) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		tk := pushTicket("a", "alice", clock)
		require.ErrorIs(t, s.CreatePushTicket(cctx, tk), context.Canceled)
		_, err := s.PushTicket(ctx, tk.Hash)
		require.ErrorIs(t, err, store.ErrNotFound, "a cancelled create wrote nothing")
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		_, err = s.RedeemPushTicket(cctx, tk.Hash, pushDevice("a", clock))
		require.ErrorIs(t, err, context.Canceled)
		_, err = s.PushTicket(cctx, tk.Hash)
		require.ErrorIs(t, err, context.Canceled)
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		assert.Nil(t, got.Device, "a cancelled redemption wrote nothing")
	}},
	{"TicketWithoutSecret", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tk := pushTicket("a", "alice", clock)
		tk.Secret = nil
		require.NoError(t, s.CreatePushTicket(ctx, tk))
		got, err := s.PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		assert.Empty(t, got.Secret)
	}},
	{"TransactionCreateAndGet", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tx := pushTransaction("a", "alice", clock)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		got, err := s.PushTransaction(ctx, tx.Hash)
		require.NoError(t, err)
		requireSameTx(t, tx, got)
		_, err = s.PushTransaction(ctx, pushTransaction("b", "alice", clock).Hash)
		require.ErrorIs(t, err, store.ErrNotFound)
		other := tx
		other.Subject = "mallory"
		require.ErrorIs(t, s.CreatePushTransaction(ctx, other), store.ErrExists, "a live transaction is never replaced")
	}},
	// SI-09: a transaction is answered once.
	{"TransactionResolveOnce", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tx := pushTransaction("a", "alice", clock)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		got, err := s.ResolvePushTransaction(ctx, tx.Hash, false, "fraud")
		require.NoError(t, err)
		want := tx
		want.Resolved, want.Accepted, want.Reason = true, false, "fraud"
		requireSameTx(t, want, got)
		_, err = s.ResolvePushTransaction(ctx, tx.Hash, true, "")
		require.ErrorIs(t, err, store.ErrConsumed, "a second answer is refused")
		got, err = s.PushTransaction(ctx, tx.Hash)
		require.NoError(t, err)
		requireSameTx(t, want, got)
		_, err = s.ResolvePushTransaction(ctx, pushTransaction("nope", "alice", clock).Hash, true, "")
		require.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"TransactionResolveConcurrent", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tx := pushTransaction("a", "alice", clock)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		var wins atomic.Int32
		var accepted atomic.Bool
		parallel(t, 100, func(i int) error {
			got, err := s.ResolvePushTransaction(ctx, tx.Hash, i%2 == 0, "")
			switch {
			case err == nil:
				wins.Add(1)
				accepted.Store(got.Accepted)
				return nil
			case errors.Is(err, store.ErrConsumed):
				return nil
			default:
				return err
			}
		})
		require.EqualValues(t, 1, wins.Load(), "exactly one answer wins")
		got, err := s.PushTransaction(ctx, tx.Hash)
		require.NoError(t, err)
		assert.Equal(t, accepted.Load(), got.Accepted, "the stored answer is the winner's")
	}},
	{"TransactionExpiry", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tx := pushTransaction("a", "alice", clock)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		clock.Advance(5*time.Minute - time.Millisecond)
		_, err := s.PushTransaction(ctx, tx.Hash)
		require.NoError(t, err, "alive until its expiry")
		clock.Advance(time.Millisecond)
		_, err = s.ResolvePushTransaction(ctx, tx.Hash, true, "")
		require.ErrorIs(t, err, store.ErrNotFound, "an expired transaction cannot be answered")
		_, err = s.PushTransaction(ctx, tx.Hash)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, s.CreatePushTransaction(ctx, pushTransaction("a", "alice", clock)), "its hash may be recorded again")
	}},
	{"TransactionIsolation", func(t *testing.T, s store.PushDevices, clock *Clock) {
		tx := pushTransaction("a", "alice", clock)
		hash := append([]byte(nil), tx.Hash...)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		tx.Hash[0] ^= 0xff
		tx.ChallengeHash[0] ^= 0xff
		got, err := s.PushTransaction(ctx, hash)
		require.NoError(t, err, "the store kept its own copy")
		assert.Equal(t, pushTransaction("a", "alice", clock).ChallengeHash, got.ChallengeHash)
		got.ChallengeHash[0] ^= 0xff
		again, err := s.PushTransaction(ctx, hash)
		require.NoError(t, err)
		assert.Equal(t, pushTransaction("a", "alice", clock).ChallengeHash, again.ChallengeHash)
	}},
	{"TransactionContext", func(t *testing.T, s store.PushDevices, clock *Clock) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		tx := pushTransaction("a", "alice", clock)
		require.ErrorIs(t, s.CreatePushTransaction(cctx, tx), context.Canceled)
		require.NoError(t, s.CreatePushTransaction(ctx, tx))
		_, err := s.ResolvePushTransaction(cctx, tx.Hash, true, "")
		require.ErrorIs(t, err, context.Canceled)
		got, err := s.PushTransaction(ctx, tx.Hash)
		require.NoError(t, err)
		assert.False(t, got.Resolved, "a cancelled answer wrote nothing")
	}},
}
