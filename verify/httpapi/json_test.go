package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// signInLike is a closed request schema of plain Go types, the way a
// route decodes its body with decodeJSON.
type signInLike struct {
	AuthSession   string         `json:"auth_session"`
	OTPCode       *string        `json:"otp_code"`
	Remember      bool           `json:"remember"`
	AuthnResponse jsontext.Value `json:"authn_response"`
}

// TestDecodeJSONRefusesWhatIsNotStrictJSON: every refusal of decodeJSON is
// an ErrInvalidRequest whose one field error names the member and its
// JSON pointer.
func TestDecodeJSONRefusesWhatIsNotStrictJSON(t *testing.T) {
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
			var v signInLike
			err := decodeJSON([]byte(tc.body), &v, 4)
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

// TestDecodeJSONKeepsRawValuesAsSent: a strict body decodes, and a raw
// member is the bytes sent, at the depth limit included.
func TestDecodeJSONKeepsRawValuesAsSent(t *testing.T) {
	var v signInLike
	body := " {\"auth_session\" : \"s\u00e9\",\"otp_code\":\"123456\",\"remember\":true,\n\"authn_response\" :\t{\"a\": [1, {\"b\":\"\\u0041\"}]}} \n"
	require.NoError(t, decodeJSON([]byte(body), &v, 4))
	assert.Equal(t, "s\u00e9", v.AuthSession)
	require.NotNil(t, v.OTPCode)
	assert.Equal(t, "123456", *v.OTPCode)
	assert.True(t, v.Remember)
	assert.Equal(t, `{"a": [1, {"b":"\u0041"}]}`, string(v.AuthnResponse))
}
