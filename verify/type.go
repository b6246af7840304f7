package verify

import "slices"

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

var types = [...]Type{
	TypePassword, TypePasskey, TypeWebAuthnPlatform, TypeWebAuthnRoaming,
	TypeTOTP, TypePhone, TypeEmail, TypePushNotification, TypeRecoveryCode,
}

// Types returns every method type in the spec's FactorTypeEnum order, in
// a new slice.
func Types() []Type { return slices.Clone(types[:]) }

// Valid reports whether t is one of the nine method types.
func (t Type) Valid() bool { return slices.Contains(types[:], t) }

// Proof returns the request member that carries the proof of a confirm
// of type t (spec: VerifyAuthenticationMethodRequestContent): "otp_code"
// for totp, phone and email, "authn_response" for the WebAuthn types,
// "new_password" for password, and "" for push-notification and
// recovery-code, which take only the auth_session.
func (t Type) Proof() string {
	switch t {
	case TypeTOTP, TypePhone, TypeEmail:
		return "otp_code"
	case TypePasskey, TypeWebAuthnPlatform, TypeWebAuthnRoaming:
		return "authn_response"
	case TypePassword:
		return "new_password"
	default:
		return ""
	}
}

// WebAuthn reports whether t is one of the three WebAuthn types.
func (t Type) WebAuthn() bool { return t.Proof() == "authn_response" }

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
