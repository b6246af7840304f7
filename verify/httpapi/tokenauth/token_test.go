package tokenauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// TestBearer: valid tokens of every default algorithm authenticate, and
// their claims reach the Principal and the Token.
func TestBearer(t *testing.T) {
	f := newFixture(t, tokenauth.Config{NameClaim: "name", EmailClaim: "email", UsernameClaim: "https://example.com/username"})
	m := keyMaterial()
	for _, k := range []*signingKey{m.es256, m.es256b, m.rs256, m.ed} {
		t.Run(k.alg+"/"+k.kid, func(t *testing.T) {
			at := f.token(k, map[string]any{
				"name": "Alice Example", "email": "alice@example.com", "https://example.com/username": "alice",
				"auth_time": f.clock.Now().Add(-time.Minute).Unix(), "amr": []string{"pwd", "otp"}, "acr": "aal2", "jti": "tok-1",
			})
			tok, err := f.auth.AuthenticateToken(request("Bearer " + at))
			require.NoError(t, err)
			assert.Equal(t, tokenauth.SchemeBearer, tok.Scheme)
			assert.Equal(t, verify.Subject{ID: testSubject, Name: "Alice Example", Email: "alice@example.com", Username: "alice"}, tok.Subject)
			assert.Equal(t, []string{"openid", httpapi.ScopeCreateMethods}, tok.Scopes)
			assert.Equal(t, testIssuer, tok.Issuer)
			assert.Contains(t, tok.Audience, testAudience)
			assert.Equal(t, "client-1", tok.ClientID)
			assert.Equal(t, "tok-1", tok.ID)
			assert.Equal(t, []string{"pwd", "otp"}, tok.AMR)
			assert.Equal(t, "aal2", tok.ACR)
			assert.True(t, tok.AuthTime.Equal(f.clock.Now().Add(-time.Minute)))
			assert.True(t, tok.Expiry.Equal(f.clock.Now().Add(time.Hour)))
			assert.Empty(t, tok.JKT)

			p, err := f.auth.Authenticate(request("bEaReR " + at))
			require.NoError(t, err, "the scheme is case-insensitive")
			assert.Equal(t, tok.Principal(), p)
			assert.True(t, p.HasScope(httpapi.ScopeCreateMethods))
		})
	}
	t.Run("string aud and no scope", func(t *testing.T) {
		tok, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, map[string]any{"aud": testAudience, "scope": nil})))
		require.NoError(t, err)
		assert.Empty(t, tok.Scopes, "no scope claim: no scope, and the handler answers 403")
	})
	t.Run("no kid with a single candidate key", func(t *testing.T) {
		at := sign("EdDSA", m.ed.priv, map[string]any{"typ": "JWT"}, f.claims())
		_, err := f.auth.AuthenticateToken(request("Bearer " + at))
		require.NoError(t, err, "the set has one EdDSA key")
	})
	t.Run("typ application/at+jwt", func(t *testing.T) {
		at := sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid, "typ": "application/AT+JWT"}, f.claims())
		_, err := f.auth.AuthenticateToken(request("Bearer " + at))
		require.NoError(t, err)
	})
	t.Run("no typ", func(t *testing.T) {
		at := sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid}, f.claims())
		_, err := f.auth.AuthenticateToken(request("Bearer " + at))
		require.NoError(t, err)
	})
}

// TestBearerRejected: every bad token is refused with invalid_token and
// the reason of the check that caught it.
func TestBearerRejected(t *testing.T) {
	f := newFixture(t, tokenauth.Config{NameClaim: "name"})
	m := keyMaterial()
	now := f.clock.Now()
	leeway := tokenauth.DefaultLeeway
	rsaPub := publicJWK(m.rs256.priv)
	tests := []struct {
		name, reason string
		token        func() string
	}{
		{"expired", "token_expired", func() string { return f.token(nil, map[string]any{"exp": now.Add(-leeway).Unix()}) }},
		{"expired long ago", "token_expired", func() string { return f.token(nil, map[string]any{"exp": now.Add(-24 * time.Hour).Unix()}) }},
		{"no exp", "token_exp", func() string { return f.token(nil, map[string]any{"exp": nil}) }},
		{"exp a string", "token_exp", func() string { return f.token(nil, map[string]any{"exp": "tomorrow"}) }},
		{"exp beyond int64 seconds", "token_exp", func() string { return f.token(nil, map[string]any{"exp": 1e300}) }},
		{"nbf in the future", "token_nbf", func() string { return f.token(nil, map[string]any{"nbf": now.Add(leeway + time.Second).Unix()}) }},
		{"iat in the future", "token_iat", func() string { return f.token(nil, map[string]any{"iat": now.Add(leeway + time.Second).Unix()}) }},
		{"auth_time in the future", "token_auth_time", func() string {
			return f.token(nil, map[string]any{"auth_time": now.Add(leeway + time.Second).Unix()})
		}},
		{"wrong iss", "token_iss", func() string { return f.token(nil, map[string]any{"iss": "https://evil.example.com/"}) }},
		{"iss differs by a slash", "token_iss", func() string { return f.token(nil, map[string]any{"iss": strings.TrimSuffix(testIssuer, "/")}) }},
		{"no iss", "token_iss", func() string { return f.token(nil, map[string]any{"iss": nil}) }},
		{"wrong aud", "token_aud", func() string { return f.token(nil, map[string]any{"aud": "https://tenant.example.com/api/v2/"}) }},
		{"aud of a client (an ID token)", "token_aud", func() string { return f.token(nil, map[string]any{"aud": []string{"client-1"}}) }},
		{"no aud", "token_aud", func() string { return f.token(nil, map[string]any{"aud": nil}) }},
		{"aud a number", "token_aud", func() string { return f.token(nil, map[string]any{"aud": 7}) }},
		{"no sub", "token_sub", func() string { return f.token(nil, map[string]any{"sub": nil}) }},
		{"empty sub", "token_sub", func() string { return f.token(nil, map[string]any{"sub": ""}) }},
		{"sub with a control character", "token_sub", func() string { return f.token(nil, map[string]any{"sub": "a\nb"}) }},
		{"sub too long", "token_sub", func() string {
			return f.token(nil, map[string]any{"sub": strings.Repeat("a", tokenauth.MaxClaimLen+1)})
		}},
		{"scope an array", "token_scope", func() string { return f.token(nil, map[string]any{"scope": []string{httpapi.ScopeCreateMethods}}) }},
		{"mapped claim not a string", "token_profile_claim", func() string { return f.token(nil, map[string]any{"name": 7}) }},
		{"cnf without jkt (mTLS)", "token_cnf", func() string {
			return f.token(nil, map[string]any{"cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}})
		}},
		{"cnf.jkt not a thumbprint", "token_cnf", func() string { return f.token(nil, map[string]any{"cnf": map[string]any{"jkt": "short"}}) }},
		{"alg none", "token_alg", func() string {
			return sign("none", nil, map[string]any{"kid": m.es256.kid, "typ": "JWT"}, f.claims())
		}},
		{"alg none, no signature part", "token_alg", func() string {
			tok := sign("none", nil, map[string]any{"typ": "JWT"}, f.claims())
			return strings.TrimSuffix(tok, ".")
		}},
		{"HS256 keyed with the RSA public key (JWK)", "token_alg", func() string {
			secret := []byte(`{"e":"` + rsaPub["e"].(string) + `","kty":"RSA","n":"` + rsaPub["n"].(string) + `"}`)
			return sign("HS256", secret, map[string]any{"kid": m.rs256.kid}, f.claims())
		}},
		{"HS256 keyed with the RSA modulus", "token_alg", func() string {
			return sign("HS256", []byte(rsaPub["n"].(string)), map[string]any{"kid": m.rs256.kid}, f.claims())
		}},
		{"ES384 not configured", "token_alg", func() string {
			return sign("ES384", m.es384.priv, map[string]any{"kid": m.es384.kid}, f.claims())
		}},
		{"alg not a string", "token_alg", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"alg": 1, "kid": m.es256.kid}, f.claims())
		}},
		{"RS256 with the kid of an EC key", "token_kid", func() string {
			return sign("RS256", m.rs256.priv, map[string]any{"kid": m.es256.kid}, f.claims())
		}},
		{"EdDSA with the kid of the RSA key", "token_kid", func() string {
			return sign("EdDSA", m.ed.priv, map[string]any{"kid": m.rs256.kid}, f.claims())
		}},
		{"unknown kid", "token_kid", func() string {
			return sign("ES256", m.client.priv, map[string]any{"kid": "nope"}, f.claims())
		}},
		{"no kid, two ES256 keys", "token_kid", func() string { return sign("ES256", m.es256.priv, nil, f.claims()) }},
		{"kid not a string", "token_malformed", func() string { return sign("ES256", m.es256.priv, map[string]any{"kid": 1}, f.claims()) }},
		{"signed by another key with the kid", "token_signature", func() string {
			return sign("ES256", m.es256b.priv, map[string]any{"kid": m.es256.kid}, f.claims())
		}},
		{"payload changed after signing", "token_signature", func() string {
			tok := f.token(nil, nil)
			parts := strings.Split(tok, ".")
			c := f.claims()
			c["sub"] = "auth0|mallory"
			other := sign("ES256", m.es256.priv, nil, c)
			parts[1] = strings.Split(other, ".")[1]
			return strings.Join(parts, ".")
		}},
		{"typ dpop+jwt (a proof as a token)", "token_typ", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid, "typ": "dpop+jwt"}, f.claims())
		}},
		{"typ not a string", "token_typ", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid, "typ": 5}, f.claims())
		}},
		{"crit", "token_crit", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid, "crit": []string{"exp"}, "exp": 1}, f.claims())
		}},
		{"b64 false", "token_crit", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid, "crit": []string{"b64"}, "b64": false}, f.claims())
		}},
		{"not a JWS", "token_malformed", func() string { return "abc" }},
		{"header not base64url", "token_malformed", func() string { return "e30+.e30.e30" }},
		{"header not JSON", "token_malformed", func() string { return b64.EncodeToString([]byte("[1]")) + ".e30.e30" }},
		{"two parts", "token_malformed", func() string { return b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + ".e30" }},
		{"claims not an object", "token_claims", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"kid": m.es256.kid}, nil) // payload "null"
		}},
		{"too long", "token_size", func() string { return strings.Repeat("a", tokenauth.DefaultMaxTokenBytes+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := f.auth.AuthenticateToken(request("Bearer " + tc.token()))
			assert.Nil(t, tok)
			ae := requireFailure(t, err, httpapi.CodeInvalidToken, tc.reason)
			if tc.reason == "token_expired" {
				assert.Equal(t, "The access token has expired", ae.Description)
			} else {
				assert.Equal(t, "The access token is invalid", ae.Description, "one vague description for every other failure (GN-08)")
			}
		})
	}
	assert.Zero(t, f.nonces.calls.Load(), "no bearer token touches the nonce store")
}

// TestBearerTimeBoundaries: exp, nbf and iat are checked with exactly
// Config.Leeway of skew.
func TestBearerTimeBoundaries(t *testing.T) {
	const leeway = 10 * time.Second
	f := newFixture(t, tokenauth.Config{Leeway: leeway})
	now := f.clock.Now()
	ok := []map[string]any{
		{"exp": now.Add(-leeway + time.Second).Unix()},
		{"nbf": now.Add(leeway).Unix()},
		{"iat": now.Add(leeway).Unix()},
		{"exp": 1e10, "iat": float64(now.Unix()) + 0.5},
	}
	for _, edit := range ok {
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, edit)))
		assert.NoError(t, err, "%v", edit)
	}
	bad := map[string]map[string]any{
		"token_expired": {"exp": now.Add(-leeway).Unix()},
		"token_nbf":     {"nbf": now.Add(leeway + time.Second).Unix()},
		"token_iat":     {"iat": now.Add(leeway + time.Second).Unix()},
	}
	for reason, edit := range bad {
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, edit)))
		requireFailure(t, err, httpapi.CodeInvalidToken, reason)
	}
}

// TestAuthorizationHeader: the header is parsed before any token, and
// every malformed header is invalid_request (answered 400).
func TestAuthorizationHeader(t *testing.T) {
	f := newFixture(t, tokenauth.Config{})
	at := f.token(nil, nil)

	_, err := f.auth.AuthenticateToken(request(""))
	require.ErrorIs(t, err, httpapi.ErrNoCredentials)
	require.ErrorIs(t, err, verify.ErrUnauthenticated)

	tests := []struct {
		name, reason string
		header       []string
	}{
		{"two Authorization headers", "authorization_multiple", []string{"Bearer " + at, "Bearer " + at}},
		{"Basic", "authorization_scheme", []string{"Basic dXNlcjpwYXNz"}},
		{"scheme only", "authorization_scheme", []string{"Bearer"}},
		{"no space", "authorization_scheme", []string{"Bearer" + at}},
		{"empty token", "authorization_syntax", []string{"Bearer "}},
		{"token with a space", "authorization_syntax", []string{"Bearer " + at + " x"}},
		{"token with a comma", "authorization_syntax", []string{"Bearer " + at + ","}},
		{"token with a quote", "authorization_syntax", []string{`Bearer "` + at + `"`}},
		{"DPoP empty", "authorization_syntax", []string{"DPoP  "}},
		{"only padding", "authorization_syntax", []string{"Bearer ==="}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request("")
			for _, h := range tc.header {
				r.Header.Add("Authorization", h)
			}
			_, err := f.auth.AuthenticateToken(r)
			requireFailure(t, err, httpapi.CodeInvalidRequest, tc.reason)
		})
	}
	t.Run("spaces before the token", func(t *testing.T) {
		_, err := f.auth.AuthenticateToken(request("Bearer   " + at))
		require.NoError(t, err)
	})
}

// TestStepUp: MaxAuthAge and ACRValues refuse a token whose user
// authenticated too long ago or too weakly with
// insufficient_user_authentication (RFC 9470), after every other check.
func TestStepUp(t *testing.T) {
	f := newFixture(t, tokenauth.Config{MaxAuthAge: 20 * time.Minute, ACRValues: []string{"aal2", "aal3"}})
	now := f.clock.Now()
	tests := []struct {
		name, reason string
		edit         map[string]any
	}{
		{"recent and strong", "", map[string]any{"auth_time": now.Add(-20 * time.Minute).Unix(), "acr": "aal2"}},
		{"no auth_time", "auth_time_missing", map[string]any{"acr": "aal2"}},
		{"auth_time too old", "auth_time_stale", map[string]any{"auth_time": now.Add(-20*time.Minute - time.Second).Unix(), "acr": "aal3"}},
		{"no acr", "acr", map[string]any{"auth_time": now.Unix()}},
		{"weak acr", "acr", map[string]any{"auth_time": now.Unix(), "acr": "aal1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, tc.edit)))
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			requireFailure(t, err, tokenauth.CodeInsufficientUserAuthentication, tc.reason)
			ch := f.auth.Challenges(err, "")
			require.Len(t, ch, 2)
			assert.Contains(t, ch[0], `error="insufficient_user_authentication"`)
			assert.Contains(t, ch[0], `max_age="1200"`)
			assert.Contains(t, ch[0], `acr_values="aal2 aal3"`)
		})
	}
	t.Run("an invalid token is invalid_token, not a step-up", func(t *testing.T) {
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, map[string]any{"iss": "x"})))
		requireFailure(t, err, httpapi.CodeInvalidToken, "token_iss")
	})
}

// TestRequireATJWT: with RequireATJWT only typ at+jwt is accepted.
func TestRequireATJWT(t *testing.T) {
	f := newFixture(t, tokenauth.Config{RequireATJWT: true})
	m := keyMaterial()
	for typ, ok := range map[string]bool{"at+jwt": true, "application/at+jwt": true, "JWT": false, "": false} {
		h := map[string]any{"kid": m.es256.kid, "typ": typ}
		if typ == "" {
			h["typ"] = nil
		}
		_, err := f.auth.AuthenticateToken(request("Bearer " + sign("ES256", m.es256.priv, h, f.claims())))
		if ok {
			assert.NoError(t, err, typ)
		} else {
			requireFailure(t, err, httpapi.CodeInvalidToken, "token_typ")
		}
	}
}
