package tokenauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

const (
	testIssuer   = "https://tenant.example.com/"
	testAudience = "https://tenant.example.com/me/"
	testPublic   = "https://api.example.com"
	testPath     = "/me/v1/authentication-methods"
	testURL      = testPublic + testPath
	testSubject  = "auth0|507f1f77bcf86cd799439011"
)

var b64 = base64.RawURLEncoding

// signingKey is a private key with the kid and alg it signs with.
type signingKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// keyMaterial is generated once per test binary: RSA key generation is
// slow under -race.
var keyMaterial = sync.OnceValue(func() (m struct {
	es256, es256b, es384, rs256, rs1024 *signingKey
	ed                                  *signingKey
	client, client2, clientRS           *signingKey
}) {
	ec := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	rs := func(bits int) crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	m.es256 = &signingKey{"ec-1", "ES256", ec(elliptic.P256())}
	m.es256b = &signingKey{"ec-2", "ES256", ec(elliptic.P256())}
	m.es384 = &signingKey{"ec-384", "ES384", ec(elliptic.P384())}
	m.rs256 = &signingKey{"rsa-1", "RS256", rs(2048)}
	m.rs1024 = &signingKey{"rsa-weak", "RS256", rs(1024)}
	m.ed = &signingKey{"ed-1", "EdDSA", ed}
	m.client = &signingKey{"", "ES256", ec(elliptic.P256())}
	m.client2 = &signingKey{"", "ES256", ec(elliptic.P256())}
	m.clientRS = &signingKey{"", "PS256", rs(2048)}
	return m
})

// publicJWK returns the public JWK of k as a JSON object, written by hand
// (RFC 7517, RFC 7518 §6, RFC 8037 §2) rather than by the library under
// test.
func publicJWK(k crypto.Signer) map[string]any {
	switch pub := k.Public().(type) {
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes() // 0x04 ‖ X ‖ Y, each of the curve's size
		if err != nil {
			panic(err)
		}
		size := (len(raw) - 1) / 2
		return map[string]any{
			"kty": "EC", "crv": pub.Curve.Params().Name,
			"x": b64.EncodeToString(raw[1 : 1+size]),
			"y": b64.EncodeToString(raw[1+size:]),
		}
	case *rsa.PublicKey:
		return map[string]any{
			"kty": "RSA", "n": b64.EncodeToString(pub.N.Bytes()),
			"e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(pub)}
	}
	panic("unknown key type")
}

// privateJWK returns k's JWK with its private members.
func privateJWK(k crypto.Signer) map[string]any {
	m := publicJWK(k)
	switch priv := k.(type) {
	case *ecdsa.PrivateKey:
		d, err := priv.Bytes() // fixed length: the curve's size
		if err != nil {
			panic(err)
		}
		m["d"] = b64.EncodeToString(d)
	case *rsa.PrivateKey:
		m["d"] = b64.EncodeToString(priv.D.Bytes())
		m["p"] = b64.EncodeToString(priv.Primes[0].Bytes())
		m["q"] = b64.EncodeToString(priv.Primes[1].Bytes())
	case ed25519.PrivateKey:
		m["d"] = b64.EncodeToString(priv.Seed())
	}
	return m
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of k's public key,
// computed from the required members in lexicographic order.
func thumbprint(k crypto.Signer) string {
	j := publicJWK(k)
	var s string
	switch j["kty"] {
	case "EC":
		s = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, j["crv"], j["x"], j["y"])
	case "RSA":
		s = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, j["e"], j["n"])
	case "OKP":
		s = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":%q}`, j["x"])
	}
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:])
}

// jwks returns a JWK Set of the public keys of ks, each with kid, alg and
// use "sig".
func jwks(ks ...*signingKey) []byte {
	var keys []map[string]any
	for _, k := range ks {
		j := publicJWK(k.priv)
		j["kid"], j["alg"], j["use"] = k.kid, k.alg, "sig"
		keys = append(keys, j)
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// sign returns the compact JWS of header and claims signed by priv with
// alg, built by hand so tests control every header member. The JSON is
// written by encoding/json, playing the issuer and the client: an encoder
// independent of the json/v2 the package decodes with. A []byte priv
// signs with HMAC; alg "none" leaves the signature empty.
func sign(alg string, priv any, header, claims map[string]any) string {
	h := map[string]any{"alg": alg}
	for k, v := range header {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	hb, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return signBytes(alg, priv, hb, cb)
}

// signBytes returns the compact JWS of the header and claims bytes as
// given, so tests can sign JSON no encoder would write (a repeated name,
// invalid UTF-8).
func signBytes(alg string, priv any, header, claims []byte) string {
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	return input + "." + b64.EncodeToString(signature(alg, priv, []byte(input)))
}

func signature(alg string, priv any, input []byte) []byte {
	digest := func(h crypto.Hash) []byte {
		d := h.New()
		d.Write(input)
		return d.Sum(nil)
	}
	switch k := priv.(type) {
	case []byte:
		var mac = hmac.New(sha256.New, k)
		if alg == "HS512" {
			mac = hmac.New(sha512.New, k)
		}
		mac.Write(input)
		return mac.Sum(nil)
	case *ecdsa.PrivateKey:
		h := map[string]crypto.Hash{"ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512}[alg]
		if h == 0 {
			h = crypto.SHA256
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest(h))
		if err != nil {
			panic(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		return append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
	case *rsa.PrivateKey:
		var (
			sig []byte
			err error
		)
		if strings.HasPrefix(alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest(crypto.SHA256), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest(crypto.SHA256))
		}
		if err != nil {
			panic(err)
		}
		return sig
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input)
	case nil:
		return nil
	}
	panic("unknown key type")
}

// fixture is an Authenticator under test with its clock, nonce store,
// issuer keys and client keys.
type fixture struct {
	t      testing.TB
	clock  *storetest.Clock
	nonces *countingNonces
	auth   *tokenauth.Authenticator
	issuer *signingKey // signs tokens by default
	client *signingKey // DPoP key by default
}

// countingNonces counts UseNonce calls and can fail them.
type countingNonces struct {
	store.Nonces
	calls atomic.Int32
	err   error
}

func (c *countingNonces) UseNonce(ctx context.Context, key []byte, exp time.Time) error {
	c.calls.Add(1)
	if c.err != nil {
		return c.err
	}
	return c.Nonces.UseNonce(ctx, key, exp)
}

// newFixture returns a fixture whose Authenticator trusts the JWKS of
// every issuer key, with cfg's other fields as given (Issuer, Audience,
// PublicURL, Now and the JWKS source default to the test values).
func newFixture(t testing.TB, cfg tokenauth.Config) *fixture {
	t.Helper()
	m := keyMaterial()
	f := &fixture{t: t, clock: storetest.NewClock(storetest.Epoch), issuer: m.es256, client: m.client}
	mem, err := memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	f.nonces = &countingNonces{Nonces: mem}
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	if cfg.PublicURL == "" && cfg.DPoP != tokenauth.DPoPDisabled {
		cfg.PublicURL = testPublic
	}
	if cfg.Now == nil {
		cfg.Now = f.clock.Now
	}
	if cfg.JWKS == nil && cfg.JWKSFile == "" && cfg.JWKSURL == "" {
		cfg.JWKS = jwks(m.es256, m.es256b, m.rs256, m.ed)
	}
	f.auth, err = tokenauth.New(cfg, f.nonces)
	require.NoError(t, err)
	return f
}

// claims returns valid access-token claims at the fixture's clock.
func (f *fixture) claims() map[string]any {
	now := f.clock.Now()
	return map[string]any{
		"iss": testIssuer, "sub": testSubject, "aud": []string{testAudience, "https://tenant.example.com/userinfo"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"scope": "openid " + httpapi.ScopeCreateMethods, "client_id": "client-1",
	}
}

// token signs claims, patched by edit (a nil value deletes a claim), with
// the issuer key k (f.issuer when nil).
func (f *fixture) token(k *signingKey, edit map[string]any) string {
	if k == nil {
		k = f.issuer
	}
	c := f.claims()
	for name, v := range edit {
		if v == nil {
			delete(c, name)
			continue
		}
		c[name] = v
	}
	return sign(k.alg, k.priv, map[string]any{"kid": k.kid, "typ": "at+jwt"}, c)
}

// boundToken returns a token bound to the client key (cnf.jkt).
func (f *fixture) boundToken(edit map[string]any) string {
	e := map[string]any{"cnf": map[string]any{"jkt": thumbprint(f.client.priv)}}
	for k, v := range edit {
		e[k] = v
	}
	return f.token(nil, e)
}

// proof returns a DPoP proof by key k (f.client when nil) for method,
// uri and access token at, patched by edit (claims) and hdr (header).
func (f *fixture) proof(k *signingKey, method, uri, at string, edit, hdr map[string]any) string {
	if k == nil {
		k = f.client
	}
	sum := sha256.Sum256([]byte(at))
	c := map[string]any{
		"jti": rand.Text(), "htm": method, "htu": uri,
		"iat": f.clock.Now().Unix(), "ath": b64.EncodeToString(sum[:]),
	}
	for name, v := range edit {
		if v == nil {
			delete(c, name)
			continue
		}
		c[name] = v
	}
	h := map[string]any{"typ": "dpop+jwt", "jwk": publicJWK(k.priv)}
	for name, v := range hdr {
		h[name] = v
	}
	return sign(k.alg, k.priv, h, c)
}

// request returns a POST to testURL with the Authorization header auth
// (none when "") and the DPoP header fields proofs.
func request(auth string, proofs ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, testPath, strings.NewReader(`{}`))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

// dpopRequest returns a valid DPoP request for the bound token at.
func (f *fixture) dpopRequest(at string) *http.Request {
	return request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil))
}

// requireFailure asserts err is an *httpapi.AuthError with code and the
// log reason reason, matching verify.ErrUnauthenticated.
func requireFailure(t testing.TB, err error, code, reason string) *httpapi.AuthError {
	t.Helper()
	require.Error(t, err)
	var ae *httpapi.AuthError
	require.True(t, errors.As(err, &ae), "want *httpapi.AuthError, got %T: %v", err, err)
	require.Equal(t, code, ae.Code, "code of %v", err)
	require.Equal(t, reason, verify.ReasonOf(err), "reason of %v", err)
	require.ErrorIs(t, err, verify.ErrUnauthenticated)
	return ae
}
