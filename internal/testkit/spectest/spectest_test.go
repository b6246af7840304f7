package spectest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// TestSpecCopies pins testdata/ to shared/spec where that lies beside the
// repository (on the developers' machines). The committed copies are what
// every other test validates against, so a clone without shared/ beside it
// (a CI checkout) skips this comparison only: it is not an external peer.
func TestSpecCopies(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "spec")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared/spec not found beside the repository: %v", err)
	}
	for _, name := range spectest.SpecFiles {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "testdata/%s differs from shared/spec/%s: copy it again", name, name)
	}
}

func TestOperations(t *testing.T) {
	ops := spectest.Operations()
	for _, id := range []string{
		"createAuthenticationMethod", "confirmAuthenticationMethod", "getAuthenticationMethods",
		"getAuthenticationMethod", "updateAuthenticationMethod", "deleteAuthenticationMethod", "getFactors",
	} {
		assert.Contains(t, ops, id)
	}
}

func rateHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-RateLimit-Limit", "10")
	h.Set("X-RateLimit-Remaining", "9")
	h.Set("X-RateLimit-Reset", "1767225600")
	return h
}

func with(h http.Header, kv ...string) http.Header {
	h = h.Clone()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			h.Del(kv[i])
		} else {
			h.Set(kv[i], kv[i+1])
		}
	}
	return h
}

const (
	totpMethod = `{"id":"totp|dev_XXXXXXXXXXXXXXXX","type":"totp","confirmed":true,"usage":["secondary"],"created_at":"2025-01-15T10:30:00.000Z"}`
	totpStart  = `{"id":"totp|dev_XXXXXXXXXXXXXXXX","auth_session":"Fe26.2**x","barcode_uri":"otpauth://totp/a:b?secret=JBSWY3DPEHPK3PXP","manual_input_code":"JBSWY3DPEHPK3PXP"}`
	badRequest = `{"type":"invalid_request","status":400,"title":"Bad Request","detail":"Invalid request payload input","validation_errors":[{"field":"otp_code","pointer":"/otp_code","detail":"must be a string"}]}`
	limited    = `{"type":"rate_limited","status":429,"title":"Too Many Requests","detail":"Too many requests"}`
	internal   = `{"type":"internal_error","status":500,"title":"Internal Server Error","detail":"An internal error occurred"}`
	location   = "https://id.example.com/me/v1/authentication-methods/totp%7Cdev_XXXXXXXXXXXXXXXX"
)

func TestCheckResponse(t *testing.T) {
	ok := with(rateHeaders(), "Location", location)
	tests := []struct {
		name   string
		op     string
		status int
		header http.Header
		body   string
		errs   []string // substrings of the error; none means valid
	}{
		{name: "confirm 201", op: "confirmAuthenticationMethod", status: 201, header: ok, body: totpMethod},
		{name: "confirm 201 charset", op: "confirmAuthenticationMethod", status: 201, header: with(ok, "Content-Type", "application/json; charset=utf-8"), body: totpMethod},
		{name: "create 202", op: "createAuthenticationMethod", status: 202, header: ok, body: totpStart},
		{name: "400", op: "confirmAuthenticationMethod", status: 400, header: rateHeaders(), body: badRequest},
		{name: "429", op: "createAuthenticationMethod", status: 429, header: with(rateHeaders(), "Retry-After", "12"), body: limited},
		{name: "500 extension", op: "confirmAuthenticationMethod", status: 500, header: rateHeaders(), body: internal},
		{name: "413 extension", op: "createAuthenticationMethod", status: 413, header: rateHeaders(),
			body: `{"type":"payload_too_large","status":413,"title":"Request Entity Too Large","detail":"x"}`},
		{name: "409 extension", op: "confirmAuthenticationMethod", status: 409, header: rateHeaders(),
			body: `{"type":"conflict","status":409,"title":"Conflict","detail":"x"}`},

		{name: "unknown operation", op: "nope", status: 200, header: ok, body: "{}", errs: []string{"unknown operationId"}},
		{name: "undeclared status", op: "confirmAuthenticationMethod", status: 418, header: ok, body: internal, errs: []string{"status 418"}},
		{name: "413 without a body", op: "getFactors", status: 413, header: ok, body: internal, errs: []string{"status 413"}},
		{name: "missing Location", op: "confirmAuthenticationMethod", status: 201, header: rateHeaders(), body: totpMethod, errs: []string{"required header location is missing", "myaccount-api-oas.json:", "verify-authentication-method.openapi.yaml:"}},
		{name: "relative Location", op: "confirmAuthenticationMethod", status: 201, header: with(ok, "Location", "/me/v1/authentication-methods/x"), body: totpMethod, errs: []string{"not an absolute URI"}},
		{name: "missing rate limit", op: "createAuthenticationMethod", status: 202, header: with(ok, "X-RateLimit-Reset", ""), body: totpStart, errs: []string{"x-ratelimit-reset is missing"}},
		{name: "rate limit not a number", op: "createAuthenticationMethod", status: 202, header: with(ok, "X-RateLimit-Remaining", "many"), body: totpStart, errs: []string{"not a number", "not a non-negative integer"}},
		{name: "negative rate limit on an error", op: "createAuthenticationMethod", status: 400, header: with(rateHeaders(), "X-RateLimit-Remaining", "-1"), body: badRequest, errs: []string{"not a non-negative integer"}},
		{name: "429 without retry-after", op: "createAuthenticationMethod", status: 429, header: rateHeaders(), body: limited, errs: []string{"retry-after is missing"}},
		{name: "wrong content type", op: "confirmAuthenticationMethod", status: 201, header: with(ok, "Content-Type", "text/plain"), body: totpMethod, errs: []string{"not application/json"}},
		{name: "problem+json", op: "confirmAuthenticationMethod", status: 400, header: with(rateHeaders(), "Content-Type", "application/problem+json"), body: badRequest, errs: []string{"not application/json"}},
		{name: "trailing data", op: "confirmAuthenticationMethod", status: 201, header: ok, body: totpMethod + "{}", errs: []string{"trailing data"}},
		{name: "not JSON", op: "confirmAuthenticationMethod", status: 201, header: ok, body: "{", errs: []string{"not JSON"}},
		{name: "missing created_at", op: "confirmAuthenticationMethod", status: 201, header: ok,
			body: `{"id":"totp|dev_X","type":"totp","confirmed":true,"usage":["secondary"]}`, errs: []string{"created_at"}},
		{name: "bad date-time", op: "confirmAuthenticationMethod", status: 201, header: ok,
			body: `{"id":"totp|dev_X","type":"totp","confirmed":true,"usage":["secondary"],"created_at":"yesterday"}`, errs: []string{"date-time"}},
		{name: "undeclared member", op: "confirmAuthenticationMethod", status: 201, header: ok,
			body: `{"id":"totp|dev_X","type":"totp","confirmed":true,"usage":["secondary"],"created_at":"2025-01-15T10:30:00.000Z","secret":"JBSW"}`,
			errs: []string{`body member "secret" is not declared`}},
		{name: "member of another type", op: "confirmAuthenticationMethod", status: 201, header: ok,
			body: `{"id":"totp|dev_X","type":"totp","confirmed":true,"usage":["secondary"],"created_at":"2025-01-15T10:30:00.000Z","email":"a@b.c"}`,
			errs: []string{`body member "email" is not declared`}},
		{name: "error status mismatch", op: "confirmAuthenticationMethod", status: 401, header: rateHeaders(), body: badRequest, errs: []string{"differs from the HTTP status 401"}},
		{name: "error extra member", op: "confirmAuthenticationMethod", status: 400, header: rateHeaders(),
			body: `{"type":"x","status":400,"title":"Bad Request","detail":"d","trace":"secret"}`, errs: []string{"trace"}},
		{name: "validation error extra member", op: "confirmAuthenticationMethod", status: 400, header: rateHeaders(),
			body: `{"type":"x","status":400,"title":"Bad Request","detail":"d","validation_errors":[{"detail":"d","value":"123456"}]}`, errs: []string{"value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := spectest.CheckResponse(tc.op, tc.status, tc.header, []byte(tc.body))
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, s := range tc.errs {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// TestSpecExamples validates every example of the spec's 2xx responses and
// request bodies against the spec itself: the checker agrees with the spec.
func TestSpecExamples(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "myaccount-api-oas.json"))
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Content map[string]struct {
					Examples map[string]struct{ Value jsontext.Value } `json:"examples"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Examples map[string]struct{ Value jsontext.Value } `json:"examples"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	n := 0
	for _, op := range []struct{ path, method string }{
		{"/authentication-methods", "post"},
		{"/authentication-methods/{authentication_method_id}/verify", "post"},
	} {
		o := doc.Paths[op.path][op.method]
		for name, ex := range o.RequestBody.Content["application/json"].Examples {
			t.Run(o.OperationID+"/request/"+name, func(t *testing.T) {
				require.NoError(t, spectest.CheckRequest(o.OperationID, ex.Value))
			})
			n++
		}
		for status, r := range o.Responses {
			for name, ex := range r.Content["application/json"].Examples {
				t.Run(o.OperationID+"/"+status+"/"+name, func(t *testing.T) {
					require.NoError(t, spectest.CheckResponse(o.OperationID, 201+boolInt(status == "202"),
						with(rateHeaders(), "Location", location), ex.Value))
				})
				n++
			}
		}
	}
	assert.Greater(t, n, 25)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		op, body string
		valid    bool
	}{
		{"createAuthenticationMethod", `{"type":"totp"}`, true},
		{"createAuthenticationMethod", `{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"voice"}`, true},
		{"createAuthenticationMethod", `{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"fax"}`, false},
		{"createAuthenticationMethod", `{"type":"totp","email":"a@b.c"}`, false},
		{"createAuthenticationMethod", `{"type":"email"}`, false},
		{"createAuthenticationMethod", `{"type":"password","connection":"bad name"}`, false},
		{"createAuthenticationMethod", `{"type":"password","connection":"Username-Password-Authentication","identity_user_id":"abc"}`, true},
		{"createAuthenticationMethod", `{"type":"fax"}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","otp_code":"123456"}`, true},
		{"confirmAuthenticationMethod", `{"auth_session":"x"}`, true},
		{"confirmAuthenticationMethod", `{"auth_session":"x","otp_code":1}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","otp_code":"1","new_password":"p"}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","new_password":"a\u0007b"}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","new_password":"a\u0085b"}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","new_password":"é😀 ok"}`, true},
		{"confirmAuthenticationMethod", `{"otp_code":"123456"}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","authn_response":{"id":"a","rawId":"a","type":"public-key","response":{"attestationObject":"o","clientDataJSON":"c"}}}`, true},
		{"confirmAuthenticationMethod", `{"auth_session":"x","authn_response":{"id":"a","rawId":"a","type":"public-key","response":{"attestationObject":"o","clientDataJSON":"c","publicKey":"k"}}}`, false},
		{"confirmAuthenticationMethod", `{"auth_session":"x","authn_response":{"id":"a","rawId":"a","type":"password","response":{"attestationObject":"o","clientDataJSON":"c"}}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			err := spectest.CheckRequest(tc.op, []byte(tc.body))
			if tc.valid {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	require.Error(t, spectest.CheckRequest("getFactors", []byte(`{}`)))
	require.Error(t, spectest.CheckRequest("createAuthenticationMethod", []byte(`{"type":"totp"} x`)))
}

func TestCheckSchema(t *testing.T) {
	require.NoError(t, spectest.CheckSchema("ErrorResponse", []byte(internal)))
	require.Error(t, spectest.CheckSchema("ErrorResponse", []byte(`{"type":"x"}`)))
}

// TestValidateResponseReports checks that ValidateResponse fails the test
// it is given.
func TestValidateResponseReports(t *testing.T) {
	rt := &recordingT{TB: t}
	spectest.ValidateResponse(rt, "confirmAuthenticationMethod", 201, rateHeaders(), []byte(totpMethod))
	assert.True(t, rt.failed, "a missing Location fails the test")
	rt = &recordingT{TB: t}
	spectest.ValidateResponse(rt, "confirmAuthenticationMethod", 201, with(rateHeaders(), "Location", location), []byte(totpMethod))
	assert.False(t, rt.failed)
}

type recordingT struct {
	testing.TB
	failed bool
}

func (r *recordingT) Helper()               {}
func (r *recordingT) Errorf(string, ...any) { r.failed = true }
