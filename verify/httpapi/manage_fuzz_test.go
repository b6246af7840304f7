package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// FuzzUpdateBody holds PATCH bodies to the invariants of fuzzBody: no
// panic; 200, 400 or 413; a 200 only for a body the spec's
// UpdateAuthenticationMethodRequestContent accepts; a 400 with
// validation_errors, and then the manager was not called.
func FuzzUpdateBody(f *testing.F) {
	for _, b := range []string{
		`{}`, `{"name":"My phone"}`, `{"preferred_authentication_method":"voice"}`,
		`{"name":"a","preferred_authentication_method":"sms"}`, `{"name":""}`, `{"name":null}`,
		`{"name":"a\u0000"}`, `{"name":"a","name":"b"}`, `{"nickname":"x"}`, `[]`, ``, `{"name":"` + strings.Repeat("x", 101) + `"}`,
		`{"preferred_authentication_method":"fax"}`, `{"name":{"a":[1,2,{"b":null}]}}`,
	} {
		f.Add([]byte(b))
	}
	fake := &fakeManager{}
	fx := newManageFixture(f, options{cfg: func(c *httpapi.Config) {
		unlimited(c)
		c.Manager = fake
	}})
	f.Fuzz(func(t *testing.T, body []byte) {
		before := fake.calls.Load()
		hr := httptest.NewRequest(http.MethodPatch, methodPath("totp|dev_1"), strings.NewReader(string(body)))
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", "Bearer "+allToken)
		rec := httptest.NewRecorder()
		fx.h.ServeHTTP(rec, hr)
		if err := spectest.CheckResponse(httpapi.OpUpdate, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Fatalf("response does not conform: %v\nbody: %q", err, body)
		}
		switch rec.Code {
		case http.StatusOK:
			if err := spectest.CheckRequest(httpapi.OpUpdate, body); err != nil {
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
				t.Fatalf("the manager saw a refused body: %q", body)
			}
		case http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
