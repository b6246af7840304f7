package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/verifykit/verifykit/verify"
)

func benchRequest(b *testing.B, f *fixture, method, path, body string, want int) {
	b.ReportAllocs()
	for b.Loop() {
		hr := httptest.NewRequest(method, path, strings.NewReader(body))
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+allToken)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, hr)
		if rec.Code != want {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkHandlerList lists five methods of mixed types through the
// handler, the Service and the memory store.
func BenchmarkHandlerList(b *testing.B) {
	f := newManageFixture(b, options{cfg: unlimited})
	for _, typ := range []verify.Type{verify.TypeTOTP, verify.TypePhone, verify.TypePasskey, verify.TypePassword, verify.TypeRecoveryCode} {
		f.enroll(b, allToken, typ)
	}
	benchRequest(b, f, http.MethodGet, listPath, "", http.StatusOK)
}

// BenchmarkHandlerUpdate renames a method through the handler, the Service
// and the memory store (read, optimistic write, event).
func BenchmarkHandlerUpdate(b *testing.B) {
	f := newManageFixture(b, options{cfg: unlimited})
	id := f.enroll(b, allToken, verify.TypeTOTP)
	benchRequest(b, f, http.MethodPatch, methodPath(id), `{"name":"Authenticator on my phone"}`, http.StatusOK)
}
