package tokenauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// An Authenticator for an issuer's ES256 access tokens, with a fixed key
// and clock. In production the keys come from JWKSURL and the clock is
// time.Now.
func Example() {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d, _ := hex.DecodeString("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
	issuerKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		panic(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: issuerKey.Public(), KeyID: "2026-01", Algorithm: "ES256", Use: "sig"},
	}})

	nonces, _ := memory.New(memory.Config{Now: func() time.Time { return now }})
	auth, err := tokenauth.New(tokenauth.Config{
		Issuer:    "https://tenant.example.com/",
		Audience:  "https://tenant.example.com/me/",
		JWKS:      set,
		PublicURL: "https://tenant.example.com",
		NameClaim: "name",
		Realm:     "example",
		Now:       func() time.Time { return now },
	}, nonces)
	if err != nil {
		panic(err)
	}

	// The issuer mints an access token.
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: issuerKey, KeyID: "2026-01"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	token, _ := jwt.Signed(signer).Claims(map[string]any{
		"iss": "https://tenant.example.com/", "aud": "https://tenant.example.com/me/",
		"sub": "auth0|alice", "name": "Alice", "scope": "create:me:authentication_methods",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).Serialize()

	r := httptest.NewRequest("POST", "/me/v1/authentication-methods", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	p, err := auth.Authenticate(r)
	fmt.Println(p.Subject.ID, p.Subject.Name, p.Scopes, err)

	// An hour and a leeway later, the token has expired.
	now = now.Add(time.Hour + tokenauth.DefaultLeeway)
	_, err = auth.Authenticate(r)
	for _, c := range auth.Challenges(err, "") {
		fmt.Println(c)
	}
	// Output:
	// auth0|alice Alice [create:me:authentication_methods] <nil>
	// Bearer realm="example", error="invalid_token", error_description="The access token has expired"
	// DPoP realm="example", algs="ES256 ES384 EdDSA PS256 RS256"
}
