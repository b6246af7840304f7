package tokenauth_test

import (
	"net/http"
	"testing"

	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// BenchmarkBearer: one bearer token validation (JWKS cached), per
// algorithm.
func BenchmarkBearer(b *testing.B) {
	m := keyMaterial()
	for _, k := range []*signingKey{m.es256, m.rs256, m.ed} {
		b.Run(k.alg, func(b *testing.B) {
			f := newFixture(b, tokenauth.Config{})
			r := request("Bearer " + f.token(k, nil))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.auth.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDPoP: one DPoP validation — an ES256 access token and an ES256
// (or PS256) proof, with the jti recorded in the memory store. Proofs are
// signed before the timer starts.
func BenchmarkDPoP(b *testing.B) {
	m := keyMaterial()
	for _, k := range []*signingKey{m.client, m.clientRS} {
		b.Run(k.alg, func(b *testing.B) {
			f := newFixture(b, tokenauth.Config{})
			f.client = k
			at := f.boundToken(nil)
			reqs := make([]*http.Request, b.N)
			for i := range reqs {
				reqs[i] = request("DPoP "+at, f.proof(nil, http.MethodPost, testURL, at, nil, nil))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.auth.Authenticate(reqs[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
