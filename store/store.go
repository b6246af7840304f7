// Package store defines the storage verifykit needs to stay correct across
// requests and processes, as small interfaces with sentinel errors.
//
// Pending enrollments are not stored: their state travels sealed in the
// auth_session. What is stored is what must be shared and durable: the
// attempts made on, and the consumption of, each auth_session (by its
// session id), the confirmed methods with their engine secrets, and the
// per-engine facts of the optional interfaces (push device enrollment).
//
// # Implementations
//
// store/memory keeps everything in process; store/sqlstore keeps it in
// PostgreSQL or SQLite so that many server processes share it. Every
// implementation must pass store/storetest.Run, under -race.
//
// # Atomicity
//
// Four operations carry the security of verifykit and must be atomic in
// the implementation (a mutex, a transaction, a conditional update), never
// a read followed by a write in Go:
//   - Store.Attempt counts an attempt and reports the new count;
//   - Methods.Commit consumes a session and saves a method, both or neither;
//   - Methods.SignIn consumes a session and updates a method, both or
//     neither, and moves its counter forward only;
//   - Methods.DeletePrimary deletes a method unless it would leave its
//     subject without a primary method.
//
// # Time
//
// Expiry is evaluated with the clock the implementation is configured with
// (Config.Now), never the database server's clock, so that the library and
// the store agree on when a session has expired.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations return them (possibly wrapped) so that
// errors.Is holds; any other error is an outage.
var (
	// ErrNotFound: no such method for this subject, or no such record.
	ErrNotFound = errors.New("store: not found")
	// ErrConsumed: the session was already consumed.
	ErrConsumed = errors.New("store: session already consumed")
	// ErrExists: a method with this id exists already.
	ErrExists = errors.New("store: method already exists")
	// ErrDuplicateCredential: the credential id is registered already, to
	// this or another subject (WebAuthn §7.1 step 26).
	ErrDuplicateCredential = errors.New("store: credential already registered")
	// ErrConflict: the record changed since it was read (version mismatch).
	ErrConflict = errors.New("store: version conflict")
	// ErrFull: a bounded store has no room left for unexpired records.
	ErrFull = errors.New("store: full")
	// ErrLimit: the subject already has Commit.MaxMethods methods.
	ErrLimit = errors.New("store: too many methods")
	// ErrLastPrimary: DeletePrimary would leave the subject without a
	// primary method.
	ErrLastPrimary = errors.New("store: last primary method")
)

// Method is a confirmed authentication method as persisted.
type Method struct {
	ID        string
	Subject   string
	Type      string
	CreatedAt time.Time
	// Attrs is the method's attributes, JSON-encoded by package verify.
	Attrs []byte
	// Secret is engine-private state (a TOTP key, a keyed hash, a password
	// hash). Persistent stores encrypt it at rest.
	Secret []byte
	// CredentialID, when non-empty, is unique across all subjects.
	CredentialID []byte
	// Counter is a monotonic counter: TOTP's last accepted time step, or a
	// WebAuthn signature counter.
	Counter int64
	// Version is set by the store: 1 when inserted, incremented on every
	// update. Callers pass it back for optimistic concurrency.
	Version int64
}

// Commit is the single write of a successful confirm.
type Commit struct {
	// SessionID is consumed: a second Commit with it fails with ErrConsumed.
	SessionID string
	// SessionExpires is when the session expires; the consumption record
	// may be purged after it.
	SessionExpires time.Time
	// Method is saved. With Replace zero it is inserted and the commit
	// fails with ErrExists if its id exists for any subject; otherwise it
	// replaces the method whose Version is Replace (ErrConflict if the
	// version differs, ErrNotFound if there is none).
	Method  Method
	Replace int64
	// MaxMethods, when positive, bounds the methods of Method.Subject: an
	// insert (Replace zero) fails with ErrLimit, consuming nothing, if the
	// subject already has MaxMethods methods. The count and the insert are
	// atomic: concurrent commits for one subject never exceed the bound.
	MaxMethods int
}

// Methods stores confirmed authentication methods.
type Methods interface {
	// Commit consumes c.SessionID and saves c.Method atomically: both
	// happen or neither. Of concurrent commits of one session exactly one
	// succeeds; the others fail with ErrConsumed. A method whose
	// CredentialID is registered already fails with ErrDuplicateCredential
	// and consumes nothing.
	Commit(ctx context.Context, c Commit) error
	// Get returns the method id of subject, or ErrNotFound (also when the
	// method belongs to another subject).
	Get(ctx context.Context, subject, id string) (Method, error)
	// List returns subject's methods, oldest first.
	List(ctx context.Context, subject string) ([]Method, error)
	// ByCredentialID returns the method with this WebAuthn credential id,
	// whoever owns it, or ErrNotFound.
	ByCredentialID(ctx context.Context, credentialID []byte) (Method, error)
	// Update replaces the Attrs and Secret of the method m.ID of m.Subject
	// if its version is m.Version, and returns it with its new version.
	Update(ctx context.Context, m Method) (Method, error)
	// Delete removes the method id of subject, or fails with ErrNotFound.
	Delete(ctx context.Context, subject, id string) error
	// DeletePrimary removes the method id of subject, as Delete does,
	// unless no method of subject other than id has an id in primaries
	// (the ids of the subject's primary methods, as the caller read
	// them): then it fails with ErrLastPrimary and deletes nothing
	// (ErrNotFound takes precedence). The check and the delete are atomic
	// for the subject: concurrent DeletePrimary calls run as if one after
	// another, so together they never delete every method of primaries.
	// A method enrolled after the caller's read is not counted: the guard
	// errs towards refusing.
	DeletePrimary(ctx context.Context, subject, id string, primaries []string) error
	// SignIn consumes s.SessionID and updates the method s.MethodID of
	// s.Subject atomically: both happen or neither. It returns the method
	// as stored after the write, its version incremented. It fails, and
	// writes nothing, with ErrConsumed if the session was consumed (by
	// Commit or SignIn), else ErrNotFound if the method does not exist for
	// s.Subject, else ErrConflict if s.Version is non-zero and not the
	// stored version, else ErrStale if s.Counter is positive and not
	// greater than the stored counter. Of concurrent sign-ins with one
	// session, or at one Version, or to one Counter, exactly one succeeds.
	SignIn(ctx context.Context, s SignIn) (Method, error)
}

// Store is the storage a verify.Service needs: the methods, and what
// happens to auth_sessions.
type Store interface {
	Methods
	// Attempt atomically records one attempt on session sid, which expires
	// at expires, and returns the number of attempts made on it so far,
	// this one included. It fails with ErrConsumed if sid was consumed.
	// The count is forgotten once the session has expired.
	Attempt(ctx context.Context, sid string, expires time.Time) (int, error)
}

// Purger is implemented by stores that keep expired records until asked:
// Purge deletes every record that has expired and reports how many.
type Purger interface {
	Purge(ctx context.Context) (int, error)
}

// AttemptRefunder is implemented by stores that can give an attempt back.
// verify.Service refunds the attempt of a confirm that failed on an
// outage (a store or engine error, a cancelled request) rather than on
// the proof, so that outages do not void a user's session. RefundAttempt
// decrements the attempt count of session sid if it is live, not consumed
// and above zero; otherwise it does nothing and returns nil.
type AttemptRefunder interface {
	RefundAttempt(ctx context.Context, sid string) error
}

// ErrStale: a sign-in's counter is not greater than the stored one (a
// replayed TOTP step or WebAuthn signature counter).
var ErrStale = errors.New("store: counter not advanced")

// SignIn is the single write of a successful sign-in (Methods.SignIn).
type SignIn struct {
	// SessionID is consumed, as by Commit: a second SignIn or Commit with it
	// fails with ErrConsumed.
	SessionID      string
	SessionExpires time.Time
	// Subject and MethodID name the method signed in with (ErrNotFound if
	// it no longer exists; nothing is consumed then).
	Subject  string
	MethodID string
	// Version, when non-zero, makes the write conditional on the method's
	// stored version (ErrConflict otherwise). Set with Secret: of concurrent
	// uses of one recovery code exactly one succeeds.
	Version int64
	// Counter, when positive, must be greater than the stored counter
	// (ErrStale otherwise, consuming nothing) and replaces it.
	Counter int64
	// Attrs, when non-nil, replace the method's attributes (last_auth_at,
	// a WebAuthn credential's backup state).
	Attrs []byte
	// Secret, when non-nil, replaces the method's secret.
	Secret []byte
}
