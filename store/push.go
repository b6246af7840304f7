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
	// Secret is engine-private state recorded with the ticket (push keeps
	// the TOTP secret the device's enrollment answer carries). Persistent
	// stores encrypt it at rest; it may be nil.
	Secret []byte
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
	// TokenHash is the SHA-256 of the device token the device was given to
	// manage its device account; the token itself is never stored.
	TokenHash  []byte
	EnrolledAt time.Time
}

// PushTransaction is one push sign-in: the notification sent to a device,
// waiting for the device to approve or reject it (Guardian's
// resolve-transaction). Neither the transaction token nor the challenge is
// stored, only their hashes.
type PushTransaction struct {
	// Hash is the SHA-256 of the transaction token (32 bytes): a key.
	Hash []byte
	// ChallengeHash is the SHA-256 of the challenge the device signs.
	ChallengeHash []byte
	// Subject and MethodID name the push method signed in with.
	Subject  string
	MethodID string
	// Expires is when the transaction, with its sign-in session, expires.
	Expires time.Time
	// Resolved is set once the device answered; Accepted is its answer and
	// Reason the optional reason of a rejection (at most 255 bytes).
	Resolved bool
	Accepted bool
	Reason   string
}

// PushDevices stores push-notification enrollment tickets and sign-in
// transactions. A store that
// implements it must pass storetest.Run (its Push cases). Expiry is evaluated with the
// store's clock, like sessions.
//
// RedeemPushTicket is security-critical and must be atomic (a conditional
// update, a transaction, a mutex), never a read followed by a write in Go:
// a ticket is redeemed by one device, once. ResolvePushTransaction is
// likewise atomic: a transaction is answered once.
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

	// CreatePushTransaction records t, whose Resolved must be false. It
	// fails with ErrExists if a transaction with t.Hash is recorded and
	// unexpired, and with ErrFull when a bounded store has no room for it.
	CreatePushTransaction(ctx context.Context, t PushTransaction) error
	// ResolvePushTransaction records the device's answer on the unexpired,
	// unresolved transaction whose hash is hash, and returns it resolved.
	// It fails with ErrNotFound when there is no such unexpired
	// transaction and with ErrConsumed when it was resolved already. Of
	// concurrent resolutions exactly one succeeds: it is atomic, like
	// RedeemPushTicket.
	ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (PushTransaction, error)
	// PushTransaction returns the unexpired transaction whose hash is
	// hash, or fails with ErrNotFound.
	PushTransaction(ctx context.Context, hash []byte) (PushTransaction, error)
}
