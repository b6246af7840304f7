package session

import "errors"

// Errors returned by Open. Every failure matches ErrInvalid; an expired
// token also matches ErrExpired.
var (
	ErrInvalid = errors.New("session: invalid token")
	ErrExpired = errors.New("session: token expired")
)

// openError is the error Open returns for a token it refuses. Its text is
// the same for every reason (SECURITY-CHECKLIST AS-05: a caller cannot tell
// a bad MAC from bad padding, and the text never holds the token, the
// plaintext or key material); reason names the failed check for this
// package's tests only.
type openError struct {
	reason  string
	expired bool
}

func (e *openError) Error() string {
	if e.expired {
		return ErrExpired.Error()
	}
	return ErrInvalid.Error()
}

// Is makes every openError match ErrInvalid, and an expired one also
// ErrExpired.
func (e *openError) Is(target error) bool {
	return target == ErrInvalid || (e.expired && target == ErrExpired)
}

// Expired reports whether the token was refused because it expired. It is
// how a caller that does not import this package (verify.Service, through
// verify.Sealer) learns of expiry.
func (e *openError) Expired() bool { return e.expired }

// The reasons Open refuses a token, in the order it checks them.
var (
	errTooLong    = &openError{reason: "token longer than MaxTokenLen"}
	errParts      = &openError{reason: "not 8 components"}
	errPrefix     = &openError{reason: "wrong prefix"}
	errExpSyntax  = &openError{reason: "expiration is not 1 to 16 digits"}
	errExpired    = &openError{reason: "expired", expired: true}
	errUnknownKey = &openError{reason: "unknown password id"}
	errSalt       = &openError{reason: "salt is not 64 lowercase hex digits"}
	errIV         = &openError{reason: "iv is not 16 bytes of strict base64url"}
	errMACSyntax  = &openError{reason: "mac is not 32 bytes of strict base64url"}
	errCiphertext = &openError{reason: "ciphertext is not whole blocks of strict base64url"}
	errMAC        = &openError{reason: "mac mismatch"}
	errPadding    = &openError{reason: "bad pkcs7 padding"}
	errDerive     = &openError{reason: "key derivation failed"}
)
