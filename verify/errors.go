package verify

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error kinds. Every error verify and its engines return for a client
// mistake matches exactly one of them with errors.Is; anything else (a store
// outage, a cancelled context) is an internal failure and never matches any
// of them, so it is never reported as "invalid code".
var (
	// ErrInvalidRequest: the request is malformed; Error.Fields says where.
	ErrInvalidRequest = errors.New("verify: invalid request")
	// ErrInvalidSession: the auth_session cannot be opened or does not belong
	// to this user, method or payload.
	ErrInvalidSession = errors.New("verify: invalid auth_session")
	// ErrExpired: the auth_session, or the code it carries, has expired.
	ErrExpired = errors.New("verify: auth_session expired")
	// ErrAlreadyUsed: the auth_session was already used to confirm a method.
	ErrAlreadyUsed = errors.New("verify: auth_session already used")
	// ErrTooManyAttempts: the auth_session's attempts are used up; it is void.
	ErrTooManyAttempts = errors.New("verify: too many attempts")
	// ErrInvalidProof: the code, attestation or password does not verify.
	// Deliberately vague: which check failed goes to Error.Reason only.
	ErrInvalidProof = errors.New("verify: invalid proof")
	// ErrPending: the enrollment waits for an out-of-band step (a push device
	// has not enrolled yet); retry later with the same auth_session.
	ErrPending = errors.New("verify: enrollment pending")
	// ErrUnauthenticated: no or a bad access token.
	ErrUnauthenticated = errors.New("verify: unauthenticated")
	// ErrForbidden: authenticated, but not allowed (missing scope, policy).
	ErrForbidden = errors.New("verify: forbidden")
	// ErrRateLimited: too many requests; Error.RateLimit says when to retry.
	ErrRateLimited = errors.New("verify: rate limited")
	// ErrNotFound: no such authentication method for this user.
	ErrNotFound = errors.New("verify: not found")
	// ErrConflict: the change conflicts with the current state (the method
	// exists already, or deleting it would lock the user out).
	ErrConflict = errors.New("verify: conflict")
)

// kinds lists the sentinels in the order Kind reports them.
var kinds = [...]error{
	ErrInvalidRequest, ErrInvalidSession, ErrExpired, ErrAlreadyUsed,
	ErrTooManyAttempts, ErrInvalidProof, ErrPending, ErrUnauthenticated,
	ErrForbidden, ErrRateLimited, ErrNotFound, ErrConflict,
}

// Kind returns the error kind err matches, or nil for an internal failure.
func Kind(err error) error {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// FieldError is one entry of the spec's validation_errors.
type FieldError struct {
	Field   string // dotted field name, e.g. "authn_response.response.clientDataJSON"
	Pointer string // JSON pointer into the request body, e.g. "/otp_code"
	Detail  string // what is wrong; never echoes a secret value
}

// RateLimit is the state of one rate-limit bucket after a request.
type RateLimit struct {
	Allowed    bool          // the request may proceed
	Limit      int           // requests permitted per window
	Remaining  int           // requests left in the current window
	Reset      time.Time     // when the bucket is full again
	RetryAfter time.Duration // when not Allowed: how long to wait
}

// Error is the error type of verify and its engines. It matches its Kind
// with errors.Is. Its message (Error) is Detail and is safe to show a
// client: it never contains codes, secrets, challenges or hashes.
type Error struct {
	Kind      error        // one of the Err* kinds above
	Detail    string       // human-readable, client-safe explanation
	Reason    string       // machine reason code for logs and events, e.g. "webauthn_origin"
	Fields    []FieldError // for ErrInvalidRequest
	RateLimit *RateLimit   // for ErrRateLimited
	Err       error        // underlying cause, for logs; never shown to clients
}

// Error returns "verify: " and Detail in the house style of Go errors: a
// lowercase first word (unless it is an acronym) and no final period.
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Kind.Error()
	}
	d := strings.TrimSuffix(e.Detail, ".")
	if r, n := utf8.DecodeRuneInString(d); unicode.IsUpper(r) {
		if next, _ := utf8.DecodeRuneInString(d[n:]); !unicode.IsUpper(next) {
			d = string(unicode.ToLower(r)) + d[n:]
		}
	}
	return "verify: " + d
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError is a shorthand for engines: an *Error of the given kind, reason
// code and client-safe detail.
func NewError(kind error, reason, detail string) *Error {
	return &Error{Kind: kind, Reason: reason, Detail: detail}
}

// InvalidField returns an ErrInvalidRequest error about one field.
// field is the dotted name, pointer the JSON pointer, detail the problem.
func InvalidField(field, pointer, detail string) *Error {
	return &Error{
		Kind:   ErrInvalidRequest,
		Reason: "invalid_request",
		Detail: "Invalid request payload input",
		Fields: []FieldError{{Field: field, Pointer: pointer, Detail: detail}},
	}
}

// ReasonOf returns the reason code of err for logs: the Reason of an *Error,
// "internal" for other errors, "" for nil.
func ReasonOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	if Kind(err) == nil {
		return "internal"
	}
	return "unspecified"
}
