package tokenauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// TestDPoP: a DPoP-bound token with a valid proof authenticates, by every
// kind of client key, and its jti is recorded.
func TestDPoP(t *testing.T) {
	m := keyMaterial()
	for _, k := range []*signingKey{m.client, m.clientRS} {
		t.Run(k.alg, func(t *testing.T) {
			f := newFixture(t, tokenauth.Config{})
			f.client = k
			at := f.boundToken(nil)
			tok, err := f.auth.AuthenticateToken(f.dpopRequest(at))
			require.NoError(t, err)
			assert.Equal(t, tokenauth.SchemeDPoP, tok.Scheme)
			assert.Equal(t, thumbprint(k.priv), tok.JKT)
			assert.Equal(t, testSubject, tok.Subject.ID)
			assert.Equal(t, int32(1), f.nonces.calls.Load())
		})
	}
	t.Run("EdDSA proof", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{})
		f.client = &signingKey{alg: "EdDSA", priv: m.ed.priv}
		at := f.boundToken(nil)
		_, err := f.auth.AuthenticateToken(f.dpopRequest(at))
		require.NoError(t, err)
	})
	t.Run("htu normalization", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{})
		at := f.boundToken(nil)
		for _, uri := range []string{
			"HTTPS://API.Example.COM/me/v1/authentication-methods",
			"https://api.example.com:443/me/v1/authentication-methods",
			"https://api.example.com/me/v1/%61uthentication-methods",
		} {
			_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, uri, at, nil, nil)))
			assert.NoError(t, err, uri)
		}
	})
	t.Run("the request's query is ignored", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{})
		at := f.boundToken(nil)
		r := request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil))
		r.URL.RawQuery = "a=b"
		_, err := f.auth.AuthenticateToken(r)
		require.NoError(t, err)
	})
	t.Run("escaped path", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{})
		at := f.boundToken(nil)
		uri := testURL + "/phone%7Cdev_1/verify"
		r := httptest.NewRequest(http.MethodPost, testPath+"/phone%7cdev_1/verify", nil)
		r.Header.Set("Authorization", "DPoP "+at)
		r.Header.Set("DPoP", f.proof(nil, http.MethodPost, uri, at, nil, nil))
		_, err := f.auth.AuthenticateToken(r)
		require.NoError(t, err, "%7c and %7C are the same octet")
	})
	t.Run("a PublicURL with a path prefix", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{PublicURL: "https://id.example.com/api/"})
		at := f.boundToken(nil)
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, "https://id.example.com/api"+testPath, at, nil, nil)))
		require.NoError(t, err)
		_, err = f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil)))
		requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, "dpop_htu")
	})
}

// TestDPoPRejected: the negative cases of RFC 9449 §4.3, the binding, and
// the replay cache, each refused by its own check, and never consuming a
// jti unless every other check passed.
func TestDPoPRejected(t *testing.T) {
	m := keyMaterial()
	leeway, maxAge := tokenauth.DefaultLeeway, tokenauth.DefaultProofMaxAge
	tests := []struct {
		name, reason string
		code         string // default invalid_dpop_proof
		build        func(f *fixture, at string) *http.Request
	}{
		{"missing proof", "dpop_missing", "", func(f *fixture, at string) *http.Request {
			return request("DPoP " + at)
		}},
		{"two proof headers", "dpop_multiple", "", func(f *fixture, at string) *http.Request {
			p := f.proof(nil, http.MethodPost, testURL, at, nil, nil)
			return request("DPoP "+at, p, p)
		}},
		{"two proofs in one header", "dpop_malformed", "", func(f *fixture, at string) *http.Request {
			p := f.proof(nil, http.MethodPost, testURL, at, nil, nil)
			return request("DPoP "+at, p+", "+p)
		}},
		{"proof too long", "dpop_size", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, strings.Repeat("a", tokenauth.MaxProofBytes+1))
		}},
		{"proof not a JWT", "dpop_malformed", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, "not-a-jwt")
		}},
		{"wrong htm", "dpop_htm", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodGet, testURL, at, nil, nil))
		}},
		{"htm in lower case", "dpop_htm", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, "post", testURL, at, nil, nil))
		}},
		{"wrong htu host", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, "https://evil.example.com"+testPath, at, nil, nil))
		}},
		{"wrong htu path", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL+"/x/verify", at, nil, nil))
		}},
		{"htu over http", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, "http://api.example.com"+testPath, at, nil, nil))
		}},
		{"htu with a query", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			r := request("DPoP "+at, f.proof(nil, http.MethodPost, testURL+"?a=b", at, nil, nil))
			r.URL.RawQuery = "a=b"
			return r
		}},
		{"htu with an empty query", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL+"?", at, nil, nil))
		}},
		{"htu with a fragment", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL+"#x", at, nil, nil))
		}},
		{"htu with userinfo", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, "https://u@api.example.com"+testPath, at, nil, nil))
		}},
		{"htu relative", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testPath, at, nil, nil))
		}},
		{"the Host header is not trusted", "dpop_htu", "", func(f *fixture, at string) *http.Request {
			r := request("DPoP "+at, f.proof(nil, http.MethodPost, "https://evil.example.com"+testPath, at, nil, nil))
			r.Host = "evil.example.com"
			r.Header.Set("X-Forwarded-Host", "evil.example.com")
			return r
		}},
		{"iat too old", "dpop_iat", "", func(f *fixture, at string) *http.Request {
			old := f.clock.Now().Add(-maxAge - leeway - time.Second).Unix()
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"iat": old}, nil))
		}},
		{"iat in the future", "dpop_iat", "", func(f *fixture, at string) *http.Request {
			future := f.clock.Now().Add(leeway + time.Second).Unix()
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"iat": future}, nil))
		}},
		{"iat a string", "dpop_claims", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"iat": "now"}, nil))
		}},
		{"no jti", "dpop_claims", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"jti": nil}, nil))
		}},
		{"empty jti", "dpop_claims", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"jti": ""}, nil))
		}},
		{"no htm", "dpop_claims", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"htm": nil}, nil))
		}},
		{"no ath", "dpop_claims", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"ath": nil}, nil))
		}},
		{"ath of another token", "dpop_ath", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, f.boundToken(map[string]any{"jti": "other"}), nil, nil))
		}},
		{"wrong typ", "dpop_typ", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"typ": "JWT"}))
		}},
		{"no typ", "dpop_typ", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"typ": nil}))
		}},
		{"typ at+jwt (a token as a proof)", "dpop_typ", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"typ": "at+jwt"}))
		}},
		{"private key in the header jwk", "dpop_jwk_private", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"jwk": privateJWK(f.client.priv)}))
		}},
		{"symmetric key in the header jwk", "dpop_alg", "", func(f *fixture, at string) *http.Request {
			secret := []byte("0123456789abcdef0123456789abcdef")
			p := sign("HS256", secret, map[string]any{"typ": "dpop+jwt", "jwk": map[string]any{"kty": "oct", "k": b64.EncodeToString(secret)}},
				map[string]any{"jti": "j", "htm": "POST", "htu": testURL, "iat": f.clock.Now().Unix()})
			return request("DPoP "+at, p)
		}},
		{"alg none", "dpop_alg", "", func(f *fixture, at string) *http.Request {
			p := sign("none", nil, map[string]any{"typ": "dpop+jwt", "jwk": publicJWK(f.client.priv)},
				map[string]any{"jti": "j", "htm": "POST", "htu": testURL, "iat": f.clock.Now().Unix()})
			return request("DPoP "+at, p)
		}},
		{"no jwk", "dpop_jwk", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"jwk": nil}))
		}},
		{"jwk not an object", "dpop_jwk", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"jwk": "key"}))
		}},
		{"jwk an RSA key too short", "dpop_jwk", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(&signingKey{alg: "RS256", priv: m.rs1024.priv}, http.MethodPost, testURL, at, nil, nil))
		}},
		{"alg ES256 with an RSA jwk", "dpop_jwk", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"jwk": publicJWK(m.rs256.priv)}))
		}},
		{"signed by another key than the jwk", "dpop_signature", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(m.client2, http.MethodPost, testURL, at, nil, map[string]any{"jwk": publicJWK(f.client.priv)}))
		}},
		{"crit", "dpop_crit", "", func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, map[string]any{"crit": []string{"x"}, "x": 1}))
		}},
		{"proof key not the token's cnf.jkt", "dpop_binding", httpapi.CodeInvalidToken, func(f *fixture, at string) *http.Request {
			return request("DPoP "+at, f.proof(m.client2, http.MethodPost, testURL, at, nil, nil))
		}},
		{"bearer use of a DPoP-bound token", "dpop_bound_as_bearer", httpapi.CodeInvalidToken, func(f *fixture, at string) *http.Request {
			return request("Bearer " + at)
		}},
		{"bearer use of a DPoP-bound token, with its proof", "dpop_bound_as_bearer", httpapi.CodeInvalidToken, func(f *fixture, at string) *http.Request {
			return request("Bearer "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil))
		}},
		{"DPoP scheme with an unbound token", "dpop_unbound_token", httpapi.CodeInvalidToken, func(f *fixture, at string) *http.Request {
			plain := f.token(nil, nil)
			return request("DPoP "+plain, f.proof(nil, http.MethodPost, testURL, plain, nil, nil))
		}},
		{"DPoP scheme with an invalid token", "token_iss", httpapi.CodeInvalidToken, func(f *fixture, at string) *http.Request {
			bad := f.boundToken(map[string]any{"iss": "https://evil.example.com/"})
			return request("DPoP "+bad, f.proof(nil, http.MethodPost, testURL, bad, nil, nil))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tokenauth.Config{})
			at := f.boundToken(nil)
			tok, err := f.auth.AuthenticateToken(tc.build(f, at))
			assert.Nil(t, tok)
			code := tc.code
			if code == "" {
				code = tokenauth.CodeInvalidDPoPProof
			}
			requireFailure(t, err, code, tc.reason)
			assert.Zero(t, f.nonces.calls.Load(), "a refused proof consumes no jti")
			_, err = f.auth.AuthenticateToken(f.dpopRequest(at))
			require.NoError(t, err, "the token still works with a valid proof")
		})
	}
}

// TestDPoPReplay: a proof is accepted once; its replay is refused while its
// iat is fresh (the jti cache) and afterwards (the iat window), so there is
// no instant at which a captured proof is accepted again.
func TestDPoPReplay(t *testing.T) {
	f := newFixture(t, tokenauth.Config{})
	at := f.boundToken(nil)
	p := f.proof(nil, http.MethodPost, testURL, at, nil, nil)
	_, err := f.auth.AuthenticateToken(request("DPoP "+at, p))
	require.NoError(t, err)
	window := tokenauth.DefaultProofMaxAge + tokenauth.DefaultLeeway + 2*time.Second
	for step := time.Duration(0); step <= window; step += 500 * time.Millisecond {
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, p))
		require.Error(t, err, "replay at +%v", step)
		var ae *httpapi.AuthError
		require.True(t, errors.As(err, &ae))
		require.Equal(t, tokenauth.CodeInvalidDPoPProof, ae.Code)
		require.Contains(t, []string{"dpop_replay", "dpop_iat"}, verify.ReasonOf(err))
		f.clock.Advance(500 * time.Millisecond)
	}
	t.Run("same jti, another key", func(t *testing.T) {
		// The replay cache is scoped to the proof key: a client cannot burn
		// another client's jti.
		m := keyMaterial()
		f := newFixture(t, tokenauth.Config{})
		at := f.boundToken(nil)
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"jti": "shared"}, nil)))
		require.NoError(t, err)
		f.client = m.client2
		at2 := f.boundToken(nil)
		_, err = f.auth.AuthenticateToken(request("DPoP "+at2, f.proof(nil, http.MethodPost, testURL, at2, map[string]any{"jti": "shared"}, nil)))
		require.NoError(t, err)
	})
	t.Run("concurrent replays", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{})
		at := f.boundToken(nil)
		p := f.proof(nil, http.MethodPost, testURL, at, nil, nil)
		const n = 32
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				_, err := f.auth.AuthenticateToken(request("DPoP "+at, p))
				errs <- err
			}()
		}
		close(start)
		ok := 0
		for range n {
			if err := <-errs; err == nil {
				ok++
			} else {
				requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, "dpop_replay")
			}
		}
		assert.Equal(t, 1, ok, "exactly one of concurrent uses of one proof is accepted")
	})
}

// TestDPoPModes: DPoPRequired refuses bearer tokens; DPoPDisabled refuses
// the DPoP scheme and bound tokens, and needs no nonce store.
func TestDPoPModes(t *testing.T) {
	t.Run("required", func(t *testing.T) {
		f := newFixture(t, tokenauth.Config{DPoP: tokenauth.DPoPRequired})
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireFailure(t, err, httpapi.CodeInvalidToken, "dpop_required")
		_, err = f.auth.AuthenticateToken(f.dpopRequest(f.boundToken(nil)))
		require.NoError(t, err)
		ch := f.auth.Challenges(httpapi.ErrNoCredentials, "")
		require.Len(t, ch, 1)
		assert.True(t, strings.HasPrefix(ch[0], "DPoP "))
	})
	t.Run("disabled", func(t *testing.T) {
		m := keyMaterial()
		a, err := tokenauth.New(tokenauth.Config{
			Issuer: testIssuer, Audience: testAudience, DPoP: tokenauth.DPoPDisabled,
			JWKS: jwks(m.es256), Now: func() time.Time { return storetest.Epoch },
		}, nil)
		require.NoError(t, err)
		f := newFixture(t, tokenauth.Config{DPoP: tokenauth.DPoPDisabled})
		_, err = a.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		at := f.boundToken(nil)
		_, err = a.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil)))
		requireFailure(t, err, httpapi.CodeInvalidRequest, "dpop_unsupported")
		_, err = a.AuthenticateToken(request("Bearer " + at))
		requireFailure(t, err, httpapi.CodeInvalidToken, "dpop_bound_as_bearer")
		ch := a.Challenges(err, "")
		require.Len(t, ch, 1)
		assert.True(t, strings.HasPrefix(ch[0], `Bearer realm="verifykit", error="invalid_token"`), ch[0])
	})
}

// TestDPoPNonceStoreFailure: a failing nonce store fails the request as
// an outage (500), never as a bad proof and never open.
func TestDPoPNonceStoreFailure(t *testing.T) {
	for _, storeErr := range []error{store.ErrFull, errors.New("database is down"), context.DeadlineExceeded} {
		f := newFixture(t, tokenauth.Config{})
		f.nonces.err = storeErr
		_, err := f.auth.AuthenticateToken(f.dpopRequest(f.boundToken(nil)))
		require.ErrorIs(t, err, storeErr)
		assert.Nil(t, verify.Kind(err), "an outage matches no client error kind")
		var ae *httpapi.AuthError
		assert.False(t, errors.As(err, &ae))
	}
}

// TestChallenges: the WWW-Authenticate values for each kind of failure.
func TestChallenges(t *testing.T) {
	f := newFixture(t, tokenauth.Config{Realm: "api"})
	algs := `algs="ES256 ES384 EdDSA PS256 RS256"`
	at := f.boundToken(nil)
	_, bearerErr := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, map[string]any{"aud": "x"})))
	_, proofErr := f.auth.AuthenticateToken(request("DPoP " + at))
	_, headerErr := f.auth.AuthenticateToken(request("Basic x"))
	tests := []struct {
		name  string
		err   error
		scope string
		want  []string
	}{
		{"no credentials", httpapi.ErrNoCredentials, "", []string{`Bearer realm="api"`, `DPoP realm="api", ` + algs}},
		{"nil", nil, "", []string{`Bearer realm="api"`, `DPoP realm="api", ` + algs}},
		{"bad bearer token", bearerErr, "", []string{
			`Bearer realm="api", error="invalid_token", error_description="The access token is invalid"`,
			`DPoP realm="api", ` + algs,
		}},
		{"bad proof", proofErr, "", []string{
			`Bearer realm="api"`,
			`DPoP realm="api", ` + algs + `, error="invalid_dpop_proof", error_description="A single DPoP proof header is required"`,
		}},
		{"malformed header", headerErr, "", []string{
			`Bearer realm="api", error="invalid_request", error_description="The Authorization header must be a single Bearer or DPoP credential"`,
			`DPoP realm="api", ` + algs + `, error="invalid_request", error_description="The Authorization header must be a single Bearer or DPoP credential"`,
		}},
		{"insufficient scope", nil, httpapi.ScopeCreateMethods, []string{
			`Bearer realm="api", error="insufficient_scope", error_description="The access token lacks a required scope", scope="create:me:authentication_methods"`,
			`DPoP realm="api", ` + algs + `, error="insufficient_scope", error_description="The access token lacks a required scope", scope="create:me:authentication_methods"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, f.auth.Challenges(tc.err, tc.scope))
		})
	}
}
