package passkey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// toJSONRegistration is a registration in the shape of
// PublicKeyCredential.toJSON(): the spec's members plus authenticatorData,
// publicKey (SPKI DER) and publicKeyAlgorithm, which edit may change.
func toJSONRegistration(t *testing.T, h *harness, edit func(r map[string]any)) (sealedState, jsontext.Value, *testAuthenticator) {
	t.Helper()
	a := newTestAuthenticator(t)
	st, opts := h.start(alice)
	reg := registration{RPID: testRPID, Format: "packed-self",
		ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
	obj, cdj := a.attestationObject(t, reg)
	spki, err := x509.MarshalPKIXPublicKey(&a.key.PublicKey)
	require.NoError(t, err)
	r := map[string]any{
		"attestationObject": b64.EncodeToString(obj), "clientDataJSON": b64.EncodeToString(cdj),
		"transports": []string{"internal", "hybrid"}, "authenticatorData": b64.EncodeToString(a.authData(reg)),
		"publicKey": b64.EncodeToString(spki), "publicKeyAlgorithm": -7,
	}
	if edit != nil {
		edit(r)
	}
	body := mustJSON(t, map[string]any{
		"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": r, "authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{"credProps": map[string]any{"rk": true}},
	})
	return st, body, a
}

// Issue 15 item 2: the browser's own WebAuthn JSON is accepted.
func TestBrowserToJSONRegistrationIsAccepted(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	st, body, a := toJSONRegistration(t, h, nil)
	c, err := h.confirm(st, alice, body)
	require.NoError(t, err)
	assert.Equal(t, a.credID, c.CredentialID)
	// Each copy is optional: a browser omits publicKey for an algorithm it
	// cannot express in SPKI.
	for _, m := range []string{"authenticatorData", "publicKey", "publicKeyAlgorithm"} {
		st, body, _ := toJSONRegistration(t, h, func(r map[string]any) { delete(r, m) })
		_, err := h.confirm(st, alice, body)
		require.NoError(t, err, "without %s", m)
	}
	st, body, _ = toJSONRegistration(t, h, func(r map[string]any) { r["publicKey"] = nil })
	_, err = h.confirm(st, alice, body)
	require.NoError(t, err, "publicKey null")
}

// Issue 15 item 2: the copies are never trusted; a lie is a 400 naming
// the member.
func TestBrowserToJSONCopiesThatContradictTheAttestationAreRefused(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherSPKI, err := x509.MarshalPKIXPublicKey(&otherEC.PublicKey)
	require.NoError(t, err)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edSPKI, err := x509.MarshalPKIXPublicKey(edPub)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		field string
		edit  func(r map[string]any)
	}{
		"authData of another credential": {"authenticatorData", func(r map[string]any) {
			ad, _ := b64.DecodeString(r["authenticatorData"].(string))
			ad[33] ^= 1
			r["authenticatorData"] = b64.EncodeToString(ad)
		}},
		"authData truncated":       {"authenticatorData", func(r map[string]any) { r["authenticatorData"] = r["authenticatorData"].(string)[:50] }},
		"another P-256 key":        {"publicKey", func(r map[string]any) { r["publicKey"] = b64.EncodeToString(otherSPKI) }},
		"an Ed25519 key":           {"publicKey", func(r map[string]any) { r["publicKey"] = b64.EncodeToString(edSPKI) }},
		"not SPKI":                 {"publicKey", func(r map[string]any) { r["publicKey"] = b64.EncodeToString([]byte("not a key")) }},
		"SPKI with trailing bytes": {"publicKey", func(r map[string]any) { r["publicKey"] = r["publicKey"].(string) + "AA" }},
		"another algorithm":        {"publicKeyAlgorithm", func(r map[string]any) { r["publicKeyAlgorithm"] = -8 }},
		"algorithm as a string":    {"", func(r map[string]any) { r["publicKeyAlgorithm"] = "-7" }},
		"authData too long":        {"authenticatorData", func(r map[string]any) { r["authenticatorData"] = strings.Repeat("A", defaultMaxAttestationObject+1) }},
		"publicKey too long":       {"publicKey", func(r map[string]any) { r["publicKey"] = strings.Repeat("A", defaultMaxAttestationObject+1) }},
		"publicKey not base64url":  {"publicKey", func(r map[string]any) { r["publicKey"] = "a+b/" }},
		"an unknown member":        {"", func(r map[string]any) { r["publicKeyDER"] = "AA" }},
	} {
		st, body, _ := toJSONRegistration(t, h, tc.edit)
		_, err := h.confirm(st, alice, body)
		field := "authn_response"
		if tc.field != "" {
			field += ".response." + tc.field
		}
		malformed(t, err, field)
		_ = name
	}
}

// The SPKI comparison sees the same key for every algorithm a credential
// may use: P-256, P-384, P-521, Ed25519 and RSA.
func TestCOSEKeyEqualsItsSPKIForm(t *testing.T) {
	for _, c := range []struct {
		curve elliptic.Curve
		crv   int
		alg   int
	}{{elliptic.P256(), 1, -7}, {elliptic.P384(), 2, -35}, {elliptic.P521(), 3, -36}} {
		k, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		require.NoError(t, err)
		raw, err := k.PublicKey.Bytes()
		require.NoError(t, err)
		n := (len(raw) - 1) / 2
		cose, err := ctap2.Marshal(map[int]any{1: 2, 3: c.alg, -1: c.crv, -2: raw[1 : 1+n], -3: raw[1+n:]})
		require.NoError(t, err)
		got, err := coseToCrypto(cose)
		require.NoError(t, err)
		assert.True(t, k.PublicKey.Equal(got), "crv %d", c.crv)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	got, err := coseToCrypto(signer{ed: ed25519.NewKeyFromSeed(make([]byte, 32))}.coseKey(t))
	require.NoError(t, err)
	assert.False(t, pub.Equal(got))
	assert.True(t, ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey).Equal(got))
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	cose, err := ctap2.Marshal(map[int]any{1: 3, 3: -257, -1: rk.N.Bytes(), -2: big.NewInt(int64(rk.E)).Bytes()})
	require.NoError(t, err)
	got, err = coseToCrypto(cose)
	require.NoError(t, err)
	assert.True(t, rk.PublicKey.Equal(got))
}
