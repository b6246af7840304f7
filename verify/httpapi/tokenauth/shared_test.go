package tokenauth_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// TestDPoPReplayAcrossProcesses: two Authenticators, as two server
// processes, each with its own connection to one SQLite database (the
// sqlstore implementation of store.Nonces): a proof accepted by one is
// refused by the other.
func TestDPoPReplayAcrossProcesses(t *testing.T) {
	m := keyMaterial()
	dsn := filepath.Join(t.TempDir(), "verifykit.db")
	var key [32]byte
	copy(key[:], "tokenauth shared-store test key")
	var auths []*tokenauth.Authenticator
	f := newFixture(t, tokenauth.Config{})
	for range 2 {
		st, err := sqlstore.Open(context.Background(), sqlstore.Config{
			Driver: sqlstore.DriverSQLite, DSN: dsn, Keys: []sqlstore.Key{{ID: "k", Secret: key}}, Now: f.clock.Now,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		a, err := tokenauth.New(tokenauth.Config{
			Issuer: testIssuer, Audience: testAudience, PublicURL: testPublic,
			JWKS: jwks(m.es256), Now: f.clock.Now,
		}, st)
		require.NoError(t, err)
		auths = append(auths, a)
	}
	at := f.boundToken(nil)
	p := f.proof(nil, http.MethodPost, testURL, at, nil, nil)
	_, err := auths[0].AuthenticateToken(request("DPoP "+at, p))
	require.NoError(t, err)
	_, err = auths[1].AuthenticateToken(request("DPoP "+at, p))
	requireFailure(t, err, tokenauth.CodeInvalidDPoPProof, "dpop_replay")
	_, err = auths[1].AuthenticateToken(request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil)))
	require.NoError(t, err, "a fresh proof is accepted by the other process")
}
