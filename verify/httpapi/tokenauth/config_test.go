package tokenauth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

func TestConfig(t *testing.T) {
	m := keyMaterial()
	nonces, err := memory.New(memory.Config{})
	require.NoError(t, err)
	valid := func() tokenauth.Config {
		return tokenauth.Config{Issuer: testIssuer, Audience: testAudience, JWKS: jwks(m.es256), PublicURL: testPublic}
	}
	_, err = tokenauth.New(valid(), nonces)
	require.NoError(t, err)

	tests := []struct {
		name, want string
		edit       func(c *tokenauth.Config)
	}{
		{"no issuer", "Issuer is required", func(c *tokenauth.Config) { c.Issuer = "" }},
		{"no audience", "Audience is required", func(c *tokenauth.Config) { c.Audience = "" }},
		{"issuer with a line break", "Issuer must be printable", func(c *tokenauth.Config) { c.Issuer = "https://a/\n" }},
		{"alg none", `algorithm "none" not supported`, func(c *tokenauth.Config) { c.Algorithms = []string{"none"} }},
		{"alg HS256", `algorithm "HS256" not supported`, func(c *tokenauth.Config) { c.Algorithms = []string{"RS256", "HS256"} }},
		{"empty algorithms", "Algorithms is empty", func(c *tokenauth.Config) { c.Algorithms = []string{} }},
		{"repeated algorithm", `"ES256" repeated`, func(c *tokenauth.Config) { c.Algorithms = []string{"ES256", "ES256"} }},
		{"proof alg HS256", `DPoPAlgorithms: algorithm "HS256"`, func(c *tokenauth.Config) { c.DPoPAlgorithms = []string{"HS256"} }},
		{"negative leeway", "Leeway -1s out of range [1ns, 5m0s]", func(c *tokenauth.Config) { c.Leeway = -time.Second }},
		{"leeway above 5 min", "Leeway 5m1s out of range", func(c *tokenauth.Config) { c.Leeway = 5*time.Minute + time.Second }},
		{"JWKS refresh too short", "JWKSRefresh 59s out of range [1m0s, 24h0m0s]", func(c *tokenauth.Config) { c.JWKSRefresh = 59 * time.Second }},
		{"min interval above refresh", "JWKSMinInterval 2h0m0s out of range [1s, 1h0m0s]", func(c *tokenauth.Config) { c.JWKSMinInterval = 2 * time.Hour }},
		{"JWKS max bytes", "JWKSMaxBytes 100 out of range [1024, 16777216]", func(c *tokenauth.Config) { c.JWKSMaxBytes = 100 }},
		{"max token bytes", "MaxTokenBytes 100 out of range [1024, 65536]", func(c *tokenauth.Config) { c.MaxTokenBytes = 100 }},
		{"proof max age", "ProofMaxAge 11m0s out of range [1s, 10m0s]", func(c *tokenauth.Config) { c.ProofMaxAge = 11 * time.Minute }},
		{"max auth age", "MaxAuthAge 1s out of range [1m0s, 720h0m0s]", func(c *tokenauth.Config) { c.MaxAuthAge = time.Second }},
		{"acr with a space", "ACRValues[0]", func(c *tokenauth.Config) { c.ACRValues = []string{"a b"} }},
		{"realm with a quote", "Realm", func(c *tokenauth.Config) { c.Realm = `a"b` }},
		{"no key source", "exactly one of JWKS, JWKSFile and JWKSURL", func(c *tokenauth.Config) { c.JWKS = nil }},
		{"two key sources", "exactly one of JWKS, JWKSFile and JWKSURL", func(c *tokenauth.Config) { c.JWKSURL = "https://tenant.example.com/jwks" }},
		{"http JWKS URL", "JWKSURL must be an absolute https URL", func(c *tokenauth.Config) {
			c.JWKS, c.JWKSURL = nil, "http://tenant.example.com/.well-known/jwks.json"
		}},
		{"JWKS URL with userinfo", "JWKSURL must be", func(c *tokenauth.Config) { c.JWKS, c.JWKSURL = nil, "https://u:p@tenant.example.com/jwks" }},
		{"no public URL", "needs PublicURL", func(c *tokenauth.Config) { c.PublicURL = "" }},
		{"public URL with a query", "PublicURL", func(c *tokenauth.Config) { c.PublicURL = testPublic + "/?a=b" }},
		{"public URL relative", "PublicURL", func(c *tokenauth.Config) { c.PublicURL = "/me/v1" }},
		{"public URL ftp", "PublicURL", func(c *tokenauth.Config) { c.PublicURL = "ftp://api.example.com" }},
		{"DPoP mode out of range", "DPoP mode 7 out of range [0, 2]", func(c *tokenauth.Config) { c.DPoP = 7 }},
		{"mapped claim with a control character", "NameClaim", func(c *tokenauth.Config) { c.NameClaim = "na\tme" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid()
			tc.edit(&cfg)
			a, err := tokenauth.New(cfg, nonces)
			assert.Nil(t, a)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("DPoP needs a nonce store", func(t *testing.T) {
		for _, mode := range []tokenauth.DPoPMode{tokenauth.DPoPAllowed, tokenauth.DPoPRequired} {
			cfg := valid()
			cfg.DPoP = mode
			_, err := tokenauth.New(cfg, nil)
			assert.ErrorContains(t, err, "needs a store.Nonces")
		}
		cfg := valid()
		cfg.DPoP, cfg.PublicURL = tokenauth.DPoPDisabled, ""
		_, err := tokenauth.New(cfg, nil)
		assert.NoError(t, err, "DPoPDisabled needs neither a store nor a PublicURL")
	})
	t.Run("defaults", func(t *testing.T) {
		a, err := tokenauth.New(valid(), nonces)
		require.NoError(t, err)
		assert.Equal(t, []string{`Bearer realm="verifykit"`, `DPoP realm="verifykit", algs="ES256 ES384 EdDSA PS256 RS256"`}, a.Challenges(nil, ""))
		assert.Equal(t, "allowed", tokenauth.DPoPAllowed.String())
		assert.Equal(t, "DPoPMode(9)", tokenauth.DPoPMode(9).String())
	})
	t.Run("a custom HTTP client", func(t *testing.T) {
		cfg := valid()
		cfg.JWKS, cfg.JWKSURL, cfg.HTTPClient = nil, "https://tenant.example.com/.well-known/jwks.json", &http.Client{}
		_, err := tokenauth.New(cfg, nonces)
		require.NoError(t, err)
	})
}
