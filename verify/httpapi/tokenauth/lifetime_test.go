package tokenauth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// TestLongLivedTokenIsRefused: with MaxTokenLifetime a token is refused
// when exp − iat exceeds it, when it has no iat, or when its iat is older
// than it (plus Leeway); within it, it is accepted (issue 16 item 7).
func TestLongLivedTokenIsRefused(t *testing.T) { // AB-13
	f := newFixture(t, tokenauth.Config{MaxTokenLifetime: 15 * time.Minute})
	now := f.clock.Now()
	tests := []struct {
		name string
		edit map[string]any
		ok   bool
	}{
		{"within the lifetime", map[string]any{"exp": now.Add(15 * time.Minute).Unix()}, true},
		{"exp minus iat too long", map[string]any{"exp": now.Add(15*time.Minute + time.Second).Unix()}, false},
		{"a day-long token", map[string]any{"exp": now.Add(24 * time.Hour).Unix()}, false},
		{"no iat", map[string]any{"iat": nil, "exp": now.Add(time.Minute).Unix()}, false},
		{"issued too long ago", map[string]any{"iat": now.Add(-16 * time.Minute).Unix(), "exp": now.Add(-time.Minute + time.Hour).Unix()}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, tc.edit)))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			requireFailure(t, err, httpapi.CodeInvalidToken, "token_lifetime")
		})
	}
	t.Run("out of range", func(t *testing.T) {
		for _, d := range []time.Duration{-time.Second, time.Second, 25 * time.Hour} {
			_, err := tokenauth.New(tokenauth.Config{Issuer: "i", Audience: "a", JWKS: []byte(`{"keys":[]}`), DPoP: tokenauth.DPoPDisabled, MaxTokenLifetime: d}, nil)
			assert.ErrorContains(t, err, "MaxTokenLifetime", d)
		}
	})
}
