package faulttest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/verify"
)

// TestKit: the Kit's client side confirms every method type, and its
// wrong proofs are refused as the client's mistake.
func TestKit(t *testing.T) {
	k := faulttest.NewKit(t, faulttest.KitConfig{})
	require.NotNil(t, k.Push)
	for _, typ := range verify.Types() {
		t.Run(string(typ), func(t *testing.T) {
			sub := "auth0|kit-" + string(typ)
			e := k.Start(t, sub, typ)
			if wrong, _, ok := k.WrongProof(t, e); ok {
				rec := k.Verify(t, e, wrong)
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				assert.Contains(t, []string{"invalid_proof", "invalid_request"}, faulttest.ProblemOf(t, rec).Type)
			}
			if typ == verify.TypePushNotification {
				rec := k.Verify(t, e, k.Proof(t, e))
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
				assert.Equal(t, "enrollment_pending", faulttest.ProblemOf(t, rec).Type)
				k.EnrollDevice(t, e)
			}
			proof := k.Proof(t, e)
			assert.Equal(t, proof, k.Proof(t, e), "Proof is stable")
			rec := k.Verify(t, e, proof)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			ms, err := k.Store.Inner().List(context.Background(), sub)
			require.NoError(t, err)
			require.Len(t, ms, 1)
			assert.Equal(t, string(typ), ms[0].Type)
			rec = k.Verify(t, e, proof)
			require.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Equal(t, "session_already_used", faulttest.ProblemOf(t, rec).Type)
		})
	}
}

func TestWrongCode(t *testing.T) {
	for _, code := range []string{"000000", "123456", "98765432"} {
		w := faulttest.WrongCode(code)
		require.Len(t, w, len(code))
		for i := range code {
			assert.NotEqual(t, code[i], w[i])
		}
	}
}
