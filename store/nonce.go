package store

import (
	"context"
	"time"
)

// MaxNonceKey is the longest key Nonces.UseNonce accepts, in bytes. Callers
// pass a fixed-length digest (verify/httpapi/tokenauth passes a SHA-256 of
// the DPoP proof's key thumbprint and jti), never the client's raw value.
const MaxNonceKey = 64

// Nonces records single-use values until they expire: the jti of DPoP
// proofs (RFC 9449 §11.1), so that a proof captured in transit cannot be
// replayed while its iat is still fresh. A store that implements it must
// pass storetest.Run (its Nonces cases). Expiry is evaluated with the store's clock,
// like sessions.
//
// UseNonce is security-critical and must be atomic (an insert that fails
// on a live duplicate, a mutex), never a read followed by a write in Go:
// a nonce is used once.
type Nonces interface {
	// UseNonce records key (1 to MaxNonceKey bytes) as used until expires.
	// It fails with ErrConsumed if key is recorded and has not expired,
	// and with ErrFull when a bounded store has no room for it; then it
	// records nothing. Of concurrent uses of one key exactly one succeeds.
	// Once expires has passed, key may be used again.
	UseNonce(ctx context.Context, key []byte, expires time.Time) error
}

// ServerNonces keeps the nonces a server hands to DPoP clients (RFC 9449
// §8, §9), so that every process sharing the store issues and accepts the
// same nonce in the same period. A store that implements it must pass
// storetest.Run (its ServerNonces cases).
//
// ServerNonce must be atomic (an insert that keeps an existing row, a
// mutex): the first nonce stored for a period is the one every caller gets.
type ServerNonces interface {
	// ServerNonce returns the nonce of period (a number the caller derives
	// from its clock), storing candidate (1 to MaxNonceKey bytes) as that
	// nonce until expires if the store holds none for period yet. Of
	// concurrent calls for one period, from any process, all return the
	// value stored first. A nonce may be forgotten once expires has passed.
	ServerNonce(ctx context.Context, period int64, candidate []byte, expires time.Time) ([]byte, error)
}
