package tokenauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// TestRFC9449Vectors: the examples of RFC 9449 as known answers.
func TestRFC9449Vectors(t *testing.T) {
	// §7.1: the access token of Figure 12 and the ath of Figure 13.
	assert.Equal(t, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo", accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"))
	// §6.1: the jkt of the public key of the proof of Figure 3.
	var jwk jose.JSONWebKey
	require.NoError(t, json.Unmarshal([]byte(`{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}`), &jwk))
	tp, err := jwk.Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", base64.RawURLEncoding.EncodeToString(tp))
}

// RFC 9449 §7.1 Figure 13: a proof for GET
// https://resource.example.org/protectedresource with the access token of
// Figure 12, and §4.1 Figure 2: a token-endpoint proof without ath.
const (
	rfc9449Header   = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
	rfc9449Figure13 = rfc9449Header +
		".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9" +
		".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	rfc9449Figure2 = rfc9449Header +
		".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ" +
		".2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfc9449Token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfc9449JKT   = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

// TestRFC9449Proofs runs the proof checks on the RFC's own proofs: an
// independent implementation's signature, thumbprint and ath.
func TestRFC9449Proofs(t *testing.T) {
	now := func() time.Time { return time.Unix(1562262618, 0) }
	nonces, err := memory.New(memory.Config{Now: now})
	require.NoError(t, err)
	a, err := New(Config{
		Issuer: "https://server.example.com", Audience: "https://resource.example.org",
		JWKS:      []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}]}`),
		PublicURL: "https://resource.example.org",
		Now:       now,
	}, nonces)
	require.NoError(t, err)
	get := func(path, proof string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("DPoP", proof)
		return r
	}
	require.NoError(t, a.checkProof(get("/protectedresource", rfc9449Figure13), rfc9449Token, rfc9449JKT))
	reason := func(err error) string { return verify.ReasonOf(err) }
	assert.Equal(t, "dpop_replay", reason(a.checkProof(get("/protectedresource", rfc9449Figure13), rfc9449Token, rfc9449JKT)))
	assert.Equal(t, "dpop_htu", reason(a.checkProof(get("/otherresource", rfc9449Figure13), rfc9449Token, rfc9449JKT)))
	post := get("/protectedresource", rfc9449Figure13)
	post.Method = http.MethodPost
	assert.Equal(t, "dpop_htm", reason(a.checkProof(post, rfc9449Token, rfc9449JKT)))
	assert.Equal(t, "dpop_ath", reason(a.checkProof(get("/protectedresource", rfc9449Figure13), rfc9449Token+"x", rfc9449JKT)))
	assert.Equal(t, "dpop_claims", reason(a.checkProof(get("/token", rfc9449Figure2), rfc9449Token, rfc9449JKT)), "a proof without ath")
}

func TestNormalizeHTU(t *testing.T) {
	same := map[string]string{
		"https://server.example.com/token":              "https://server.example.com/token",
		"HTTPS://Server.Example.COM:443/token":          "https://server.example.com/token",
		"http://server.example.com:80/token":            "http://server.example.com/token",
		"https://server.example.com:8443/token":         "https://server.example.com:8443/token",
		"https://server.example.com":                    "https://server.example.com/",
		"https://server.example.com/%7euser/%2f/%7C":    "https://server.example.com/~user/%2F/%7C",
		"https://[::1]:8443/a":                          "https://[::1]:8443/a",
		"https://[::1]/a":                               "https://[::1]/a",
		"https://server.example.com/phone%7Cdev_1/x":    "https://server.example.com/phone%7Cdev_1/x",
		"https://server.example.com/path%20with%20sp/x": "https://server.example.com/path%20with%20sp/x",
	}
	for in, want := range same {
		got, err := normalizeHTU(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"https://server.example.com/token?", "https://server.example.com/token?a=b", "https://server.example.com/token#f",
		"/token", "server.example.com/token", "ftp://server.example.com/", "https://u:p@server.example.com/",
		"https:opaque", "https://%zz/", "HTTP://:", "https://:443/", "https://]:0", "https://[x]/", "",
	} {
		_, err := normalizeHTU(in)
		assert.Error(t, err, in)
	}
}

// FuzzNormalizeHTU: normalization never panics and is idempotent.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{"https://a.example/b", "HTTP://A:80/%7e%2F", "https://[::1]:1/x", "https://a/b?c#d", "http://a/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := normalizeHTU(s)
		if err != nil {
			require.Empty(t, n)
			return
		}
		again, err := normalizeHTU(n)
		require.NoError(t, err, "normalized %q to %q", s, n)
		require.Equal(t, n, again)
	})
}

// FuzzParseAuthorization: the Authorization parser never panics, and a
// success is a known scheme with a token68.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc", "DPoP a.b.c", "bearer  x==", "Basic x", "Bearer", "Bearer a b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		scheme, token, err := parseAuthorization([]string{h})
		if err != nil {
			require.Empty(t, scheme)
			require.Empty(t, token)
			return
		}
		require.Contains(t, []string{SchemeBearer, SchemeDPoP}, scheme)
		require.True(t, isToken68(token))
	})
}

// TestCompatible: which key verifies which algorithm (RFC 7518 §3).
func TestCompatible(t *testing.T) {
	ec := func(c elliptic.Curve) any {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		return k.Public()
	}
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	all := map[string]any{
		"P-256": ec(elliptic.P256()), "P-384": ec(elliptic.P384()), "P-521": ec(elliptic.P521()),
		"RSA-2048": &rs.PublicKey, "RSA-1024": &weak.PublicKey, "Ed25519": ed, "secret": []byte("secret"),
	}
	yes := map[jose.SignatureAlgorithm]string{
		jose.ES256: "P-256", jose.ES384: "P-384", jose.ES512: "P-521",
		jose.RS256: "RSA-2048", jose.PS256: "RSA-2048", jose.RS512: "RSA-2048", jose.PS384: "RSA-2048",
		jose.EdDSA: "Ed25519",
	}
	for alg, want := range yes {
		for name, k := range all {
			assert.Equal(t, name == want, compatible(alg, k), "%s with %s", alg, name)
		}
	}
	for _, k := range all {
		assert.False(t, compatible(jose.HS256, k), "HS256 is never compatible")
	}
}

// TestHTTPSOnly: the default JWKS client follows redirects to https only.
func TestHTTPSOnly(t *testing.T) {
	req := func(u string) *http.Request { return httptest.NewRequest(http.MethodGet, u, nil) }
	assert.NoError(t, httpsOnly(req("https://a.example/jwks"), []*http.Request{req("https://b.example/")}))
	assert.Error(t, httpsOnly(req("http://a.example/jwks"), []*http.Request{req("https://b.example/")}))
	via := make([]*http.Request, 5)
	assert.Error(t, httpsOnly(req("https://a.example/jwks"), via))
}
