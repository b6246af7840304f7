package passkey

import (
	"errors"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/verifykit/verifykit/verify"
)

// creationOptions is authn_params_public_key, the spec's
// PublicKeyCredentialCreationOptions in the JSON form of WebAuthn §5.4
// (binary members base64url), ready for
// PublicKey.parseCreationOptionsFromJSON in the browser.
type creationOptions struct {
	Challenge              string                `json:"challenge"`
	Timeout                int64                 `json:"timeout"`
	RP                     rpEntity              `json:"rp"`
	User                   userEntity            `json:"user"`
	PubKeyCredParams       []credParam           `json:"pubKeyCredParams"`
	ExcludeCredentials     []credDescriptor      `json:"excludeCredentials,omitempty"`
	AuthenticatorSelection authenticatorSelector `json:"authenticatorSelection"`
	Attestation            string                `json:"attestation"`
	// AttestationFormats is sent when an attestation is requested
	// (WebAuthn L3 §5.4: the formats the RP prefers, most preferred first).
	AttestationFormats []string `json:"attestationFormats,omitempty"`
	Hints              []string `json:"hints,omitempty"` // §5.4.8
	// Extensions requests credProps (always) and prf (Config.RequestPRF).
	Extensions *creationExtensions `json:"extensions,omitzero"`
}

type creationExtensions struct {
	CredProps bool      `json:"credProps,omitzero"`
	PRF       *struct{} `json:"prf,omitzero"` // {} when set: omitempty would drop it
}

type rpEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userEntity struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

type credParam struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

type credDescriptor struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// authenticatorSelector is §5.4.4 AuthenticatorSelectionCriteria. The
// spec's schema lists residentKey and userVerification;
// authenticatorAttachment is added for webauthn-platform and
// webauthn-roaming, whose whole point is the attachment.
type authenticatorSelector struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	ResidentKey             string `json:"residentKey,omitempty"`
	UserVerification        string `json:"userVerification"`
}

// sealedState is what Start seals into the auth_session for Confirm:
// everything the ceremony's checks depend on, so that a configuration
// change between start and confirm cannot weaken a ceremony in flight.
type sealedState struct {
	Version     int         `json:"v"`
	Type        verify.Type `json:"t"`
	RPID        string      `json:"rp"`
	Challenge   []byte      `json:"c"`
	UserHandle  []byte      `json:"u"`
	UV          string      `json:"uv"`
	Algs        []int64     `json:"a"`
	Attestation string      `json:"at"`
	Identity    string      `json:"iu"`
	Expires     int64       `json:"exp"` // Unix milliseconds; never zero
	// Formats is the attestationFormats list sent, when attestation was
	// requested: a response in another format is refused.
	Formats []string `json:"af,omitempty"`
	// Conditional is set for a conditional create (a passkey upgrade).
	Conditional bool `json:"cm,omitzero"`
	// Extensions lists the extensions requested, for §7.1 step 28.
	Extensions []string `json:"ext,omitempty"`
}

const stateVersion = 1

var errState = errors.New("passkey: malformed sealed state")

// decodeState strictly decodes a sealed state: one JSON object of
// sealedState's members, names as written, and no other.
func decodeState(raw jsontext.Value) (sealedState, error) {
	var st sealedState
	if err := json.Unmarshal(raw, &st, json.RejectUnknownMembers(true)); err != nil {
		return sealedState{}, errState
	}
	if st.Version != stateVersion || len(st.Challenge) < 16 || len(st.Challenge) > 256 ||
		len(st.UserHandle) == 0 || len(st.UserHandle) > maxUserHandleSize || len(st.Algs) == 0 ||
		!slices.Contains([]string{UVRequired, UVPreferred, UVDiscouraged}, st.UV) || st.RPID == "" {
		return sealedState{}, errState
	}
	return st, nil
}
