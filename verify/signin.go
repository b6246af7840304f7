package verify

import (
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// SignInChallenge is a started sign-in: the body of the challenge answer.
type SignInChallenge struct {
	AuthSession string `json:"auth_session"`
	// AuthnParamsPublicKey holds the WebAuthn request options
	// (PublicKeyCredentialRequestOptionsJSON) of a WebAuthn sign-in.
	AuthnParamsPublicKey jsontext.Value `json:"authn_params_public_key,omitempty"`
	// MatchNumber, for a push sign-in with number matching, is the number
	// to show the user, who picks it on the device (Challenge.MatchNumber).
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

// Sign-in event kinds.
const (
	EventSignedIn     EventKind = "signed_in"
	EventSignInFailed EventKind = "sign_in_failed"
)
