package verify

import "fmt"

// Type is an authentication method type, spelled as on the wire
// (the spec's FactorTypeEnum).
type Type string

// The nine authentication method types of the My Account API.
const (
	TypePassword         Type = "password"
	TypePasskey          Type = "passkey"
	TypeWebAuthnPlatform Type = "webauthn-platform"
	TypeWebAuthnRoaming  Type = "webauthn-roaming"
	TypeTOTP             Type = "totp"
	TypePhone            Type = "phone"
	TypeEmail            Type = "email"
	TypePushNotification Type = "push-notification"
	TypeRecoveryCode     Type = "recovery-code"
)

// Types lists every method type in the spec's FactorTypeEnum order.
var Types = [...]Type{
	TypePassword, TypePasskey, TypeWebAuthnPlatform, TypeWebAuthnRoaming,
	TypeTOTP, TypePhone, TypeEmail, TypePushNotification, TypeRecoveryCode,
}

// TypeNames are the names of Types, in the same order: the strings a
// decoder compares a type member with.
var TypeNames = func() (names [len(Types)]string) {
	for i, t := range Types {
		names[i] = string(t)
	}
	return names
}()

// Valid reports whether t is one of the nine method types.
func (t Type) Valid() bool {
	for _, v := range Types {
		if t == v {
			return true
		}
	}
	return false
}

// ParseType returns the Type spelled s, or an error naming s.
func ParseType(s string) (Type, error) {
	if t := Type(s); t.Valid() {
		return t, nil
	}
	return "", fmt.Errorf("verify: unknown method type %q", s)
}

// Proof is the kind of proof a confirm request carries, which follows from
// the method type (spec: VerifyAuthenticationMethodRequestContent).
type Proof int

const (
	// ProofNone: only the auth_session (push-notification, recovery-code).
	ProofNone Proof = iota
	// ProofOTPCode: otp_code (totp, phone, email).
	ProofOTPCode
	// ProofAuthnResponse: authn_response (passkey, webauthn-platform, webauthn-roaming).
	ProofAuthnResponse
	// ProofNewPassword: new_password (password).
	ProofNewPassword
)

// Proof returns the kind of proof a confirm of type t must carry.
func (t Type) Proof() Proof {
	switch t {
	case TypeTOTP, TypePhone, TypeEmail:
		return ProofOTPCode
	case TypePasskey, TypeWebAuthnPlatform, TypeWebAuthnRoaming:
		return ProofAuthnResponse
	case TypePassword:
		return ProofNewPassword
	default:
		return ProofNone
	}
}

// WebAuthn reports whether t is one of the three WebAuthn types.
func (t Type) WebAuthn() bool { return t.Proof() == ProofAuthnResponse }

// Usage says whether a method is a primary or a secondary factor.
type Usage string

// The spec's UsageEnum.
const (
	UsagePrimary   Usage = "primary"
	UsageSecondary Usage = "secondary"
)

// DefaultUsage is the usage a confirmed method of type t gets: password and
// passkey are primary (they sign a user in), every other type is secondary.
func (t Type) DefaultUsage() []Usage {
	if t == TypePassword || t == TypePasskey {
		return []Usage{UsagePrimary}
	}
	return []Usage{UsageSecondary}
}
