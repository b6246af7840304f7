package session

import "errors"

// Errors returned by Unseal. Every unseal failure matches ErrInvalid; an
// expired token also matches ErrExpired.
var (
	ErrInvalid = errors.New("session: invalid token")
	ErrExpired = errors.New("session: token expired")
)

// unsealError is the one error Unseal returns for a token it refuses. Its
// text is the same for every reason (SECURITY-CHECKLIST AS-05: a caller
// cannot tell a bad MAC from bad padding or bad JSON, and the text never
// holds the token, the plaintext or key material); reason names the failed
// check for this package's tests only.
type unsealError struct {
	reason  string
	expired bool
}

func (e *unsealError) Error() string {
	if e.expired {
		return ErrExpired.Error()
	}
	return ErrInvalid.Error()
}

// Is makes every unsealError match ErrInvalid, and an expired one also
// ErrExpired.
func (e *unsealError) Is(target error) bool {
	return target == ErrInvalid || (e.expired && target == ErrExpired)
}

// The reasons Unseal refuses a token, in the order it checks them. They are
// preallocated and immutable, so a refusal allocates nothing.
var (
	errTarget     = &unsealError{reason: "target is not a non-nil pointer"}
	errTooLong    = &unsealError{reason: "token longer than MaxTokenLen"}
	errParts      = &unsealError{reason: "not 8 components"}
	errPrefix     = &unsealError{reason: "wrong prefix"}
	errExpSyntax  = &unsealError{reason: "expiration is not 1 to 16 digits"}
	errExpired    = &unsealError{reason: "expired", expired: true}
	errUnknownKey = &unsealError{reason: "unknown password id"}
	errSalt       = &unsealError{reason: "salt is not 64 lowercase hex digits"}
	errIV         = &unsealError{reason: "iv is not 16 bytes of strict base64url"}
	errCiphertext = &unsealError{reason: "ciphertext is not whole blocks of strict base64url"}
	errMACSyntax  = &unsealError{reason: "mac is not 32 bytes of strict base64url"}
	errMAC        = &unsealError{reason: "mac mismatch"}
	errBlocks     = &unsealError{reason: "iv or ciphertext size not a whole block"}
	errPadding    = &unsealError{reason: "bad pkcs7 padding"}
	errPayload    = &unsealError{reason: "payload is not valid json for the target"}
	errInternal   = &unsealError{reason: "internal hash state error"}
)
