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
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// ServerNonce passes through to the fixture's memory store.
func (c *countingNonces) ServerNonce(ctx context.Context, period int64, candidate []byte, expires time.Time) ([]byte, error) {
	return c.Nonces.(store.ServerNonces).ServerNonce(ctx, period, candidate, expires)
}

func nonceFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, tokenauth.Config{DPoPNonces: true, DPoPNonceRotation: time.Minute})
}

// currentNonce is the DPoP-Nonce the authenticator hands out now.
func currentNonce(t *testing.T, a *tokenauth.Authenticator) string {
	t.Helper()
	h := http.Header{}
	require.NoError(t, a.SetHeaders(httptest.NewRequest(http.MethodGet, testPath, nil), h))
	n := h.Get("DPoP-Nonce")
	require.NotEmpty(t, n)
	return n
}

// With nonces on, a proof without a nonce is refused with use_dpop_nonce
// (RFC 9449 §9), and the challenge names that error on the DPoP scheme.
func TestProofWithoutServerNonceIsRefused(t *testing.T) {
	f := nonceFixture(t)
	at := f.boundToken(nil)
	_, err := f.auth.AuthenticateToken(f.dpopRequest(at))
	requireFailure(t, err, tokenauth.CodeUseDPoPNonce, "dpop_nonce")
	ch := strings.Join(f.auth.Challenges(err, ""), "\n")
	assert.Contains(t, ch, `DPoP realm="verifykit", algs=`)
	assert.Contains(t, ch, `error="use_dpop_nonce"`)
	assert.Equal(t, int32(0), f.nonces.calls.Load(), "a refused proof's jti is not recorded")
}

// A proof carrying the current nonce is accepted; one with a made-up
// nonce is refused.
func TestProofWithCurrentServerNonceIsAccepted(t *testing.T) {
	f := nonceFixture(t)
	at := f.boundToken(nil)
	nonce := currentNonce(t, f.auth)
	_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"nonce": nonce}, nil)))
	require.NoError(t, err)
	for _, bad := range []any{"made-up", nonce + "x", strings.ToUpper(nonce), 42, ""} {
		_, err = f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"nonce": bad}, nil)))
		requireFailure(t, err, tokenauth.CodeUseDPoPNonce, "dpop_nonce")
	}
}

// Nonces rotate; the previous nonce stays accepted for one more rotation
// (the grace window), and not after that.
func TestServerNonceRotatesWithGraceWindow(t *testing.T) {
	f := nonceFixture(t)
	at := f.boundToken(nil)
	old := currentNonce(t, f.auth)
	f.clock.Advance(time.Minute)
	fresh := currentNonce(t, f.auth)
	assert.NotEqual(t, old, fresh, "the nonce changes every rotation")
	withNonce := func(n string) error {
		_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"nonce": n}, nil)))
		return err
	}
	require.NoError(t, withNonce(old), "the previous nonce is in its grace window")
	require.NoError(t, withNonce(fresh))
	f.clock.Advance(time.Minute)
	requireFailure(t, withNonce(old), tokenauth.CodeUseDPoPNonce, "dpop_nonce")
	require.NoError(t, withNonce(fresh), "now the previous one")
}

// Two authenticators sharing one store, as two processes sharing a
// database do, issue the same nonce and accept each other's.
func TestServerNoncesAreSharedThroughTheStore(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	mem, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(t, err)
	cfg := tokenauth.Config{Issuer: testIssuer, Audience: testAudience, PublicURL: testPublic, Now: clock.Now,
		JWKS: jwks(keyMaterial().es256), DPoPNonces: true}
	a, err := tokenauth.New(cfg, mem)
	require.NoError(t, err)
	b, err := tokenauth.New(cfg, mem)
	require.NoError(t, err)
	assert.Equal(t, currentNonce(t, a), currentNonce(t, b))
}

// Without DPoPNonces no DPoP-Nonce is set and proofs need none.
func TestNoServerNonceByDefault(t *testing.T) {
	f := newFixture(t, tokenauth.Config{})
	h := http.Header{}
	require.NoError(t, f.auth.SetHeaders(httptest.NewRequest(http.MethodGet, testPath, nil), h))
	assert.Empty(t, h.Values("DPoP-Nonce"))
	_, err := f.auth.AuthenticateToken(f.dpopRequest(f.boundToken(nil)))
	require.NoError(t, err)
}

// A failing nonce store is an outage, never "use a nonce".
func TestServerNonceStoreFailureIsAnOutage(t *testing.T) {
	f := nonceFixture(t)
	at := f.boundToken(nil)
	nonce := currentNonce(t, f.auth)
	f.clock.Advance(5 * time.Minute) // past the cache: the store is asked again
	f.auth = mustNew(t, tokenauth.Config{Issuer: testIssuer, Audience: testAudience, PublicURL: testPublic, Now: f.clock.Now,
		JWKS: jwks(keyMaterial().es256), DPoPNonces: true}, failingServerNonces{f.nonces})
	_, err := f.auth.AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, map[string]any{"nonce": nonce}, nil)))
	require.Error(t, err)
	assert.NotErrorIs(t, err, verify.ErrUnauthenticated, "an outage is not an authentication failure")
	assert.ErrorIs(t, err, errStoreDown)
	require.Error(t, f.auth.SetHeaders(httptest.NewRequest(http.MethodGet, testPath, nil), http.Header{}))
}

// DPoPNonces needs a store with ServerNonces, a DPoP mode that accepts
// DPoP, and a rotation in range.
func TestServerNonceConfigIsChecked(t *testing.T) {
	base := tokenauth.Config{Issuer: testIssuer, Audience: testAudience, PublicURL: testPublic, JWKS: jwks(keyMaterial().es256), DPoPNonces: true}
	mem, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = tokenauth.New(base, onlyNonces{mem})
	assert.ErrorContains(t, err, "store.ServerNonces")
	c := base
	c.DPoP = tokenauth.DPoPDisabled
	_, err = tokenauth.New(c, mem)
	assert.ErrorContains(t, err, "DPoPNonces")
	for _, r := range []time.Duration{time.Second, 2 * time.Hour, -time.Minute} {
		c := base
		c.DPoPNonceRotation = r
		_, err = tokenauth.New(c, mem)
		assert.ErrorContains(t, err, "DPoPNonceRotation", r)
	}
}

type onlyNonces struct{ store.Nonces }

type failingServerNonces struct{ store.Nonces }

func (failingServerNonces) ServerNonce(context.Context, int64, []byte, time.Time) ([]byte, error) {
	return nil, errStoreDown
}

var errStoreDown = errors.New("store down")

func mustNew(t *testing.T, cfg tokenauth.Config, n store.Nonces) *tokenauth.Authenticator {
	t.Helper()
	a, err := tokenauth.New(cfg, n)
	require.NoError(t, err)
	return a
}
