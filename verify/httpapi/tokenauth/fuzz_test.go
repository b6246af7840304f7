package tokenauth_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// FuzzAuthenticate feeds arbitrary Authorization and DPoP header values
// (and mutations of valid ones) to AuthenticateToken. Invariants: no
// panic; a failure is a client error (an *httpapi.AuthError matching
// verify.ErrUnauthenticated) with no token; a success has a subject; and
// a proof is never accepted twice.
func FuzzAuthenticate(f *testing.F) {
	fx := newFixture(f, tokenauth.Config{})
	bound := fx.boundToken(nil)
	proof := fx.proof(nil, http.MethodPost, testURL, bound, nil, nil)
	plain := fx.token(nil, nil)
	f.Add("Bearer "+plain, "")
	f.Add("DPoP "+bound, proof)
	f.Add("Bearer "+bound, proof)
	f.Add("DPoP "+plain, proof)
	f.Add("bearer  "+plain+"=", "")
	f.Add("DPoP "+bound, proof+"."+proof)
	f.Add("Basic dXNlcg==", "")
	f.Add("DPoP e30.e30.e30", "e30.e30.e30")
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.", "")
	f.Fuzz(func(t *testing.T, authorization, dpop string) {
		r := request(authorization)
		if authorization == "" {
			r.Header["Authorization"] = []string{""}
		}
		if dpop != "" {
			r.Header.Set("DPoP", dpop)
		}
		tok, err := fx.auth.AuthenticateToken(r)
		if err != nil {
			require.Nil(t, tok)
			var ae *httpapi.AuthError
			require.True(t, errors.As(err, &ae), "%T %v", err, err)
			require.ErrorIs(t, err, verify.ErrUnauthenticated)
			return
		}
		require.NotEmpty(t, tok.Subject.ID)
		if tok.Scheme == tokenauth.SchemeDPoP {
			_, err := fx.auth.AuthenticateToken(r)
			require.Error(t, err, "a proof is accepted once")
		}
	})
}
