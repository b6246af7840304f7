package verify

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/go-json-experiment/json"
)

// Method is a confirmed authentication method of one user.
//
// Its JSON form (MarshalJSON) is exactly the spec's per-type schema
// (AuthenticationMethodPassword, AuthenticationMethodPasskey,
// AuthenticationMethodMfaTotp, …): the fields that schema lists for the
// method's type and no other, optional ones omitted when empty, times in
// RFC 3339 UTC with milliseconds.
type Method struct {
	ID        string    // e.g. "totp|dev_Xq3…"; used verbatim in URLs
	Type      Type      // method type
	Subject   string    // the owning user's id; never on the wire
	Confirmed bool      // always true for a stored method
	Name      string    // friendly name (spec "name"), set by PATCH or the engine
	Usage     []Usage   // primary and/or secondary
	CreatedAt time.Time // when the enrollment was confirmed
	// LastAuthAt is when the method was last used to sign in; zero if never.
	LastAuthAt time.Time

	// PhoneNumber is the E.164 destination of a phone method.
	PhoneNumber string
	// PreferredAuthenticationMethod is "sms" or "voice" for a phone method.
	PreferredAuthenticationMethod string
	// Email is the address of an email method.
	Email string

	// IdentityUserID is the identity a password or passkey belongs to.
	IdentityUserID string
	// LastPasswordReset is when a password method's password was last set.
	LastPasswordReset time.Time

	// WebAuthn holds the credential of a passkey, webauthn-platform or
	// webauthn-roaming method; nil for the other types.
	WebAuthn *WebAuthnCredential
}

// WebAuthnCredential is the credential record of WebAuthn §7.1 step 27,
// with what the spec exposes and what later sign-ins need.
type WebAuthnCredential struct {
	CredentialID   []byte   // spec key_id (base64url on the wire)
	PublicKey      []byte   // COSE_Key; spec public_key (base64url on the wire)
	BackupEligible bool     // BE flag; spec credential_device_type multi_device iff set
	BackedUp       bool     // BS flag; spec credential_backed_up
	Transports     []string // as reported by the client, de-duplicated
	UserAgent      string   // summary such as "Chrome 131.0.0 / Mac OS X 10.15.7"
	UserHandle     []byte   // the WebAuthn user.id; spec user_handle (base64url)
	AAGUID         string   // UUID string; unauthenticated unless attestation was verified
	RelyingPartyID string   // RP ID the credential is scoped to

	SignCount         uint32 // signature counter at registration
	UserVerified      bool   // UV flag at registration
	AttestationFormat string // "none", "packed", "tpm", …
	AttestationType   string // "None", "Self", "Basic", "AttCA", "AnonCA"
	Algorithm         int64  // COSE algorithm of PublicKey

	// CredPropsRK and PRFEnabled are what the client reported at creation
	// in the credProps.rk and prf.enabled extension outputs (nil: not
	// reported). They are unsigned, so hints for the host only; the HTTP
	// bodies do not carry them.
	CredPropsRK *bool
	PRFEnabled  *bool
}

// DeviceType returns the spec's credential_device_type.
func (c *WebAuthnCredential) DeviceType() string {
	if c.BackupEligible {
		return "multi_device"
	}
	return "single_device"
}

// timestamp formats a time the way the spec's date-time fields are written:
// RFC 3339 in UTC with exactly three fractional digits.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

var b64 = base64.RawURLEncoding

// wireMethod is the union of the spec's per-type fields in the order of the
// spec's examples; MarshalJSON fills only those of the method's type.
type wireMethod struct {
	ID                            string   `json:"id"`
	Type                          Type     `json:"type"`
	Confirmed                     *bool    `json:"confirmed,omitempty"`
	Name                          string   `json:"name,omitempty"`
	Email                         string   `json:"email,omitempty"`
	PhoneNumber                   string   `json:"phone_number,omitempty"`
	PreferredAuthenticationMethod string   `json:"preferred_authentication_method,omitempty"`
	CredentialDeviceType          string   `json:"credential_device_type,omitempty"`
	CredentialBackedUp            *bool    `json:"credential_backed_up,omitempty"`
	IdentityUserID                string   `json:"identity_user_id,omitempty"`
	KeyID                         string   `json:"key_id,omitempty"`
	PublicKey                     string   `json:"public_key,omitempty"`
	Transports                    []string `json:"transports,omitempty"`
	UserAgent                     string   `json:"user_agent,omitempty"`
	UserHandle                    string   `json:"user_handle,omitempty"`
	AAGUID                        string   `json:"aaguid,omitempty"`
	RelyingPartyID                string   `json:"relying_party_id,omitempty"`
	LastPasswordReset             string   `json:"last_password_reset,omitempty"`
	Usage                         []Usage  `json:"usage"`
	CreatedAt                     string   `json:"created_at"`
	LastAuthAt                    string   `json:"last_auth_at,omitempty"`
}

// MarshalJSON writes m in the spec's schema for m.Type.
func (m Method) MarshalJSON() ([]byte, error) {
	if !m.Type.Valid() {
		return nil, fmt.Errorf("verify: cannot marshal method of unknown type %q", m.Type)
	}
	w := wireMethod{ID: m.ID, Type: m.Type, Usage: m.Usage, CreatedAt: timestamp(m.CreatedAt)}
	if w.Usage == nil {
		w.Usage = []Usage{}
	}
	if !m.LastAuthAt.IsZero() && m.Type != TypePassword {
		w.LastAuthAt = timestamp(m.LastAuthAt)
	}
	// Every type but password and passkey is an AuthenticationMethodMfaBase,
	// which requires "confirmed"; all of those but recovery-code have "name".
	if m.Type != TypePassword && m.Type != TypePasskey {
		confirmed := m.Confirmed
		w.Confirmed = &confirmed
		if m.Type != TypeRecoveryCode {
			w.Name = m.Name
		}
	}
	switch m.Type {
	case TypePassword:
		w.IdentityUserID = m.IdentityUserID
		if !m.LastPasswordReset.IsZero() {
			w.LastPasswordReset = timestamp(m.LastPasswordReset)
		}
	case TypePhone:
		w.PhoneNumber = m.PhoneNumber
		w.PreferredAuthenticationMethod = m.PreferredAuthenticationMethod
	case TypeEmail:
		w.Email = m.Email
	case TypePasskey, TypeWebAuthnPlatform, TypeWebAuthnRoaming:
		c := m.WebAuthn
		if c == nil {
			return nil, fmt.Errorf("verify: %s method %q has no credential", m.Type, m.ID)
		}
		w.KeyID = b64.EncodeToString(c.CredentialID)
		w.PublicKey = b64.EncodeToString(c.PublicKey)
		if m.Type == TypePasskey {
			backedUp := c.BackedUp
			w.CredentialBackedUp = &backedUp
			w.CredentialDeviceType = c.DeviceType()
			w.IdentityUserID = m.IdentityUserID
			w.Transports = c.Transports
			w.UserAgent = c.UserAgent
			w.UserHandle = b64.EncodeToString(c.UserHandle)
			w.AAGUID = c.AAGUID
			w.RelyingPartyID = c.RelyingPartyID
		}
	}
	return json.Marshal(w)
}
