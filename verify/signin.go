package verify

import (
	"encoding/json"
	"time"

	"github.com/verifykit/verifykit/store"
)

// Sign-in: the contract between the Service and the engines.
//
// A sign-in is a challenge (Service.Challenge → Engine.Challenge) and
// an authentication (Service.Authenticate → Engine.Authenticate),
// mirroring an enrollment's Start and Verify. The Service seals the
// challenge into an auth_session with the sign-in purpose, so that an
// enrollment session never opens as a sign-in session and the reverse; it
// binds, counts attempts and commits the engine's result in one atomic
// store write (store.SignIn), then emits EventSignedIn or EventSignInFailed.

// AuthenticateRequest is the body of
// POST /me/v1/authentication-methods/{id}/authenticate and
// POST /passkey/authenticate, transport-free. A nil pointer or nil raw
// message means the member was absent; exactly one proof is allowed, and
// push-notification takes none.
type AuthenticateRequest struct {
	AuthSession   string
	OTPCode       *string         // totp, email, phone
	RecoveryCode  *string         // recovery-code
	Password      *string         // password
	AuthnResponse json.RawMessage // passkey, webauthn-platform, webauthn-roaming
}

// SignInChallenge is a started sign-in: the body of the challenge answer.
type SignInChallenge struct {
	AuthSession string `json:"auth_session"`
	// AuthnParamsPublicKey holds the WebAuthn request options
	// (PublicKeyCredentialRequestOptionsJSON) of a WebAuthn sign-in.
	AuthnParamsPublicKey json.RawMessage `json:"authn_params_public_key,omitempty"`
	// MatchNumber, for a push sign-in with number matching, is the number
	// to show the user, who picks it on the device (SignInState.MatchNumber).
	MatchNumber string `json:"match_number,omitempty"`

	MethodID  string    `json:"-"` // empty for a usernameless passkey sign-in
	Type      Type      `json:"-"`
	ExpiresAt time.Time `json:"-"` // when the auth_session expires
}

// SignIn is a completed sign-in: who signed in, with which method.
type SignIn struct {
	// Subject is the user id. For a usernameless passkey sign-in it is the
	// owner of the credential the assertion named.
	Subject string
	// Method is the method used, with LastAuthAt set to this sign-in.
	Method Method
	// RecoveryCode, for a recovery-code sign-in, is the code that replaces
	// the one just used: show it to the user once; it is not stored.
	RecoveryCode string
}

// EngineChallenge is what an engine's Challenge receives.
type EngineChallenge struct {
	// Subject is the user signing in; zero for a usernameless passkey
	// sign-in, when Method and Record are zero too.
	Subject Subject
	// Method and Record are the stored method to sign in with: its decoded
	// attributes, and its record (Secret, CredentialID, Counter, Version).
	Method Method
	Record store.Method
	Client Client
	// ExpiresAt is when the auth_session (and so the challenge) expires.
	ExpiresAt time.Time
}

// SignInState is what an engine's Challenge returns.
type SignInState struct {
	// State is sealed into the auth_session and handed back to
	// Authenticate, as Challenge.State is for an enrollment.
	State any
	// AuthnParamsPublicKey is the WebAuthn request options, for WebAuthn.
	AuthnParamsPublicKey json.RawMessage
	// MatchNumber is the number a push sign-in with number matching shows
	// the user; the service copies it into SignInChallenge.MatchNumber.
	MatchNumber string
}

// EngineAuthenticate is what an engine's Authenticate receives, after the
// service has opened the auth_session, bound it to the caller, the path and
// the proof kind, and counted the attempt.
type EngineAuthenticate struct {
	Subject Subject // zero for a usernameless passkey sign-in
	// Method and Record are the stored method, read after the attempt was
	// counted; zero for a usernameless passkey sign-in, whose engine finds
	// the method by the credential id of the assertion.
	Method   Method
	Record   store.Method
	State    json.RawMessage // SignInState.State sealed at the challenge
	Request  AuthenticateRequest
	Client   Client
	IssuedAt time.Time // when the auth_session was issued
}

// Authentication is what an engine's Authenticate returns: a pure check's
// verdict and what the service must write, atomically with consuming the
// auth_session (store.SignIn).
type Authentication struct {
	// Method is the method signed in with, with any attribute the check
	// changed (a WebAuthn credential's BackedUp flag); the service sets
	// LastAuthAt. Record is its store record as read: the service writes
	// against Record.Subject, Record.ID and, when Secret is set,
	// Record.Version.
	Method Method
	Record store.Method
	// Counter, when positive, is the new monotonic counter (the TOTP time
	// step matched, the WebAuthn signature count): the store refuses the
	// write unless it is greater than the stored one (a replay or a
	// cloned authenticator).
	Counter int64
	// Secret, when non-nil, replaces the method's secret (a recovery code's
	// new hash, a rehashed password), conditional on Record.Version, so that
	// of concurrent uses of one secret exactly one succeeds.
	Secret []byte
	// RecoveryCode is shown once in SignIn.RecoveryCode.
	RecoveryCode string
}

// Sign-in event kinds.
const (
	EventSignedIn     EventKind = "signed_in"
	EventSignInFailed EventKind = "sign_in_failed"
)
