package tokenauth_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// The tests of this file pin what the package refuses in the JSON of a
// token, a DPoP proof or a JWK Set, now decoded with json/v2. New with
// json/v2 (encoding/json kept the last of a repeated name, replaced
// invalid UTF-8 with U+FFFD and matched "Keys" for keys): a repeated claim
// name, invalid UTF-8 anywhere, a repeated name anywhere in a JWK Set, a
// case variant of keys. Refused before too, and pinned here: a repeated
// JOSE header name (go-jose's own JSON, which parses the header after us,
// refuses it) and case variants of claim and header names (members were
// always read from a map by exact name). No row of SECURITY.md covers
// token parsing yet; the abuse table's JWT strictness (AB-13) is the
// nearest.

// resign returns the compact JWS tok with its header and claims bytes
// passed through edit, signed again by k.
func resign(tok string, k *signingKey, edit func(header, claims []byte) ([]byte, []byte)) string {
	parts := strings.Split(tok, ".")
	h, err := b64.DecodeString(parts[0])
	if err != nil {
		panic(err)
	}
	c, err := b64.DecodeString(parts[1])
	if err != nil {
		panic(err)
	}
	h, c = edit(h, c)
	return signBytes(k.alg, k.priv, h, c)
}

// withMember returns the JSON object obj with member (`"name":value`)
// written first.
func withMember(obj []byte, member string) []byte {
	return append([]byte("{"+member+","), obj[1:]...)
}

func inClaims(member string) func(h, c []byte) ([]byte, []byte) {
	return func(h, c []byte) ([]byte, []byte) { return h, withMember(c, member) }
}

func inHeader(member string) func(h, c []byte) ([]byte, []byte) {
	return func(h, c []byte) ([]byte, []byte) { return withMember(h, member), c }
}

// TestTokenWithRepeatedClaimNameIsRefused: RFC 7519 §4 — the claim names
// of a JWT are unique, and a token repeating one, at the top level or in
// cnf, is refused with invalid_token, whichever copy a last-wins parser
// would have kept; so is a token whose JOSE header repeats a name
// (RFC 7515 §4), as go-jose already refused it.
func TestTokenWithRepeatedClaimNameIsRefused(t *testing.T) {
	f := newFixture(t, tokenauth.Config{})
	m := keyMaterial()
	later := f.clock.Now().Add(24 * time.Hour).Unix()
	tests := []struct {
		name, reason string
		token        func() string
	}{
		{"sub twice", "token_claims", func() string { return resign(f.token(nil, nil), f.issuer, inClaims(`"sub":"auth0|mallory"`)) }},
		{"sub twice with one value", "token_claims", func() string {
			return resign(f.token(nil, nil), f.issuer, inClaims(`"sub":"`+testSubject+`"`))
		}},
		{"exp twice", "token_claims", func() string {
			return resign(f.token(nil, nil), f.issuer, inClaims(fmt.Sprintf(`"exp":%d`, later)))
		}},
		{"aud twice", "token_claims", func() string {
			return resign(f.token(nil, nil), f.issuer, inClaims(`"aud":"https://evil.example.com/"`))
		}},
		{"jkt twice in cnf", "token_claims", func() string {
			tp := thumbprint(f.client.priv)
			return resign(f.token(nil, nil), f.issuer, inClaims(`"cnf":{"jkt":"`+tp+`","jkt":"`+thumbprint(m.client2.priv)+`"}`))
		}},
		{"kid twice in the header", "token_malformed", func() string {
			return resign(f.token(nil, nil), f.issuer, inHeader(`"kid":"`+m.es256b.kid+`"`))
		}},
		{"alg twice in the header", "token_malformed", func() string { return resign(f.token(nil, nil), f.issuer, inHeader(`"alg":"none"`)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := f.auth.AuthenticateToken(request("Bearer " + tc.token()))
			assert.Nil(t, tok)
			ae := requireFailure(t, err, httpapi.CodeInvalidToken, tc.reason)
			assert.Equal(t, "The access token is invalid", ae.Description)
		})
	}
	t.Run("the same splice with a new name authenticates", func(t *testing.T) {
		tok, err := f.auth.AuthenticateToken(request("Bearer " + resign(f.token(nil, nil), f.issuer, inClaims(`"x-sub":"auth0|mallory"`))))
		require.NoError(t, err)
		assert.Equal(t, testSubject, tok.Subject.ID)
	})
}

// TestDPoPProofWithRepeatedNameIsRefused: a DPoP proof is a JWT too
// (RFC 9449 §4.2, RFC 7519 §4): one repeating a claim name is refused as
// invalid_dpop_proof, and so is one whose header, or the jwk in it,
// repeats a name.
func TestDPoPProofWithRepeatedNameIsRefused(t *testing.T) {
	f := newFixture(t, tokenauth.Config{})
	at := f.boundToken(nil)
	proof := func() string { return f.proof(nil, http.MethodPost, testURL, at, nil, nil) }
	jwk := publicJWK(f.client.priv)
	tests := []struct {
		name, reason string
		edit         func(h, c []byte) ([]byte, []byte)
	}{
		{"htm twice", "dpop_claims", inClaims(`"htm":"GET"`)},
		{"jti twice", "dpop_claims", inClaims(`"jti":"replayed"`)},
		{"typ twice in the header", "dpop_malformed", inHeader(`"typ":"JWT"`)},
		{"x twice in the jwk", "dpop_malformed", func(h, c []byte) ([]byte, []byte) {
			h = bytes.Replace(h, []byte(`"x":`), []byte(`"x":"`+jwk["y"].(string)+`","x":`), 1)
			return h, c
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.AuthenticateToken(request("DPoP "+at, resign(proof(), f.client, tc.edit)))
			requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, tc.reason)
		})
	}
	t.Run("the same splice with a new name authenticates", func(t *testing.T) {
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, resign(proof(), f.client, inClaims(`"x-htm":"GET"`))))
		require.NoError(t, err)
	})
	assert.EqualValues(t, 1, f.nonces.calls.Load(), "no refused proof reaches the jti store")
}

// TestTokenWithInvalidUTF8IsRefused: claims, headers and proofs must be
// UTF-8 (RFC 8259 §8.1), including what an escape encodes: a stray byte or
// a lone surrogate is refused, even in a claim nobody reads, where
// encoding/json passed U+FFFD on.
func TestTokenWithInvalidUTF8IsRefused(t *testing.T) {
	f := newFixture(t, tokenauth.Config{NameClaim: "name"})
	tests := []struct {
		name, reason string
		token        func() string
	}{
		{"a stray byte in a mapped claim", "token_claims", func() string { return resign(f.token(nil, nil), f.issuer, inClaims("\"name\":\"Alice \xff\"")) }},
		{"a stray byte in an unread claim", "token_claims", func() string { return resign(f.token(nil, nil), f.issuer, inClaims("\"x\":\"\xc3\"")) }},
		{"a stray byte in a claim name", "token_claims", func() string { return resign(f.token(nil, nil), f.issuer, inClaims("\"\xfe\":1")) }},
		{"a lone surrogate escape", "token_claims", func() string { return resign(f.token(nil, nil), f.issuer, inClaims(`"name":"\ud800"`)) }},
		{"a stray byte in the header", "token_malformed", func() string { return resign(f.token(nil, nil), f.issuer, inHeader("\"x\":\"\xff\"")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.AuthenticateToken(request("Bearer " + tc.token()))
			requireFailure(t, err, httpapi.CodeInvalidToken, tc.reason)
		})
	}
	t.Run("in a DPoP proof", func(t *testing.T) {
		at := f.boundToken(nil)
		p := resign(f.proof(nil, http.MethodPost, testURL, at, nil, nil), f.client, inClaims("\"x\":\"\xff\""))
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, p))
		requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, "dpop_claims")
	})
	t.Run("valid UTF-8, escaped or not, authenticates", func(t *testing.T) {
		at := resign(f.token(nil, nil), f.issuer, inClaims(`"name":"Zo\u00eb \ud83d\ude00 é"`))
		tok, err := f.auth.AuthenticateToken(request("Bearer " + at))
		require.NoError(t, err)
		assert.Equal(t, "Zoë 😀 é", tok.Subject.Name)
	})
}

// TestClaimNamesMatchCaseSensitively: a claim or header member is found by
// its exact name only; "SUB" is not sub, so a token carrying it and no sub
// has no subject.
func TestClaimNamesMatchCaseSensitively(t *testing.T) {
	f := newFixture(t, tokenauth.Config{NameClaim: "name"})
	m := keyMaterial()
	tests := []struct {
		name, reason string
		token        func() string
	}{
		{"SUB and no sub", "token_sub", func() string { return f.token(nil, map[string]any{"sub": nil, "SUB": testSubject}) }},
		{"Iss and no iss", "token_iss", func() string { return f.token(nil, map[string]any{"iss": nil, "Iss": testIssuer}) }},
		{"AUD and no aud", "token_aud", func() string { return f.token(nil, map[string]any{"aud": nil, "AUD": testAudience}) }},
		{"EXP and no exp", "token_exp", func() string {
			return f.token(nil, map[string]any{"exp": nil, "EXP": f.clock.Now().Add(time.Hour).Unix()})
		}},
		{"cnf with JKT and no jkt", "token_cnf", func() string {
			return f.token(nil, map[string]any{"cnf": map[string]any{"JKT": thumbprint(f.client.priv)}})
		}},
		{"ALG and no alg", "token_alg", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"alg": nil, "ALG": "ES256", "kid": m.es256.kid}, f.claims())
		}},
		{"KID and no kid, two ES256 keys", "token_kid", func() string {
			return sign("ES256", m.es256.priv, map[string]any{"KID": m.es256.kid}, f.claims())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.AuthenticateToken(request("Bearer " + tc.token()))
			requireFailure(t, err, httpapi.CodeInvalidToken, tc.reason)
		})
	}
	t.Run("a case variant of a mapped claim is not the claim", func(t *testing.T) {
		tok, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, map[string]any{"Name": "Mallory"})))
		require.NoError(t, err)
		assert.Empty(t, tok.Subject.Name)
	})
	t.Run("a case variant beside the claim changes nothing", func(t *testing.T) {
		tok, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, map[string]any{"SUB": "auth0|mallory"})))
		require.NoError(t, err)
		assert.Equal(t, testSubject, tok.Subject.ID)
	})
	t.Run("HTM and no htm in a proof", func(t *testing.T) {
		at := f.boundToken(nil)
		p := f.proof(nil, http.MethodPost, testURL, at, map[string]any{"htm": nil, "HTM": http.MethodPost}, nil)
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, p))
		requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, "dpop_claims")
	})
}

// jwksAuth returns a bearer-only Authenticator trusting the JWK Set body.
func jwksAuth(body []byte) (*tokenauth.Authenticator, error) {
	return tokenauth.New(tokenauth.Config{Issuer: testIssuer, Audience: testAudience, DPoP: tokenauth.DPoPDisabled,
		JWKS: body, Now: func() time.Time { return storetest.Epoch }}, nil)
}

// TestJWKSWithRepeatedMemberNameIsRefused: RFC 7517 §4 and §5 — the member
// names of a JWK and of a JWK Set are unique; a set repeating one, in the
// set or in any key, is refused whole like any malformed set: at New for
// Config.JWKS, as an outage that keeps no key when fetched. (Before, a key
// repeating a name was skipped, since go-jose refused it, and the set's
// other keys were used.)
func TestJWKSWithRepeatedMemberNameIsRefused(t *testing.T) {
	m := keyMaterial()
	good := string(jwks(m.es256)) // {"keys":[{"alg":…,"crv":…,"kid":…,…}]}
	key := strings.TrimSuffix(strings.TrimPrefix(good, `{"keys":[`), `]}`)
	for name, body := range map[string]string{
		"keys twice":                `{"keys":[` + key + `],"keys":[` + key + `]}`,
		"kid twice in a key":        `{"keys":[{"kid":"other",` + key[1:] + `]}`,
		"x twice in a key":          `{"keys":[{"x":"AAAA",` + key[1:] + `]}`,
		"use twice in a key":        `{"keys":[{"use":"enc",` + key[1:] + `]}`,
		"a repeat in a skipped key": `{"keys":[` + key + `,{"kty":"XYZ","kid":"a","kid":"b"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := jwksAuth([]byte(body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not a JWK Set")
		})
	}
	t.Run("the set without the repeat is used", func(t *testing.T) {
		_, err := jwksAuth([]byte(good))
		require.NoError(t, err)
	})
	t.Run("fetched, it is an outage and no key is used", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		srv.set(http.StatusOK, []byte(`{"keys":[{"kid":"other",`+key[1:]+`]}`))
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireOutage(t, err)
		assert.Contains(t, err.Error(), "not a JWK Set")
	})
}

// TestJWKSWithInvalidUTF8IsRefused: a JWK Set that is not UTF-8
// (RFC 8259 §8.1), even in a member nobody reads, is not a JWK Set.
func TestJWKSWithInvalidUTF8IsRefused(t *testing.T) {
	m := keyMaterial()
	key := strings.TrimSuffix(strings.TrimPrefix(string(jwks(m.es256)), `{"keys":[`), `]}`)
	for name, body := range map[string]string{
		"a stray byte":           "{\"keys\":[{\"x-note\":\"\xff\"," + key[1:] + "]}",
		"a lone surrogate":       `{"keys":[{"x-note":"\udc00",` + key[1:] + `]}`,
		"a stray byte in a name": "{\"keys\":[" + key + "],\"\xff\":1}",
	} {
		_, err := jwksAuth([]byte(body))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "not a JWK Set", name)
	}
}

// TestJWKSMemberNamesMatchCaseSensitively: a set whose keys member is
// spelt "Keys" has no keys member, and a key whose kty is spelt "KTY" has
// no key type, so it is skipped.
func TestJWKSMemberNamesMatchCaseSensitively(t *testing.T) {
	m := keyMaterial()
	key := strings.TrimSuffix(strings.TrimPrefix(string(jwks(m.es256)), `{"keys":[`), `]}`)
	_, err := jwksAuth([]byte(`{"Keys":[` + key + `]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no keys member")

	_, err = jwksAuth([]byte(`{"keys":[` + strings.Replace(key, `"kty":`, `"KTY":`, 1) + `]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no key usable")
}
