package store

import (
	"context"
	"time"
)

// PushTicket is a pending push-notification enrollment: the ticket a
// device redeems to enroll (Guardian's enrollment_tx_id), and the device
// once it has. The ticket itself is never stored, only its hash.
type PushTicket struct {
	// Hash is the SHA-256 of the ticket (32 bytes): a key, not a secret.
	Hash []byte
	// Subject and MethodID are the user and the pending method the ticket
	// was issued for.
	Subject  string
	MethodID string
	// Expires is when the ticket, with its enrollment session, expires.
	Expires time.Time
	// Device is the device that redeemed the ticket; nil until then.
	Device *PushDevice
}

// PushDevice is a device enrolled for push notifications, as it described
// itself when it redeemed a ticket.
type PushDevice struct {
	Identifier string // the device's own identifier, unique per device and app
	Name       string // friendly name shown to the user
	Service    string // push service: "GCM", "FCM", "APNS", …
	Token      string // push token for that service
	PublicKey  []byte // the device's public key, a JWK (JSON)
	EnrolledAt time.Time
}

// PushDevices stores push-notification enrollment tickets. A store that
// implements it must pass storetest.RunPush. Expiry is evaluated with the
// store's clock, like sessions.
//
// RedeemPushTicket is security-critical and must be atomic (a conditional
// update, a transaction, a mutex), never a read followed by a write in Go:
// a ticket is redeemed by one device, once.
type PushDevices interface {
	// CreatePushTicket records t, whose Device must be nil. It fails with
	// ErrExists if a ticket with t.Hash is recorded and unexpired, and
	// with ErrFull when a bounded store has no room for it.
	CreatePushTicket(ctx context.Context, t PushTicket) error
	// RedeemPushTicket attaches d to the ticket whose hash is hash, if the
	// ticket exists, has not expired and has not been redeemed, and returns
	// the ticket with its device. It fails with ErrNotFound when there is
	// no such unexpired ticket and with ErrConsumed when it was redeemed
	// already. Of concurrent redemptions of one ticket exactly one succeeds.
	RedeemPushTicket(ctx context.Context, hash []byte, d PushDevice) (PushTicket, error)
	// PushTicket returns the unexpired ticket whose hash is hash, with its
	// device once redeemed, or fails with ErrNotFound.
	PushTicket(ctx context.Context, hash []byte) (PushTicket, error)
}
