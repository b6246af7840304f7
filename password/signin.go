package password

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"

	"github.com/verifykit/verifykit/verify"
)

var _ verify.Engine = (*Engine)(nil)

// detailWrongPassword is the client-facing text of every sign-in failure
// on the proof: a wrong password and an unknown method read alike.
const detailWrongPassword = "The password is invalid"

// wrongPassword is the error of a sign-in whose password does not verify;
// it matches verify.ErrInvalidProof and ErrMismatch.
func wrongPassword(reason string) error {
	return &verify.Error{Kind: verify.ErrInvalidProof, Reason: reason, Detail: detailWrongPassword, Err: ErrMismatch}
}

// Challenge implements verify.Engine: a password sign-in has nothing
// to send, and its state is empty. It reads nothing, so a challenge for a
// method that does not exist takes the same time.
func (e *Engine) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	return &verify.Challenge{}, nil
}

// Authenticate implements verify.Engine: it checks the password
// against the hash of req.Record, NFKC-normalised, in every format
// Hasher.Compare reads (bcrypt, argon2id, argon2i, PBKDF2, scrypt: imported
// hashes keep working), under the hasher's concurrency cap. After a match
// with a hash that Hasher.NeedsRehash finds outdated, it returns a new
// hash at the hasher's parameters in Confirmation.Secret (the Secret
// encoding, with the history unchanged: the password is still the current
// one), which the service writes conditional on Record.Version: a
// concurrent password change wins and the sign-in fails with the store's
// conflict (SECURITY-CHECKLIST PW-11, SI-08). A password the hasher cannot
// hash (longer than bcrypt's 72 bytes, verified against an imported
// argon2 hash) keeps its hash.
//
// Unknown method: when req.Record is not a password method of req.Subject
// (the zero Record: the service passes it when the method does not exist),
// Authenticate compares the password with a dummy hash at the hasher's own
// parameters, the work of a real comparison, and fails as a wrong password
// does, so neither the time nor the answer tells whether the method exists
// (SI-08).
//
// Errors: verify.ErrInvalidRequest without password; verify.ErrInvalidProof,
// also matching ErrMismatch, for a wrong password ("password_mismatch") or
// an unknown method ("password_unknown_method"), with one client message;
// an internal error for a corrupt stored secret or hash (ErrMalformedHash,
// ErrHashTooCostly), a failed rehash, or ctx ending while waiting for the
// hasher. Attempts are limited by the service per auth_session and by its
// per-user limiter (PW-10).
func (e *Engine) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if req.Request.Password == nil {
		return nil, verify.InvalidField("password", "/password", "password is required")
	}
	pw := *req.Request.Password
	rec := &req.Record
	if rec.ID == "" || req.Subject.ID == "" || rec.Subject != req.Subject.ID || rec.Type != string(verify.TypePassword) {
		err := e.hasher.Compare(ctx, dummyHash(e.hasher), pw)
		if err != nil && !errors.Is(err, ErrMismatch) {
			return nil, fmt.Errorf("password: dummy compare: %w", err)
		}
		return nil, wrongPassword("password_unknown_method")
	}
	sec, err := DecodeSecret(rec.Secret)
	if err != nil {
		return nil, fmt.Errorf("password: method %q: %w", rec.ID, err)
	}
	switch err := e.hasher.Compare(ctx, sec.Hash, pw); {
	case err == nil:
	case errors.Is(err, ErrMismatch):
		return nil, wrongPassword("password_mismatch")
	default:
		return nil, fmt.Errorf("password: method %q: compare: %w", rec.ID, err)
	}
	a := &verify.Confirmation{Method: req.Method, Record: req.Record}
	if !e.hasher.NeedsRehash(sec.Hash) {
		return a, nil
	}
	if rec.Version < 1 {
		// Without a version the new hash would not be written conditionally.
		return nil, fmt.Errorf("password: method %q has no version", rec.ID)
	}
	h, err := e.hasher.Hash(ctx, pw)
	switch {
	case errors.Is(err, ErrPasswordTooLong):
		return a, nil
	case err != nil:
		return nil, fmt.Errorf("password: rehash: %w", err)
	}
	sec.Hash = h
	if a.Secret, err = sec.Encode(); err != nil {
		return nil, err
	}
	return a, nil
}

// The salt, digest and bcrypt tail of the dummy hashes: fixed, since only
// the cost of comparing with them matters. dummyBcryptTail is the salt and
// digest of a real bcrypt hash.
const (
	dummySalt       = "dmVyaWZ5a2l0LWR1bW15IQ"                      // "verifykit-dummy!", 16 bytes
	dummyDigest     = "dmVyaWZ5a2l0OiB1bmtub3duLW1ldGhvZCBkdW1teSE" // "verifykit: unknown-method dummy!", 32 bytes
	dummyBcryptTail = "M95gmnEU48hqguc8Ab0PluOJrlIBTmtb5f7GGhsLvZxfCAo8Dq19u"
)

// dummyHash returns a hash no password matches at h's parameters for new
// hashes: an argon2id PHC string with h's m, t and p and a 32-byte tag, or
// a bcrypt hash of h's cost. Comparing with it costs what comparing with a
// hash h made costs.
func dummyHash(h *Hasher) string {
	if h.alg == Bcrypt {
		return fmt.Sprintf("$2a$%02d$%s", h.cost, dummyBcryptTail)
	}
	a := h.argon
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.Memory, a.Time, a.Threads, dummySalt, dummyDigest)
}
