package faulttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/push"
)

// Device is a push-notification authenticator app: an ES256 key pair and
// the push token of its platform, enrolling with push's device API.
type Device struct {
	key *ecdsa.PrivateKey
	// Identifier, Name and PushToken describe the device to the server.
	Identifier, Name, PushToken string
}

// NewDevice returns a device with a fresh key, identifier and push token.
func NewDevice() (*Device, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	r := make([]byte, 24)
	if _, err := rand.Read(r); err != nil {
		return nil, err
	}
	return &Device{
		key: k, Identifier: "dev-" + b64url.EncodeToString(r[:8]), Name: "Kit Phone",
		PushToken: "fcm-" + b64url.EncodeToString(r[8:]),
	}, nil
}

// JWK returns the device's public key as a JWK.
func (d *Device) JWK() jsontext.Value {
	pt, _ := d.key.PublicKey.Bytes() // 0x04 ‖ x ‖ y on P-256
	b, _ := json.Marshal(map[string]string{
		"kty": "EC", "crv": "P-256",
		"x": b64url.EncodeToString(pt[1:33]),
		"y": b64url.EncodeToString(pt[33:65]),
	})
	return b
}

// EnrollBody returns the JSON body of the device's enrollment with ticket
// at enrollURL: its description and a proof of possession of its key,
// signed over the ticket and the endpoint, issued at now.
func (d *Device) EnrollBody(enrollURL, ticket string, now time.Time) ([]byte, error) {
	proof, err := d.sign(map[string]any{
		"aud": enrollURL, "sub": ticket, "iss": d.Identifier,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(push.EnrollRequest{
		Identifier: d.Identifier, Name: d.Name,
		PushCredentials: &push.PushCredentials{Service: "FCM", Token: d.PushToken},
		PublicKey:       d.JWK(),
		Proof:           proof,
	})
}

// sign returns a compact ES256 JWS of claims.
func (d *Device) sign(claims any) (string, error) {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64url.EncodeToString(h) + "." + b64url.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64url.EncodeToString(sig), nil
}
