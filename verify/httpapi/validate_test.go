package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// badBody is a request body the handler refuses with 400 invalid_request.
type badBody struct {
	body    string
	pointer string // of the first validation error
	detail  string // substring of its detail
	// tighter marks a body the spec's schema accepts and verifykit refuses
	// on purpose (see the package documentation, "Strictness").
	tighter bool
}

var badStarts = []badBody{
	{body: ``, detail: "empty"},
	{body: `   `, detail: "empty"},
	{body: `[]`, detail: "must be a JSON object"},
	{body: `"totp"`, detail: "must be a JSON object"},
	{body: `null`, detail: "must be a JSON object"},
	{body: `{`, detail: "truncated"},
	{body: `{"type":"totp"`, detail: "truncated"},
	{body: `{"type":"totp",}`, detail: "not valid JSON"},
	{body: `{"type":'totp'}`, pointer: "/type", detail: "not valid JSON"},
	{body: `{"type":"totp"} {}`, detail: "data after the JSON object"},
	{body: `{"type":"totp"}x`, detail: "data after the JSON object"},
	{body: `{"type":"totp"}]`, detail: "data after the JSON object"},
	{body: "{\"type\":\"totp\xff\"}", pointer: "/type", detail: "not valid UTF-8"},
	{body: `{"type":"email","type":"totp"}`, pointer: "/type", detail: "more than once", tighter: true},
	{body: `{"type":"phone","phone_number":"+1","phone_number":"+2"}`, pointer: "/phone_number", detail: "more than once", tighter: true},
	{body: `{}`, pointer: "/type", detail: "is required"},
	{body: `{"type":null}`, pointer: "/type", detail: "must be a string"},
	{body: `{"type":1}`, pointer: "/type", detail: "must be a string"},
	{body: `{"type":"TOTP"}`, pointer: "/type", detail: "must be one of: password, passkey"},
	{body: `{"type":"sms"}`, pointer: "/type", detail: "must be one of"},
	{body: `{"Type":"totp"}`, pointer: "/type", detail: "is required"},
	{body: `{"type":"totp","email":"a@b.c"}`, pointer: "/email", detail: "not allowed for type totp"},
	{body: `{"type":"totp","name":"x"}`, pointer: "/name", detail: "not allowed for type totp"},
	{body: `{"type":"recovery-code","x/y~z":1}`, pointer: "/x~1y~0z", detail: "not allowed"},
	{body: `{"type":"email"}`, pointer: "/email", detail: "is required"},
	{body: `{"type":"email","email":5}`, pointer: "/email", detail: "must be a string"},
	{body: `{"type":"email","email":"` + strings.Repeat("a", 321) + `"}`, pointer: "/email", detail: "at most 320", tighter: true},
	{body: `{"type":"phone"}`, pointer: "/phone_number", detail: "is required"},
	{body: `{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"fax"}`, pointer: "/preferred_authentication_method", detail: "one of: sms, voice"},
	{body: `{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"SMS"}`, pointer: "/preferred_authentication_method", detail: "one of"},
	{body: `{"type":"phone","phone_number":"` + strings.Repeat("1", 65) + `"}`, pointer: "/phone_number", detail: "at most 64", tighter: true},
	{body: `{"type":"phone","phone_number":"+1","email":"a@b.c"}`, pointer: "/email", detail: "not allowed for type phone"},
	{body: `{"type":"password","connection":""}`, pointer: "/connection", detail: "must not be empty"},
	{body: `{"type":"password","connection":"a b"}`, pointer: "/connection", detail: "letters, digits and '-'"},
	{body: `{"type":"password","connection":"` + strings.Repeat("a", 129) + `"}`, pointer: "/connection", detail: "at most 128"},
	{body: `{"type":"password","identity_user_id":"a b"}`, pointer: "/identity_user_id", detail: "whitespace"},
	{body: `{"type":"password","identity_user_id":"a\u00a0b"}`, pointer: "/identity_user_id", detail: "whitespace", tighter: true},
	{body: `{"type":"password","identity_user_id":"a\ufeffb"}`, pointer: "/identity_user_id", detail: "whitespace", tighter: true},
	{body: `{"type":"password","identity_user_id":""}`, pointer: "/identity_user_id", detail: "must not be empty"},
	{body: `{"type":"password","identity_user_id":"` + strings.Repeat("a", 256) + `"}`, pointer: "/identity_user_id", detail: "at most 255"},
	{body: `{"type":"password","use_exclude_credentials":true}`, pointer: "/use_exclude_credentials", detail: "not allowed for type password"},
	{body: `{"type":"passkey","use_exclude_credentials":"yes"}`, pointer: "/use_exclude_credentials", detail: "must be a boolean"},
	{body: `{"type":"passkey","use_exclude_credentials":null}`, pointer: "/use_exclude_credentials", detail: "must be a boolean"},
	{body: `{"type":"passkey","email":"a@b.c"}`, pointer: "/email", detail: "not allowed for type passkey", tighter: true},
	{body: `{"type":"passkey","extra":{}}`, pointer: "/extra", detail: "not allowed", tighter: true},
	{body: `{"type":"totp","a":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`, pointer: "/a/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0", detail: "nested more than 16"},
}

func TestStartValidation(t *testing.T) {
	fake := &fakeVerifier{}
	f := newFixture(t, options{verifier: fake})
	for _, tc := range badStarts {
		t.Run(tc.body, func(t *testing.T) {
			rec := f.do(t, req{path: createPath, token: aliceToken, body: tc.body})
			checkBad(t, rec, tc)
			specErr := spectest.CheckRequest(httpapi.OpCreate, []byte(tc.body))
			if tc.tighter {
				assert.NoError(t, specErr, "marked as a tightening, but the spec refuses it too")
			} else {
				assert.Error(t, specErr, "the spec accepts this body: mark it as a tightening or accept it")
			}
		})
	}
	assert.Zero(t, fake.calls.Load(), "no invalid body reaches the verifier")
}

const goodAuthn = `{"id":"cred","rawId":"cred","type":"public-key","response":{"attestationObject":"o","clientDataJSON":"c"}}`

func authnWith(old, new string) string {
	return `{"auth_session":"s","authn_response":` + strings.Replace(goodAuthn, old, new, 1) + `}`
}

var badVerifies = []badBody{
	{body: `{}`, pointer: "/auth_session", detail: "is required"},
	{body: `{"otp_code":"123456"}`, pointer: "/auth_session", detail: "is required"},
	{body: `{"auth_session":null}`, pointer: "/auth_session", detail: "must be a string"},
	{body: `{"auth_session":["s"]}`, pointer: "/auth_session", detail: "must be a string"},
	{body: `{"auth_session":"` + strings.Repeat("a", 4097) + `"}`, pointer: "/auth_session", detail: "at most 4096", tighter: true},
	{body: `{"auth_session":"s","auth_session":"t"}`, pointer: "/auth_session", detail: "more than once", tighter: true},
	{body: `{"Auth_Session":"s"}`, pointer: "/auth_session", detail: "is required"},
	{body: `{"auth_session":"s","OTP_code":"123456"}`, pointer: "/OTP_code", detail: "is not allowed"},
	{body: `{"auth_session":"s"}{"auth_session":"t"}`, detail: "data after the JSON object"},
	{body: "{\"auth_session\":\"s\",\"otp_code\":\"12\xc3\"}", pointer: "/otp_code", detail: "not valid UTF-8", tighter: true},
	{body: `{"auth_session":"s","otp_code":123456}`, pointer: "/otp_code", detail: "must be a string"},
	{body: `{"auth_session":"s","otp_code":null}`, pointer: "/otp_code", detail: "must be a string"},
	{body: `{"auth_session":"s","otp_code":"` + strings.Repeat("1", 65) + `"}`, pointer: "/otp_code", detail: "at most 64", tighter: true},
	{body: `{"auth_session":"s","new_password":""}`, pointer: "/new_password", detail: "must not be empty"},
	{body: `{"auth_session":"s","new_password":"` + strings.Repeat("é", 257) + `"}`, pointer: "/new_password", detail: "at most 256"},
	{body: `{"auth_session":"s","new_password":"a\tb"}`, pointer: "/new_password", detail: "control characters"},
	{body: `{"auth_session":"s","new_password":"a\u0085b"}`, pointer: "/new_password", detail: "control characters"},
	{body: `{"auth_session":"s","new_password":"a\u007fb"}`, pointer: "/new_password", detail: "control characters"},
	{body: `{"auth_session":"s","otp_code":"1","new_password":"p"}`, pointer: "", detail: "at most one of otp_code, authn_response and new_password"},
	{body: `{"auth_session":"s","otp_code":"1","authn_response":` + goodAuthn + `}`, detail: "at most one of"},
	{body: `{"auth_session":"s","password":"p"}`, pointer: "/password", detail: "is not allowed"},
	{body: `{"auth_session":"s","hint":"my dog"}`, pointer: "/hint", detail: "is not allowed"},
	{body: `{"auth_session":"s","authn_response":null}`, pointer: "/authn_response", detail: "must be an object"},
	{body: `{"auth_session":"s","authn_response":"x"}`, pointer: "/authn_response", detail: "must be an object"},
	{body: authnWith(`"id":"cred",`, ``), pointer: "/authn_response/id", detail: "is required"},
	{body: authnWith(`"rawId":"cred",`, ``), pointer: "/authn_response/rawId", detail: "is required"},
	{body: authnWith(`"id":"cred"`, `"id":"`+strings.Repeat("A", 1365)+`"`), pointer: "/authn_response/id", detail: "at most 1364"},
	{body: authnWith(`"rawId":"cred"`, `"rawId":7`), pointer: "/authn_response/rawId", detail: "must be a string"},
	{body: authnWith(`"type":"public-key"`, `"type":"password"`), pointer: "/authn_response/type", detail: `must be "public-key"`},
	{body: authnWith(`"type":"public-key"`, `"type":1`), pointer: "/authn_response/type", detail: "must be a string"},
	{body: authnWith(`"type":"public-key",`, ``), pointer: "/authn_response/type", detail: "is required"},
	{body: authnWith(`"type":"public-key"`, `"type":"public-key","authenticatorAttachment":"usb"`), pointer: "/authn_response/authenticatorAttachment", detail: "platform, cross-platform"},
	{body: authnWith(`"type":"public-key"`, `"type":"public-key","clientExtensionResults":[]`), pointer: "/authn_response/clientExtensionResults", detail: "must be an object"},
	{body: authnWith(`"type":"public-key"`, `"type":"public-key","foo":1`), pointer: "/authn_response/foo", detail: "not allowed", tighter: true},
	{body: authnWith(`,"response":{"attestationObject":"o","clientDataJSON":"c"}`, ``), pointer: "/authn_response/response", detail: "is required"},
	{body: authnWith(`{"attestationObject":"o","clientDataJSON":"c"}`, `[]`), pointer: "/authn_response/response", detail: "must be an object"},
	{body: authnWith(`"attestationObject":"o",`, ``), pointer: "/authn_response/response/attestationObject", detail: "is required"},
	{body: authnWith(`,"clientDataJSON":"c"`, ``), pointer: "/authn_response/response/clientDataJSON", detail: "is required"},
	{body: authnWith(`"attestationObject":"o"`, `"attestationObject":"`+strings.Repeat("o", 2001)+`"`), pointer: "/authn_response/response/attestationObject", detail: "at most 2000"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"`+strings.Repeat("c", 1001)+`"`), pointer: "/authn_response/response/clientDataJSON", detail: "at most 1000"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":{"type":"webauthn.create"}`), pointer: "/authn_response/response/clientDataJSON", detail: "must be a string"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","attestationData":"a"`), pointer: "/authn_response/response/attestationData", detail: "not allowed"},
	// The browser's toJSON copies are an extension, bounded and typed.
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","authenticatorData":1`), pointer: "/authn_response/response/authenticatorData", detail: "must be a string"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","publicKeyAlgorithm":"ES256"`), pointer: "/authn_response/response/publicKeyAlgorithm", detail: "integer"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","transports":"usb"`), pointer: "/authn_response/response/transports", detail: "array of strings"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","transports":["usb",1]`), pointer: "/authn_response/response/transports/1", detail: "must be a string"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","transports":["`+strings.Repeat("u", 101)+`"]`), pointer: "/authn_response/response/transports/0", detail: "at most 100"},
	{body: authnWith(`"clientDataJSON":"c"`, `"clientDataJSON":"c","transports":[`+strings.Repeat(`"usb",`, 16)+`"nfc"]`), pointer: "/authn_response/response/transports", detail: "at most 16 items", tighter: true},
	{body: authnWith(`"type":"public-key"`, `"type":"public-key","clientExtensionResults":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}}}}}}}`),
		pointer: "/authn_response/clientExtensionResults/a/a/a/a/a/a/a/a/a/a/a/a/a/a", detail: "nested more than 16", tighter: true},
	{body: authnWith(`"type":"public-key"`, `"type":"public-key","clientExtensionResults":{"credProps":{"rk":true},"credProps":{"rk":false}}`),
		pointer: "/authn_response/clientExtensionResults/credProps", detail: "more than once", tighter: true},
}

func TestVerifyValidation(t *testing.T) {
	fake := &fakeVerifier{}
	f := newFixture(t, options{verifier: fake})
	for _, tc := range badVerifies {
		name := tc.body
		if len(name) > 120 {
			name = name[:120]
		}
		t.Run(name, func(t *testing.T) {
			rec := f.do(t, req{path: verifyPath("passkey|new"), token: aliceToken, body: tc.body})
			checkBad(t, rec, tc)
			specErr := spectest.CheckRequest(httpapi.OpVerify, []byte(tc.body))
			if tc.tighter {
				assert.NoError(t, specErr, "marked as a tightening, but the spec refuses it too")
			} else {
				assert.Error(t, specErr, "the spec accepts this body: mark it as a tightening or accept it")
			}
		})
	}
	assert.Zero(t, fake.calls.Load(), "no invalid body reaches the verifier")
}

func checkBad(t *testing.T, rec interface {
	Result() *http.Response
}, tc badBody) {
	t.Helper()
	r := rec.Result()
	require.Equal(t, http.StatusBadRequest, r.StatusCode)
	var p problem
	require.NoError(t, decodeJSON(r, &p))
	assert.Equal(t, httpapi.ProblemInvalidRequest, p.Type)
	assert.Equal(t, "Invalid request payload input", p.Detail)
	require.NotEmpty(t, p.ValidationErrors)
	v := p.ValidationErrors[0]
	assert.Equal(t, tc.pointer, v.Pointer)
	assert.Contains(t, v.Detail, tc.detail)
	if tc.pointer != "" {
		want := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.TrimPrefix(tc.pointer, "/"), "/", "."), "~1", "/"), "~0", "~")
		assert.Equal(t, want, v.Field)
	}
}

// TestValidationReportsEveryField: several problems, one entry each, in a
// stable order, capped.
func TestValidationReportsEveryField(t *testing.T) {
	f := newFixture(t, options{verifier: &fakeVerifier{}})
	rec := f.do(t, req{path: verifyPath("x"), token: aliceToken,
		body: `{"auth_session":1,"otp_code":2,"z":1,"a":2,"authn_response":{"id":1,"response":{}}}`})
	p := problemOf(t, rec)
	var ptrs []string
	for _, v := range p.ValidationErrors {
		ptrs = append(ptrs, v.Pointer)
	}
	assert.Equal(t, []string{
		"/auth_session", "/otp_code", "/authn_response/id", "/authn_response/rawId", "/authn_response/type",
		"/authn_response/response/attestationObject", "/authn_response/response/clientDataJSON", "/a", "/z",
	}, ptrs)

	var many strings.Builder
	many.WriteString(`{"auth_session":"s"`)
	for i := range 40 {
		many.WriteString(`,"k` + strings.Repeat("x", i) + `":1`)
	}
	many.WriteString(`}`)
	rec = f.do(t, req{path: verifyPath("x"), token: aliceToken, body: many.String()})
	assert.Len(t, problemOf(t, rec).ValidationErrors, 16)

	long := strings.Repeat("n", 200)
	rec = f.do(t, req{path: verifyPath("x"), token: aliceToken, body: `{"auth_session":"s","` + long + `":1}`})
	v := problemOf(t, rec).ValidationErrors[0]
	assert.Equal(t, strings.Repeat("n", 64)+"…", v.Field, "a long member name is clipped")
}

// TestGoodBodiesFollowTheSpec: every body the handler accepts in these
// tests is one the spec accepts (the other direction of the tables above).
func TestGoodBodiesFollowTheSpec(t *testing.T) {
	f := newFixture(t, options{verifier: &fakeVerifier{verify: okMethod}})
	for _, tc := range []struct{ op, path, body string }{
		{httpapi.OpCreate, createPath, `{"type":"totp"}`},
		{httpapi.OpCreate, createPath, ` {"type" : "email", "email":"a@b.c"} ` + "\n"},
		{httpapi.OpCreate, createPath, `{"type":"phone","phone_number":"+15551234567","preferred_authentication_method":"sms"}`},
		{httpapi.OpCreate, createPath, `{"type":"password","connection":"Username-Password-Authentication","identity_user_id":"auth0|507f1f77bcf86cd799439011"}`},
		{httpapi.OpCreate, createPath, `{"type":"passkey","connection":"c","identity_user_id":"i","use_exclude_credentials":true}`},
		{httpapi.OpVerify, verifyPath("x"), `{"auth_session":"s"}`},
		{httpapi.OpVerify, verifyPath("x"), `{"auth_session":"","otp_code":""}`},
		{httpapi.OpVerify, verifyPath("x"), `{"auth_session":"s","new_password":"` + strings.Repeat("é", 256) + `"}`},
		{httpapi.OpVerify, verifyPath("x"), `{"auth_session":"s","authn_response":{"id":"a","rawId":"a","type":"public-key","authenticatorAttachment":"cross-platform","clientExtensionResults":{},"response":{"attestationObject":"` + strings.Repeat("o", 2000) + `","clientDataJSON":"` + strings.Repeat("c", 1000) + `","transports":["usb","nfc","ble","internal","hybrid","smart-card"]}}}`},
	} {
		t.Run(tc.body[:min(len(tc.body), 80)], func(t *testing.T) {
			rec := f.do(t, req{path: tc.path, token: aliceToken, body: tc.body})
			require.Contains(t, []int{201, 202}, rec.Code, rec.Body.String())
			require.NoError(t, spectest.CheckRequest(tc.op, []byte(tc.body)))
		})
	}
}

func TestRaisedAttestationLimits(t *testing.T) {
	f := newFixture(t, options{verifier: &fakeVerifier{verify: okMethod}, cfg: func(c *httpapi.Config) {
		c.MaxAttestationObject, c.MaxClientDataJSON = 6000, 2000
	}})
	body := authnWith(`"attestationObject":"o"`, `"attestationObject":"`+strings.Repeat("o", 6000)+`"`)
	rec := f.do(t, req{path: verifyPath("x"), token: aliceToken, body: body})
	assert.Equal(t, 201, rec.Code, rec.Body.String())
	body = authnWith(`"attestationObject":"o"`, `"attestationObject":"`+strings.Repeat("o", 6001)+`"`)
	rec = f.do(t, req{path: verifyPath("x"), token: aliceToken, body: body})
	assert.Equal(t, 400, rec.Code)
}
