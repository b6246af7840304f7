package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerJWT runs the server with -jwks, -iss and -aud: JWT access
// tokens replace the demo token, as Bearer or bound to a key with DPoP.
func TestServerJWT(t *testing.T) {
	const iss, aud = "https://tenant.example.com/", "https://tenant.example.com/me/"
	issuerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: issuerKey.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	require.NoError(t, err)
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwksFile, set, 0o600))

	s := startServer(t, "-jwks", jwksFile, "-iss", iss, "-aud", aud, "-rate-limit", "0")

	issuer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: issuerKey, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	require.NoError(t, err)
	clientJWK := jose.JSONWebKey{Key: clientKey.Public()}
	jkt, err := clientJWK.Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	token := func(extra map[string]any) string {
		c := map[string]any{
			"iss": iss, "aud": aud, "sub": "auth0|jwt-user", "scope": "create:me:authentication_methods",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		}
		for k, v := range extra {
			c[k] = v
		}
		tok, err := jwt.Signed(issuer).Claims(c).Serialize()
		require.NoError(t, err)
		return tok
	}
	bound := token(map[string]any{"cnf": map[string]any{"jkt": base64.RawURLEncoding.EncodeToString(jkt)}})
	prover, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: clientKey},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(bound))
	proof, err := jwt.Signed(prover).Claims(map[string]any{
		"jti": rand.Text(), "htm": "POST", "htu": s.api + "/authentication-methods", "iat": time.Now().Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:]),
	}).Serialize()
	require.NoError(t, err)

	post := func(auth, dpop string) (int, http.Header) {
		r, err := http.NewRequest(http.MethodPost, s.api+"/authentication-methods", strings.NewReader(`{"type":"recovery-code"}`))
		require.NoError(t, err)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		if dpop != "" {
			r.Header.Set("DPoP", dpop)
		}
		res, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header
	}
	code, _ := post("Bearer "+token(nil), "")
	assert.Equal(t, http.StatusAccepted, code, "a bearer JWT")
	code, _ = post("DPoP "+bound, proof)
	assert.Equal(t, http.StatusAccepted, code, "a DPoP-bound JWT with its proof")
	code, h := post("DPoP "+bound, proof)
	assert.Equal(t, http.StatusUnauthorized, code, "the proof replayed")
	assert.Contains(t, h.Values("WWW-Authenticate")[1], `error="invalid_dpop_proof"`)
	code, _ = post("Bearer "+bound, "")
	assert.Equal(t, http.StatusUnauthorized, code, "a DPoP-bound JWT as bearer")
	code, _ = post("Bearer "+testToken, "")
	assert.Equal(t, http.StatusUnauthorized, code, "the demo token is off")
	code, _ = post("Bearer "+token(map[string]any{"aud": "https://tenant.example.com/api/v2/"}), "")
	assert.Equal(t, http.StatusUnauthorized, code, "another audience")

	for _, args := range [][]string{{"-jwks", jwksFile}, {"-iss", iss, "-aud", aud}} {
		_, err := parseFlags(args, io.Discard)
		assert.ErrorContains(t, err, "-jwks, -iss and -aud go together")
	}
}
