package httpapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// signInLike is a closed request schema, decoded the way a route decodes
// its body.
type signInLike struct {
	AuthSession   member                 `json:"auth_session"`
	OTPCode       member                 `json:"otp_code"`
	Remember      member                 `json:"remember"`
	AuthnResponse object[credentialBody] `json:"authn_response"`
	Unknown       unknown                `json:",unknown"`
}

// decodeSignInLike decodes body with the options of a Config.MaxDepth of
// 4: auth_session and otp_code strings, remember a boolean.
func decodeSignInLike(body []byte) (signInLike, error) {
	return decode(decodeOptions(4), body, func(s *scope, b *signInLike) signInLike {
		s.str("auth_session", b.AuthSession, false, 0, 0)
		s.str("otp_code", b.OTPCode, false, 0, 0)
		s.boolean("remember", b.Remember)
		s.refuse(b.Unknown, "is not allowed", "")
		return *b
	})
}

// TestDecodeRefusesWhatIsNotStrictJSON: every refusal of a body that is
// not strict JSON is an ErrInvalidRequest whose one field error names the
// member and its JSON pointer.
func TestDecodeRefusesWhatIsNotStrictJSON(t *testing.T) {
	for _, tc := range []struct{ body, pointer, detail string }{
		{``, "", "empty"},
		{` `, "", "empty"},
		{`[]`, "", "must be a JSON object"},
		{`null`, "", "must be a JSON object"},
		{`x`, "", "must be a JSON object"},
		{`{`, "", "truncated"},
		{`{"auth_session":"s"`, "", "truncated"},
		{`{"auth_session":"s",}`, "", "not valid JSON"},
		{`{"auth_session":"s"} {}`, "", "data after the JSON object"},
		{`{"auth_session":"s"}x`, "", "data after the JSON object"},
		{"{\"auth_session\":\"s\xff\"}", "/auth_session", "not valid UTF-8"},
		{`{"auth_session":"s","auth_session":"t"}`, "/auth_session", "more than once"},
		{`{"authn_response":{"a":1,"a":2}}`, "/authn_response/a", "more than once"},
		{`{"auth_session":"s","\u0061uth_session":"t"}`, "/auth_session", "more than once"},
		{`{"Auth_Session":"s"}`, "/Auth_Session", "is not allowed"},
		{`{"auth_session":"s","x/y~z":1}`, "/x~1y~0z", "is not allowed"},
		{`{"auth_session":1}`, "/auth_session", "must be a string"},
		{`{"otp_code":["1"]}`, "/otp_code", "must be a string"},
		{`{"remember":"yes"}`, "/remember", "must be a boolean"},
		{`{"authn_response":` + strings.Repeat("[", 4) + strings.Repeat("]", 4) + `}`, "/authn_response/0/0/0", "nested more than 4"},
		{`{"authn_response":{"a":{"b":{"c":{}}}}}`, "/authn_response/a/b/c", "nested more than 4"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			_, err := decodeSignInLike([]byte(tc.body))
			require.ErrorIs(t, err, verify.ErrInvalidRequest)
			var ve *verify.Error
			require.True(t, errors.As(err, &ve))
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, tc.pointer, ve.Fields[0].Pointer)
			assert.Contains(t, ve.Fields[0].Detail, tc.detail)
			want := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.TrimPrefix(tc.pointer, "/"), "/", "."), "~1", "/"), "~0", "~")
			assert.Equal(t, want, ve.Fields[0].Field)
		})
	}
}

// TestDecodeKeepsRawValuesAsSent: a strict body decodes, and an object
// member is the bytes sent, at the depth limit included.
func TestDecodeKeepsRawValuesAsSent(t *testing.T) {
	body := " {\"auth_session\" : \"s\u00e9\",\"otp_code\":\"123456\",\"remember\":true,\n\"authn_response\" :\t{\"a\": [1, {\"b\":\"\\u0041\"}]}} \n"
	v, err := decodeSignInLike([]byte(body))
	require.NoError(t, err)
	assert.Equal(t, "s\u00e9", v.AuthSession.s)
	assert.Equal(t, jsontext.Kind('"'), v.OTPCode.kind)
	assert.Equal(t, "123456", v.OTPCode.s)
	assert.Equal(t, jsontext.Kind('t'), v.Remember.kind)
	assert.Equal(t, `{"a": [1, {"b":"\u0041"}]}`, string(v.AuthnResponse.raw([]byte(body))))
}

// TestMembersARouteDoesNotTakeAreRefused: a member one proof body or
// credential response takes and the other does not is refused there with
// "is not allowed", never ignored.
func TestMembersARouteDoesNotTakeAreRefused(t *testing.T) {
	attestation := `{"auth_session":"s","authn_response":{"id":"a","rawId":"a","type":"public-key","response":{"attestationObject":"o","clientDataJSON":"c"%s}}}`
	assertion := `{"auth_session":"s","authn_response":{"id":"a","rawId":"a","type":"public-key","response":{"clientDataJSON":"c","authenticatorData":"d","signature":"s"%s}}}`
	for _, tc := range []struct {
		signIn        bool
		body, pointer string
	}{
		{false, `{"auth_session":"s","recovery_code":"r"}`, "/recovery_code"},
		{false, `{"auth_session":"s","password":"p"}`, "/password"},
		{true, `{"auth_session":"s","new_password":"p"}`, "/new_password"},
		{false, fmt.Sprintf(attestation, `,"signature":"s"`), "/authn_response/response/signature"},
		{false, fmt.Sprintf(attestation, `,"userHandle":null`), "/authn_response/response/userHandle"},
		{true, fmt.Sprintf(assertion, `,"attestationObject":"o"`), "/authn_response/response/attestationObject"},
		{true, fmt.Sprintf(assertion, `,"transports":["usb"]`), "/authn_response/response/transports"},
		{true, fmt.Sprintf(assertion, `,"publicKey":null`), "/authn_response/response/publicKey"},
		{true, fmt.Sprintf(assertion, `,"publicKeyAlgorithm":-7`), "/authn_response/response/publicKeyAlgorithm"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			_, err := benchHandler.decodeProof([]byte(tc.body), tc.signIn)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, ve.Fields, verify.FieldError{Field: strings.ReplaceAll(tc.pointer[1:], "/", "."), Pointer: tc.pointer, Detail: "is not allowed"})
		})
	}
}
