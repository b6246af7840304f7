package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDPoPNonceFlowWithIndependentClient runs the server with -jwks and
// -dpop-nonces, and drives it with panva's npm "dpop" client (RFC 9449):
// its first proof has no nonce and is refused 401 with
// error="use_dpop_nonce" and a DPoP-Nonce header; its retry with that
// nonce is accepted, and so is a third call with the nonce of the second
// answer (RFC 9449 §8, §9).
func TestDPoPNonceFlowWithIndependentClient(t *testing.T) {
	node, err := exec.LookPath("node")
	requirePeer(t, err == nil, "node")
	_, err = os.Stat("../../interop/node_modules/dpop/package.json")
	requirePeer(t, err == nil, "npm dpop (cd interop && npm ci)")

	const iss, aud = "https://tenant.example.com/", "https://tenant.example.com/me/"
	issuerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: issuerKey.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	require.NoError(t, err)
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwksFile, set, 0o600))
	s := startServer(t, "-jwks", jwksFile, "-iss", iss, "-aud", aud, "-dpop-nonces", "-rate-limit", "0")

	// The authorization server's part: a token bound to the client's key.
	jkt, err := (&jose.JSONWebKey{Key: clientKey.Public()}).Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	issuer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: issuerKey, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	require.NoError(t, err)
	at, err := jwt.Signed(issuer).Claims(map[string]any{
		"iss": iss, "aud": aud, "sub": "auth0|dpop-user", "scope": "create:me:authentication_methods",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"cnf": map[string]any{"jkt": base64.RawURLEncoding.EncodeToString(jkt)},
	}).Serialize()
	require.NoError(t, err)
	priv, err := json.Marshal(jose.JSONWebKey{Key: clientKey})
	require.NoError(t, err)

	out, err := exec.Command(node, "../../interop/dpop/nonce.mjs", s.api+"/authentication-methods", at, string(priv)).Output()
	require.NoError(t, err, "node: %s", out)
	var res struct {
		First, Second, Third struct {
			Status int
			Nonce  string
			WWW    string
		}
	}
	require.NoError(t, json.Unmarshal(out, &res), "%s", out)
	assert.Equal(t, 401, res.First.Status, "a proof without the server's nonce")
	assert.Contains(t, res.First.WWW, `error="use_dpop_nonce"`)
	require.NotEmpty(t, res.First.Nonce, "the refusal carries DPoP-Nonce")
	assert.Equal(t, 202, res.Second.Status, "the retry with the nonce")
	assert.Equal(t, 202, res.Third.Status, "the next call with the answer's nonce")
	assert.NotEmpty(t, res.Second.Nonce, "every answer carries DPoP-Nonce")
}
