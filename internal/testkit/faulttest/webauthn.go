package faulttest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/fxamacker/cbor/v2"
)

var b64url = base64.RawURLEncoding

// Authenticator is a software WebAuthn authenticator making ES256
// credentials with "none" attestation, flags UP|UV|AT: what a platform
// authenticator returns to a relying party that asks for no attestation.
type Authenticator struct {
	key    *ecdsa.PrivateKey
	credID []byte
}

// NewAuthenticator returns an authenticator with a fresh key and a fresh
// 32-byte credential id.
func NewAuthenticator() (*Authenticator, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{key: k, credID: make([]byte, 32)}
	if _, err := rand.Read(a.credID); err != nil {
		return nil, err
	}
	return a, nil
}

// CredentialID returns the authenticator's credential id.
func (a *Authenticator) CredentialID() []byte { return bytes.Clone(a.credID) }

var ctap2 = func() cbor.EncMode {
	m, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// Register answers the creation options (the spec's
// authn_params_public_key) as a browser in origin would: the returned
// JSON is an authn_response (WebAuthn's RegistrationResponseJSON).
func (a *Authenticator) Register(options jsontext.Value, origin string) (jsontext.Value, error) {
	var o struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		AuthenticatorSelection struct {
			AuthenticatorAttachment string `json:"authenticatorAttachment"`
		} `json:"authenticatorSelection"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("faulttest: creation options: %w", err)
	}
	if o.Challenge == "" || o.RP.ID == "" {
		return nil, errors.New("faulttest: creation options without challenge or rp.id")
	}
	cdj, err := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{"webauthn.create", o.Challenge, origin, false})
	if err != nil {
		return nil, err
	}
	pt, err := a.key.PublicKey.Bytes() // 0x04 ‖ x ‖ y on P-256
	if err != nil {
		return nil, err
	}
	cose, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pt[1:33], -3: pt[33:65]})
	if err != nil {
		return nil, err
	}
	rpHash := sha256.Sum256([]byte(o.RP.ID))
	var ad bytes.Buffer
	ad.Write(rpHash[:])
	ad.WriteByte(0x45) // UP | UV | AT
	_ = binary.Write(&ad, binary.BigEndian, uint32(0))
	ad.Write(make([]byte, 16)) // AAGUID: none attestation
	_ = binary.Write(&ad, binary.BigEndian, uint16(len(a.credID)))
	ad.Write(a.credID)
	ad.Write(cose)
	att, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad.Bytes()})
	if err != nil {
		return nil, err
	}
	attachment := o.AuthenticatorSelection.AuthenticatorAttachment
	if attachment == "" {
		attachment = "platform"
	}
	transport := "internal"
	if attachment == "cross-platform" {
		transport = "usb"
	}
	id := b64url.EncodeToString(a.credID)
	return json.Marshal(map[string]any{
		"id": id, "rawId": id, "type": "public-key",
		"authenticatorAttachment": attachment,
		"clientExtensionResults":  map[string]any{"credProps": map[string]bool{"rk": true}},
		"response": map[string]any{
			"clientDataJSON":    b64url.EncodeToString(cdj),
			"attestationObject": b64url.EncodeToString(att),
			"transports":        []string{transport},
		},
	})
}
