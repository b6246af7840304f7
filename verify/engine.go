package verify

import (
	"context"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/store"
)

// Subject is the authenticated user a request acts for, filled by the host
// from its own authentication; verify never parses tokens.
type Subject struct {
	ID       string            // user id, e.g. "auth0|507f1f77bcf86cd799439011"; required
	Name     string            // full name, for WebAuthn displayName and password profile checks
	Email    string            // for password profile checks
	Username string            // for WebAuthn user.name and password profile checks
	Profile  map[string]string // other profile fields by name (e.g. "nickname"), for password checks
}

// Client describes the calling user agent. It never decides whether a
// proof is valid: the passkey engine summarises UserAgent into the
// method's user_agent, the otp engines charge a send budget per IP.
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
	UseExcludeCredentials         *bool  // passkey: list the user's credentials in excludeCredentials; nil: the engine's default (true)
	Mediation                     string // passkey: "conditional" for a passkey upgrade, else empty
}

// VerifyRequest is the body of POST /authentication-methods/{id}/verify
// (an enrollment's proof, Type.Proof) and of POST .../{id}/authenticate and
// POST /passkey/authenticate (a sign-in's proof), transport-free. nil
// means the member was absent. A request carries at most one proof, the
// one its method type takes.
type VerifyRequest struct {
	AuthSession   string
	OTPCode       *string        // totp, email, phone
	AuthnResponse jsontext.Value // passkey, webauthn-platform, webauthn-roaming
	NewPassword   *string        // password enrollment
	RecoveryCode  *string        // recovery-code sign-in
	Password      *string        // password sign-in
}

// Proof returns the member that carries r's proof ("" for none, as
// Type.Proof names them), and whether r carries at most one (a body with
// two proofs is malformed).
func (r *VerifyRequest) Proof() (string, bool) {
	n, p := 0, ""
	for _, m := range []struct {
		present bool
		name    string
	}{
		{r.OTPCode != nil, "otp_code"},
		{r.AuthnResponse != nil, "authn_response"},
		{r.NewPassword != nil, "new_password"},
		{r.RecoveryCode != nil, "recovery_code"},
		{r.Password != nil, "password"},
	} {
		if m.present {
			n, p = n+1, m.name
		}
	}
	return p, n <= 1
}

// Enrollment is a started enrollment: the body of the spec's 202 creation
// responses (PasskeyCreationResponse, QrCodeCreationResponse, …).
type Enrollment struct {
	ID                   string         `json:"id"`
	AuthSession          string         `json:"auth_session"`
	BarcodeURI           string         `json:"barcode_uri,omitempty"`
	ManualInputCode      string         `json:"manual_input_code,omitempty"`
	RecoveryCode         string         `json:"recovery_code,omitempty"`
	AuthnParamsPublicKey jsontext.Value `json:"authn_params_public_key,omitempty"`
	Policy               jsontext.Value `json:"policy,omitempty"`

	Type      Type      `json:"-"`
	ExpiresAt time.Time `json:"-"` // when the auth_session expires
}

// EngineStart is what an engine's Start (an enrollment) or Challenge (a
// sign-in) receives. Request, MethodID and Identity are set for Start
// only; Method and Record (the stored method and its record) for
// Challenge only.
type EngineStart struct {
	// Subject is the user; zero for a usernameless passkey sign-in, when
	// Method and Record are zero too.
	Subject Subject
	Request StartRequest
	Client  Client
	// MethodID is the id the confirmed method will have unless the engine
	// returns its own in Challenge.MethodID.
	MethodID string
	// ExpiresAt is when the auth_session (and so the challenge) expires.
	ExpiresAt time.Time
	// Identity is the identity the enrollment is for (Config.AllowIdentity):
	// the subject's own id, or a linked identity the host approved. Engines
	// use it (IdentityOf), never Request.IdentityUserID.
	Identity string
	Method   Method
	Record   store.Method
}

// IdentityOf returns the identity an enrollment is for: s.Identity, or
// the subject's own id when the service did not set it.
func (s *EngineStart) IdentityOf() string {
	if s.Identity != "" {
		return s.Identity
	}
	return s.Subject.ID
}

// Challenge is what an engine's Start or Challenge returns. PendingID,
// MethodID, BarcodeURI, ManualInputCode, RecoveryCode and Policy are for
// an enrollment only, MatchNumber for a sign-in only.
type Challenge struct {
	// State is sealed into the auth_session (encrypted and authenticated)
	// and handed back to Confirm or Authenticate. Keep it minimal: hashes
	// of codes rather than codes.
	State any
	// PendingID, when set, is the enrollment's id in the creation response
	// and the verify path (e.g. "passkey|new"); by default the method id.
	PendingID string
	// MethodID, when set, replaces EngineStart.MethodID as the id of the
	// confirmed method (e.g. "password|<identity>").
	MethodID string

	BarcodeURI           string
	ManualInputCode      string
	RecoveryCode         string
	AuthnParamsPublicKey jsontext.Value // WebAuthn creation or request options
	Policy               jsontext.Value
	MatchNumber          string // the number a push sign-in with number matching shows
}

// EngineConfirm is what an engine's Confirm or Authenticate receives,
// after the service has opened the auth_session, bound it to the caller,
// the path and the proof kind, and counted the attempt.
type EngineConfirm struct {
	Subject  Subject // zero for a usernameless passkey sign-in
	MethodID string  // Confirm only: the id the confirmed method will get
	// Method and Record (Authenticate only) are the stored method, read
	// after the attempt was counted; zero for a usernameless passkey
	// sign-in, whose engine finds the method by the assertion's credential.
	Method   Method
	Record   store.Method
	State    jsontext.Value // the Challenge.State sealed at the start
	Request  VerifyRequest
	Client   Client
	IssuedAt time.Time // when the auth_session was issued
}

// Confirmation is what an engine's Confirm or Authenticate returns: what
// the service writes, atomically with consuming the auth_session
// (store.Commit for an enrollment, store.SignIn for a sign-in).
type Confirmation struct {
	// Method is the method confirmed or signed in with. For Confirm, ID,
	// Type, Subject, Confirmed, Usage and CreatedAt are filled by the
	// service when left zero. For Authenticate it carries any attribute
	// the check changed (a WebAuthn credential's BackedUp flag); zero
	// means the stored attributes, and the service sets LastAuthAt.
	Method Method
	// Record (Authenticate only) is the method's store record as read: the
	// service writes against Record.Subject, Record.ID and, when Secret is
	// set, Record.Version.
	Record store.Method
	// Secret is engine-private state kept with the method (a TOTP key, a
	// recovery code's keyed hash, a password hash), never serialized to
	// clients; persistent stores encrypt it at rest. At sign-in a non-nil
	// Secret replaces the stored one conditional on Record.Version, so that
	// of concurrent uses of one secret exactly one succeeds.
	Secret []byte
	// CredentialID (Confirm only), when set, must be unique across all
	// users (WebAuthn §7.1 step 26); saving a duplicate fails.
	CredentialID []byte
	// Counter is the method's monotonic counter: the TOTP time step that
	// was matched (RFC 6238 §5.2), or the WebAuthn signature counter. At
	// sign-in, when positive, the store refuses the write unless it is
	// greater than the stored one (a replay or a cloned authenticator).
	Counter int64
	// Replace (Confirm only), when non-zero, replaces the existing method
	// of the same id whose store version is Replace (optimistic
	// concurrency); zero inserts a new method and fails if the id exists.
	Replace      int64
	RecoveryCode string // Authenticate only: shown once in SignIn.RecoveryCode
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
	Challenge(ctx context.Context, req *EngineStart) (*Challenge, error)
	Authenticate(ctx context.Context, req *EngineConfirm) (*Confirmation, error)
}

// AttemptLimiter is implemented by engines whose confirm attempts need
// another limit than Config.MaxAttempts, such as push-notification, whose
// client polls verify until the device has enrolled.
type AttemptLimiter interface {
	MaxAttempts() int
}

// Sealer seals and opens auth_session payloads; *session.Sealer implements
// it. It only encrypts and authenticates bytes: the Service owns the
// payload's JSON.
//
// Seal seals payload into a token that expires ttl from now. Open returns
// the payload of a token Seal made, unchanged, and fails for any other
// token (forged, altered, or sealed under a key it does not hold). For an
// authentic token past its expiry, Open's error implements
// interface{ Expired() bool } returning true (the Service answers
// ErrExpired; ErrInvalidSession for any other failure). A Sealer may check
// expiry before authenticity (as iron does).
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
// may proceed; safe for concurrent use and atomic per key. An error means
// it could not decide, and callers fail closed.
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
	Reason   string // for a failure: the reason code, e.g. "invalid_proof"
	Client   Client
	Internal bool // a failure not the client's fault (an outage), not counted against the user
}
