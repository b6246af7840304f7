package passkey

import (
	"context"
	stdjson "encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/jsoncompat"
	"github.com/verifykit/verifykit/verify"
)

// The documents the engine writes and reads with json/v2, pinned to the
// bytes encoding/json wrote and read before the move.

// Options bytes as the engine sent them under encoding/json (captured from
// the code before the move, with the same seeded randomness).
const (
	goldenCreationOptions = `{"challenge":"EvSkZU76K9EeOp6X4uIw4e5jWsyooeLXZ2Zj89QVckc","timeout":300000,"rp":{"id":"example.org","name":"Tom's \u003cShop\u003e \u0026 Co"},"user":{"id":"DQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0","name":"tom\u0026jerry","displayName":"Tom \u2028\u003cb\u003e\u0026amp;\u003c/b\u003e."},"pubKeyCredParams":[{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}],"excludeCredentials":[{"type":"public-key","id":"auZ4P0-96RtuuItzpI7SR9vliC4leWg0MsG_xSVFSt0","transports":["internal","hybrid"]}],"authenticatorSelection":{"residentKey":"required","userVerification":"required"},"attestation":"direct","attestationFormats":["none","packed","tpm","android-key","fido-u2f","apple"],"hints":["hybrid","security-key"],"extensions":{"credProps":true,"prf":{}}}`
	goldenStepUpOptions   = `{"challenge":"OjEd6FvNsyB7fIMdHJAgFXQEieoVVCY4X7Z41xDzZ_s","timeout":300000,"rpId":"example.org","allowCredentials":[{"type":"public-key","id":"auZ4P0-96RtuuItzpI7SR9vliC4leWg0MsG_xSVFSt0","transports":["internal","hybrid"]}],"userVerification":"required","hints":["hybrid","security-key"]}`
	goldenUsernameless    = `{"challenge":"KJ0E9CkZQf43QwPyIJ6kUzx1GNu0mWVYFFFxu5ryspg","timeout":300000,"rpId":"example.org","allowCredentials":[],"userVerification":"required","hints":["hybrid","security-key"]}`
)

// The creation and request options, authn_params_public_key, are the
// bytes they were, names with <, >, & and U+2028 included.
func TestOptionsBytesAreUnchanged(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	h := newHarness(t, verify.TypePasskey, func(c *Config) {
		c.RPName = "Tom's <Shop> & Co"
		c.RequestPRF = true
		c.Attestation = AttestationDirect
		c.Hints = []string{HintHybrid, HintSecurityKey}
	})
	tom := verify.Subject{ID: "auth0|tom", Username: "tom&jerry", Name: "Tom \u2028<b>&amp;</b>."}
	c := h.enroll(tom, "passkey|dev_a", true, false, false, 0)
	ctx := context.Background()
	expires := testNow.Add(5 * time.Minute)

	ch, err := h.e.Start(ctx, &verify.EngineStart{Subject: tom, Request: verify.StartRequest{Type: h.e.Type()}, ExpiresAt: expires})
	require.NoError(t, err)
	step, err := h.e.Challenge(ctx, &verify.EngineStart{Subject: tom, Method: c.method, Record: c.rec, ExpiresAt: expires})
	require.NoError(t, err)
	anyone, err := h.e.Challenge(ctx, &verify.EngineStart{ExpiresAt: expires})
	require.NoError(t, err)
	assert.Equal(t, goldenCreationOptions, string(ch.AuthnParamsPublicKey))
	assert.Equal(t, goldenStepUpOptions, string(step.AuthnParamsPublicKey))
	assert.Equal(t, goldenUsernameless, string(anyone.AuthnParamsPublicKey))
}

// The creation options encode as encoding/json encoded them, member for
// member and string for string (pubKeyCredParams is never empty: the
// configured algorithms, at least one). The one difference: invalid UTF-8
// becomes U+FFFD in both, written as the character rather than \ufffd.
func TestCreationOptionsEncodeAsEncodingJSONDid(t *testing.T) {
	params := []credParam{{Type: "public-key", Alg: -7}, {Type: "public-key", Alg: -257}}
	full := creationOptions{
		Challenge: "AAEC", Timeout: 300000,
		RP:               rpEntity{ID: "example.org", Name: "<Shop> & Co"},
		User:             userEntity{ID: "AQID", Name: "a&b", DisplayName: "x\u2028y\u2029z"},
		PubKeyCredParams: params,
		ExcludeCredentials: []credDescriptor{
			{Type: "public-key", ID: "AAAA", Transports: []string{"usb", "nfc"}},
			{Type: "public-key", ID: "BBBB"},
			{Type: "public-key", ID: "CCCC", Transports: []string{}},
		},
		AuthenticatorSelection: authenticatorSelector{AuthenticatorAttachment: "platform", ResidentKey: "required", UserVerification: "required"},
		Attestation:            "direct", AttestationFormats: []string{"packed", "tpm"}, Hints: []string{"client-device"},
		Extensions: &creationExtensions{CredProps: true, PRF: &struct{}{}},
	}
	encode := func(o creationOptions) (old, now string) {
		t.Helper()
		want, err := stdjson.Marshal(o)
		require.NoError(t, err)
		got, err := json.Marshal(o, jsoncompat.SentBytes)
		require.NoError(t, err)
		return string(want), string(got)
	}
	for name, o := range map[string]creationOptions{
		"minimal":       {PubKeyCredParams: params},
		"full":          full,
		"credProps":     {PubKeyCredParams: params, Extensions: &creationExtensions{CredProps: true}},
		"prf":           {PubKeyCredParams: params, Extensions: &creationExtensions{PRF: &struct{}{}}},
		"no extension":  {PubKeyCredParams: params, Extensions: &creationExtensions{}},
		"empty lists":   {PubKeyCredParams: params, ExcludeCredentials: []credDescriptor{}, AttestationFormats: []string{}, Hints: []string{}},
		"control chars": {PubKeyCredParams: params, User: userEntity{Name: "\x00\x01\b\f\n\r\t\x1f\x7f\"\\/", DisplayName: "\u00e9\U0001F600\ufeff\ufffd"}},
	} {
		old, now := encode(o)
		assert.Equal(t, old, now, name)
	}
	old, now := encode(creationOptions{PubKeyCredParams: params, User: userEntity{Name: "\xff\xfe", DisplayName: "a\xe2\x80b\xc3", ID: "\xed\xa0\x80"}})
	assert.Equal(t, old, strings.ReplaceAll(now, "\ufffd", `\ufffd`), "invalid UTF-8")
	var a, b creationOptions
	require.NoError(t, stdjson.Unmarshal([]byte(old), &a))
	require.NoError(t, stdjson.Unmarshal([]byte(now), &b))
	assert.Equal(t, a, b, "the same value")
}

// The /.well-known/webauthn document is the bytes it was.
func TestRelatedOriginsDocumentBytesAreUnchanged(t *testing.T) {
	h, err := WellKnownWebAuthn([]string{"https://shop.example.co.uk", "https://example.de"})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/webauthn", nil))
	assert.Equal(t, `{"origins":["https://shop.example.co.uk","https://example.de"]}`, rec.Body.String())
}

// A sealed state as the code before json/v2 wrote it still decodes: as
// verify.Service sealed it with json/v2 ("cm":false written, since
// omitempty does not omit false there) and as encoding/json wrote it
// ("cm" omitted). Written now, it is encoding/json's bytes again.
func TestSealedStateWrittenBeforeJSONv2StillDecodes(t *testing.T) {
	want := sealedState{
		Version: 1, Type: verify.TypePasskey, RPID: "example.org",
		Challenge:  []byte("0123456789abcdef0123456789abcdef"),
		UserHandle: []byte{1, 2, 3, 4, 0xff}, UV: UVRequired, Algs: []int64{-7, -257},
		Attestation: AttestationNone, Identity: "auth0|alice", Expires: 1767225900000,
		Extensions: []string{"credProps"},
	}
	const (
		v1 = `{"v":1,"t":"passkey","rp":"example.org","c":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","u":"AQIDBP8=","uv":"required","a":[-7,-257],"at":"none","iu":"auth0|alice","exp":1767225900000,"ext":["credProps"]}`
		v2 = `{"v":1,"t":"passkey","rp":"example.org","c":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","u":"AQIDBP8=","uv":"required","a":[-7,-257],"at":"none","iu":"auth0|alice","exp":1767225900000,"cm":false,"ext":["credProps"]}`
	)
	for _, raw := range []string{v1, v2} {
		got, err := decodeState(jsontext.Value(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, want, got)
	}
	// verify.Service seals the state with a plain json.Marshal.
	b, err := json.Marshal(want)
	require.NoError(t, err)
	assert.Equal(t, v1, string(b))

	cond := want
	cond.Conditional, cond.Formats = true, []string{"packed"}
	b, err = json.Marshal(cond)
	require.NoError(t, err)
	old, err := stdjson.Marshal(cond)
	require.NoError(t, err)
	assert.Equal(t, string(old), string(b))
	got, err := decodeState(b)
	require.NoError(t, err)
	assert.Equal(t, cond, got)
}

// The sealed state is decoded strictly (json/v2): a repeated or
// case-variant member name, invalid UTF-8 and trailing data are refused;
// encoding/json took the last of repeated members, matched names in any
// case, replaced invalid UTF-8, and its More check let a trailing ] or }
// through. (The state is authenticated by the seal; this is defence in
// depth.) SECURITY-CHECKLIST AS-17.
func TestSealedStateIsDecodedStrictly(t *testing.T) {
	const good = `{"v":1,"t":"passkey","rp":"example.org","c":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","u":"AQIDBP8=","uv":"required","a":[-7],"at":"none","iu":"auth0|alice","exp":1767225900000}`
	_, err := decodeState(jsontext.Value(good))
	require.NoError(t, err)
	for name, raw := range map[string]string{
		"repeated member":    strings.Replace(good, `"rp":"example.org"`, `"rp":"evil.example","rp":"example.org"`, 1),
		"case-variant name":  strings.Replace(good, `"rp":`, `"RP":`, 1),
		"invalid UTF-8":      strings.Replace(good, `auth0|alice`, "auth0|\xffalice", 1),
		"trailing ]":         good + `]`,
		"trailing }":         good + `}`,
		"trailing value":     good + `{}`,
		"unknown member":     strings.Replace(good, `"v":1`, `"v":1,"x":0`, 1),
		"not an object":      `[]`,
		"empty":              ``,
		"cm of another type": strings.Replace(good, `"v":1`, `"v":1,"cm":"yes"`, 1),
	} {
		_, err := decodeState(jsontext.Value(raw))
		assert.ErrorIs(t, err, errState, name)
	}
}

// authn_response of a registration is decoded strictly (json/v2): member
// names match case-sensitively, so "rawID" or "ClientDataJSON" is an
// unknown member and refused, where encoding/json matched them to rawId
// and clientDataJSON; repeated names and invalid UTF-8 stay refused.
// SECURITY-CHECKLIST WA-02.
func TestRegistrationResponseMemberNamesAreCaseSensitive(t *testing.T) {
	n := newVNone(t)
	good := string(n.body(t, nil, nil))
	_, err := n.confirm(t, jsontext.Value(good), nil)
	require.NoError(t, err)
	for name, body := range map[string]string{
		"rawID":                   strings.Replace(good, `"rawId":`, `"rawID":`, 1),
		"Type":                    strings.Replace(good, `"type":`, `"Type":`, 1),
		"ClientDataJSON":          strings.Replace(good, `"clientDataJSON":`, `"ClientDataJSON":`, 1),
		"attestationobject":       strings.Replace(good, `"attestationObject":`, `"attestationobject":`, 1),
		"repeated type":           strings.Replace(good, `"type":"public-key"`, `"type":"public-key","type":"public-key"`, 1),
		"invalid UTF-8":           strings.Replace(good, `"type":"public-key"`, "\"type\":\"public-key\",\"authenticatorAttachment\":\"\xff\"", 1),
		"trailing data":           good + `{}`,
		"case-variant extensions": strings.Replace(good, `"type":"public-key"`, `"type":"public-key","ClientExtensionResults":{}`, 1),
	} {
		require.NotEqual(t, good, body, name)
		_, err := n.confirm(t, jsontext.Value(body), nil)
		malformed(t, err, "authn_response")
	}
}

// An AAGUID names file is decoded by json/v2: a repeated AAGUID is an
// error (encoding/json kept the last), and a member name in another case
// does not match, so an entry with "Name" has no name.
func TestAAGUIDNamesFileIsDecodedStrictly(t *testing.T) {
	const id = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
	_, err := ParseAAGUIDNames([]byte(`{"` + id + `":{"name":"Google Password Manager"}}`))
	require.NoError(t, err)
	for name, file := range map[string]string{
		"repeated AAGUID": `{"` + id + `":{"name":"A"},"` + id + `":{"name":"B"}}`,
		"case-variant":    `{"` + id + `":{"Name":"Google Password Manager"}}`,
		"repeated name":   `{"` + id + `":{"name":"A","name":"B"}}`,
		"invalid UTF-8":   `{"` + id + `":{"name":"A` + "\xff" + `"}}`,
	} {
		_, err := ParseAAGUIDNames([]byte(file))
		assert.Error(t, err, name)
	}
}
