package session

import "errors"

// Errors returned by Unseal. Every unseal failure matches ErrInvalid; an
// expired token also matches ErrExpired.
var (
	ErrInvalid = errors.New("session: invalid token")
	ErrExpired = errors.New("session: token expired")
)
