package verify

import (
	"context"
	"encoding/json"
	"time"
)

// Subject is the authenticated user a request acts for. The host server
// fills it from its own authentication (an access token, a session cookie);
// verify never parses tokens itself.
type Subject struct {
	ID       string // user id, e.g. "auth0|507f1f77bcf86cd799439011"; required
	Name     string // full name, for WebAuthn displayName and password profile checks
	Email    string // for password profile checks
	Username string // for WebAuthn user.name and password profile checks
	// Profile holds other profile fields by name (e.g. "nickname"), for the
	// password engine's profile-data rule.
	Profile map[string]string
}

// Client describes the calling user agent. It never decides whether a
// proof is valid (origins come from configuration); the passkey engine
// summarises UserAgent into the method's user_agent, and the otp engines
// charge a send budget per IP (across accounts, against SMS pumping).
type Client struct {
	UserAgent string
	IP        string
}

// StartRequest is the body of POST /authentication-methods, transport-free.
type StartRequest struct {
	Type                          Type
	Email                         string // email
	PhoneNumber                   string // phone
	PreferredAuthenticationMethod string // phone: "sms" (default) or "voice"
	Connection                    string // password, passkey: database connection name
	IdentityUserID                string // password, passkey: linked identity
	// UseExcludeCredentials (passkey) lists the user's credentials in
	// excludeCredentials; nil means the engine's default (true).
	UseExcludeCredentials *bool
	// Mediation (passkey) is "conditional" for a passkey upgrade, a
	// conditional create; empty for an ordinary start.
	Mediation string
}

// VerifyRequest is the body of POST /authentication-methods/{id}/verify.
// A nil pointer or nil raw message means the field was absent.
type VerifyRequest struct {
	AuthSession   string
	OTPCode       *string
	AuthnResponse json.RawMessage
	NewPassword   *string
}

// Proof returns the kind of proof r carries, and whether it carries exactly
// one (a body with two proofs is malformed).
func (r *VerifyRequest) Proof() (Proof, bool) {
	n, p := 0, ProofNone
	if r.OTPCode != nil {
		n, p = n+1, ProofOTPCode
	}
	if r.AuthnResponse != nil {
		n, p = n+1, ProofAuthnResponse
	}
	if r.NewPassword != nil {
		n, p = n+1, ProofNewPassword
	}
	return p, n <= 1
}

// Enrollment is a started enrollment: the body of the spec's 202 creation
// responses (PasskeyCreationResponse, QrCodeCreationResponse, …).
type Enrollment struct {
	ID                   string          `json:"id"`
	AuthSession          string          `json:"auth_session"`
	BarcodeURI           string          `json:"barcode_uri,omitempty"`
	ManualInputCode      string          `json:"manual_input_code,omitempty"`
	RecoveryCode         string          `json:"recovery_code,omitempty"`
	AuthnParamsPublicKey json.RawMessage `json:"authn_params_public_key,omitempty"`
	Policy               json.RawMessage `json:"policy,omitempty"`

	Type      Type      `json:"-"`
	ExpiresAt time.Time `json:"-"` // when the auth_session expires
}

// EngineStart is what an engine's Start receives.
type EngineStart struct {
	Subject Subject
	Request StartRequest
	Client  Client
	// MethodID is the id the confirmed method will have unless the engine
	// returns its own in Challenge.MethodID.
	MethodID string
	// ExpiresAt is when the auth_session (and so the challenge) expires.
	ExpiresAt time.Time
	// Identity is the identity the enrollment is for, decided by the
	// service's one rule (Config.AllowIdentity): the subject's own id, or
	// a linked identity the host approved. Engines use it, never
	// Request.IdentityUserID; empty (an engine called outside a Service)
	// means Subject.ID.
	Identity string
}

// IdentityOf returns the identity an enrollment is for: s.Identity, or
// the subject's own id when the service did not set it.
func (s *EngineStart) IdentityOf() string {
	if s.Identity != "" {
		return s.Identity
	}
	return s.Subject.ID
}

// Challenge is what an engine's Start returns.
type Challenge struct {
	// State is sealed into the auth_session and handed back to Confirm.
	// It is encrypted and authenticated, but keep it minimal: hashes of
	// codes rather than codes.
	State any
	// PendingID, when set, is the id of the enrollment in the creation
	// response and the verify path (e.g. "passkey|new"); by default it is
	// the method id.
	PendingID string
	// MethodID, when set, replaces EngineStart.MethodID as the id of the
	// confirmed method (e.g. "password|<identity>").
	MethodID string

	BarcodeURI           string
	ManualInputCode      string
	RecoveryCode         string
	AuthnParamsPublicKey json.RawMessage
	Policy               json.RawMessage
}

// EngineConfirm is what an engine's Confirm receives, after the service
// has opened the auth_session, bound it to the caller, the path and the
// proof kind, and counted the attempt.
type EngineConfirm struct {
	Subject  Subject
	MethodID string          // id the confirmed method will get
	State    json.RawMessage // the Challenge.State sealed at start
	Request  VerifyRequest
	Client   Client
	IssuedAt time.Time // when the auth_session was issued
}

// Confirmation is what an engine's Confirm returns: the method to save and
// what must be stored with it, written atomically with consuming the
// auth_session.
type Confirmation struct {
	// Method is the confirmed method. ID, Type, Subject, Confirmed, Usage
	// and CreatedAt are filled by the service when left zero.
	Method Method
	// Secret is engine-private state kept with the method (a TOTP key, a
	// keyed hash of a recovery code, a password hash and its history). It
	// is never serialized to clients; persistent stores encrypt it at rest.
	Secret []byte
	// CredentialID, when set, must be unique across all users
	// (WebAuthn §7.1 step 26); saving a duplicate fails.
	CredentialID []byte
	// Counter is the method's initial monotonic counter: the TOTP time step
	// that was matched (RFC 6238 §5.2), or the WebAuthn signature counter.
	Counter int64
	// Replace, when non-zero, replaces the existing method of the same id
	// whose store version is Replace (optimistic concurrency); zero inserts
	// a new method and fails if the id exists.
	Replace int64
}

// Engine implements one method type: its enrollment (Start, Confirm) and
// its sign-in (Challenge, Authenticate).
//
// Start and Challenge create a challenge and may have side effects
// (sending a code, a push notification). Confirm and Authenticate perform
// pure checks and reads only: the service writes their result in one
// atomic store operation. All four return *Error values for client
// mistakes and wrap any other failure with %w.
type Engine interface {
	Type() Type
	Start(ctx context.Context, req *EngineStart) (*Challenge, error)
	Confirm(ctx context.Context, req *EngineConfirm) (*Confirmation, error)
	Challenge(ctx context.Context, req *EngineChallenge) (*SignInState, error)
	Authenticate(ctx context.Context, req *EngineAuthenticate) (*Authentication, error)
}

// AttemptLimiter is implemented by engines whose confirm attempts need
// another limit than Config.MaxAttempts, such as push-notification, whose
// client polls verify until the device has enrolled.
type AttemptLimiter interface {
	MaxAttempts() int
}

// Sealer seals and opens auth_session payloads; *session.Sealer implements
// it. The Service owns the payload's JSON: it encodes the payload, and it
// decodes what Open returns once, strictly; a Sealer only encrypts and
// authenticates bytes.
//
// Seal seals payload, as it is, into a token that expires ttl from now.
// Open returns the payload of a token Seal made, unchanged, and fails for
// any token it did not seal (forged, altered, or sealed under a key it does
// not hold). For an authentic token past its expiry, Open's error
// implements interface{ Expired() bool } returning true; the Service
// answers ErrExpired for it, and ErrInvalidSession for any other failure. A
// Sealer may check expiry before authenticity (as iron does): either way
// the token is refused.
type Sealer interface {
	Seal(payload []byte, ttl time.Duration) (string, error)
	Open(token string) ([]byte, error)
}

// Limit is a rate-limit rule: at most Requests per Window.
type Limit struct {
	Requests int
	Window   time.Duration
}

// Limiter is a rate limiter keyed by string (a user, a destination, an IP).
// Allow records one request against key under limit and says whether it
// may proceed. Implementations must be safe for concurrent use and atomic
// per key; an error means the limiter could not decide, and callers fail
// closed.
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (RateLimit, error)
}

// Observer receives enrollment events. Observe must not block for long and
// must not retain secrets: events carry none.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// EventKind names what happened.
type EventKind string

// Event kinds.
const (
	EventStarted   EventKind = "enrollment_started"
	EventConfirmed EventKind = "enrollment_confirmed"
	EventFailed    EventKind = "enrollment_failed"
	EventDeleted   EventKind = "method_deleted"
	EventUpdated   EventKind = "method_updated"
)

// Event is one audit event. It never carries a code, secret, password,
// challenge or auth_session.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Subject  string // user id
	Type     Type
	MethodID string
	Reason   string // for EventFailed: the reason code, e.g. "invalid_proof"
	Client   Client
	// Internal is true when the failure was not the client's fault (a store
	// outage); such failures are not counted against the user.
	Internal bool
}
