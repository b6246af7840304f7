package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// fuzzBody posts body to path and checks the invariants every request
// body must keep: no panic; the answer is the success status, 400 or 413;
// a success means the spec's request schema accepts the body too (the
// handler is never laxer than the spec; start types webauthn-platform and
// webauthn-roaming are the documented extension); a 400 is a spec-valid
// ErrorResponse with validation_errors, and then the verifier was not
// called.
func fuzzBody(t *testing.T, f *fixture, fake *fakeVerifier, op, path string, ok int, body []byte) {
	before := fake.calls.Load()
	hr := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+aliceToken)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, hr)
	if err := spectest.CheckResponse(op, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Fatalf("response does not conform: %v\nbody: %q", err, body)
	}
	switch rec.Code {
	case ok:
		if err := spectest.CheckRequest(op, body); err != nil && !startExtension(op, body) && spectest.CheckRequest(op, withoutToJSON(body)) != nil {
			t.Fatalf("accepted a body the spec refuses: %q\n%v", body, err)
		}
	case http.StatusBadRequest:
		var p struct {
			Type             string
			ValidationErrors []jsontext.Value `json:"validation_errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type != httpapi.ProblemInvalidRequest || len(p.ValidationErrors) == 0 {
			t.Fatalf("400 without validation errors: %s", rec.Body.String())
		}
		if fake.calls.Load() != before {
			t.Fatalf("the verifier saw a refused body: %q", body)
		}
	case http.StatusRequestEntityTooLarge:
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
	}
}

// unlimited lifts the rate limits: fuzzing sends far more requests than
// any limit allows at the fixture's frozen clock.
func unlimited(c *httpapi.Config) { c.Limiter = ratelimit.Unlimited(nil) }

// withoutToJSON is body without the toJSON copies inside
// authn_response.response (authenticatorData, publicKey,
// publicKeyAlgorithm), the documented extension of the verify body.
func withoutToJSON(body []byte) []byte {
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	a, _ := v["authn_response"].(map[string]any)
	r, _ := a["response"].(map[string]any)
	if r == nil {
		return body
	}
	delete(r, "authenticatorData")
	delete(r, "publicKey")
	delete(r, "publicKeyAlgorithm")
	b, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return b
}

func startExtension(op string, body []byte) bool {
	if op != httpapi.OpCreate {
		return false
	}
	var v struct{ Type verify.Type }
	_ = json.Unmarshal(body, &v)
	return v.Type == verify.TypeWebAuthnPlatform || v.Type == verify.TypeWebAuthnRoaming
}

func FuzzStartBody(f *testing.F) {
	for _, b := range startBodies {
		f.Add([]byte(b))
	}
	for _, b := range badStarts {
		f.Add([]byte(b.body))
	}
	f.Add([]byte(`{"type":"passkey","connection":"c","identity_user_id":"i","use_exclude_credentials":true}`))
	f.Add([]byte(`{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"voice"}`))
	fake := &fakeVerifier{}
	fx := newFixture(f, options{verifier: fake, cfg: unlimited})
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzBody(t, fx, fake, httpapi.OpCreate, createPath, http.StatusAccepted, body)
	})
}

func FuzzVerifyBody(f *testing.F) {
	for _, p := range proofs {
		f.Add([]byte(verifyBody("Fe26.2**x", p)))
	}
	for _, b := range badVerifies {
		f.Add([]byte(b.body))
	}
	f.Add([]byte(`{"auth_session":"s","authn_response":{"id":"a","rawId":"a","type":"public-key","authenticatorAttachment":"platform","clientExtensionResults":{"credProps":{"rk":true}},"response":{"attestationObject":"o","clientDataJSON":"c","transports":["usb"]}}}`))
	fake := &fakeVerifier{verify: okMethod}
	fx := newFixture(f, options{verifier: fake, cfg: unlimited})
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzBody(t, fx, fake, httpapi.OpVerify, verifyPath("totp|dev_1"), http.StatusCreated, body)
	})
}
