package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func benchPost(b *testing.B, f *fixture, path, body string, want int) {
	b.ReportAllocs()
	for b.Loop() {
		post(b, f, path, body, want)
	}
}

// post serves one request without the spec check of fixture.do.
func post(b *testing.B, f *fixture, path, body string, want int) []byte {
	hr := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+aliceToken)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, hr)
	if rec.Code != want {
		b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// BenchmarkHandlerCreate measures the handler's own work for a start
// (routing, bearer check, rate limit, validation, response) over a fake
// verifier.
func BenchmarkHandlerCreate(b *testing.B) {
	f := newFixture(b, options{verifier: &fakeVerifier{}, cfg: unlimited})
	benchPost(b, f, createPath, `{"type":"totp"}`, http.StatusAccepted)
}

// BenchmarkHandlerVerifyPasskeyBody validates a verify body at the spec's
// size limits (2000 + 1000 characters of attestation) over a fake verifier.
func BenchmarkHandlerVerifyPasskeyBody(b *testing.B) {
	f := newFixture(b, options{verifier: &fakeVerifier{verify: okMethod}, cfg: unlimited})
	body := `{"auth_session":"` + strings.Repeat("s", 1200) + `","authn_response":{"id":"` + strings.Repeat("i", 43) + `","rawId":"` + strings.Repeat("i", 43) +
		`","type":"public-key","authenticatorAttachment":"platform","clientExtensionResults":{"credProps":{"rk":true}},"response":{"attestationObject":"` +
		strings.Repeat("o", 2000) + `","clientDataJSON":"` + strings.Repeat("c", 1000) + `","transports":["internal","hybrid"]}}}`
	benchPost(b, f, verifyPath("passkey|new"), body, http.StatusCreated)
}

// BenchmarkEndToEndRecoveryCode runs start and verify of a recovery code
// through the handler, the Service, the iron sealer and the memory store.
func BenchmarkEndToEndRecoveryCode(b *testing.B) {
	f := newFixture(b, options{cfg: unlimited})
	b.ReportAllocs()
	for b.Loop() {
		var e enrollment
		if err := json.Unmarshal(post(b, f, createPath, `{"type":"recovery-code"}`, http.StatusAccepted), &e); err != nil {
			b.Fatal(err)
		}
		post(b, f, verifyPath(e.ID), verifyBody(e.AuthSession, ""), http.StatusCreated)
		// Stay under the service's per-user method cap.
		if err := f.store.Delete(context.Background(), alice.ID, e.ID); err != nil {
			b.Fatal(err)
		}
	}
}
