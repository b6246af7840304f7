package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// The P-256 base point, a valid public key with fixed coordinates.
const (
	p256X = "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY"
	p256Y = "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
)

// fixedRSAModulus is an odd 2048-bit modulus (256 bytes of 0xc5) with the
// 0x00 sign byte of Java's BigInteger.toByteArray(), as Guardian.Android
// sends n, and its canonical (unsigned) base64url form.
var (
	fixedRSAModulusJava = b64u(append([]byte{0}, bytes.Repeat([]byte{0xc5}, 256)...))
	fixedRSAModulus     = strings.Repeat("xcXF", 85) + "xQ"
)

// TestCanonicalJWKBytesArePinned: the canonical JWK kept as the device's
// stored public key has fixed bytes: kty, alg, then n and e or crv, x and
// y, in that order, without "use" or any other member the device sent,
// and RSA n without Java's sign byte. Records already stored hold these
// bytes, so they must never change.
//
// Checklist: PU-02.
func TestCanonicalJWKBytesArePinned(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{
			"Guardian.Android RSA",
			`{"kty":"RSA","alg":"RS256","use":"sig","e":"AQAB","n":"` + fixedRSAModulusJava + `"}`,
			`{"kty":"RSA","alg":"RS256","n":"` + fixedRSAModulus + `","e":"AQAB"}`,
		},
		{
			"RSA without alg, members in another order",
			`{"e":"AQAB","n":"` + fixedRSAModulus + `","kid":"k1","kty":"RSA"}`,
			`{"kty":"RSA","alg":"RS256","n":"` + fixedRSAModulus + `","e":"AQAB"}`,
		},
		{
			"EC P-256",
			`{"use":"sig","y":"` + p256Y + `","kid":"k1","x":"` + p256X + `","crv":"P-256","kty":"EC"}`,
			`{"kty":"EC","alg":"ES256","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseDeviceKey([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(k.JWK()))
			again, err := parseDeviceKey(k.JWK())
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(again.JWK()), "the canonical form is a fixed point")
		})
	}
}

// Device records as the code before json/v2 (encoding/json) wrote them.
const (
	// oldRecord is a record of the Guardian device API, with the token hash.
	oldRecord = `{"v":1,"identifier":"dev-1","name":"Pixel 9","service":"GCM","token":"fcm-token",` +
		`"public_key":{"kty":"EC","alg":"ES256","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"},` +
		`"totp_secret":"MDEyMzQ1Njc4OWFiY2RlZmdoaWo=","enrolled_at":"2026-05-06T07:08:09.123Z",` +
		`"token_hash":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`
	// oldRecordWithoutTokenHash is a record written before the device API.
	oldRecordWithoutTokenHash = `{"v":1,"identifier":"dev-1","name":"Pixel 9","service":"GCM","token":"fcm-token",` +
		`"public_key":{"kty":"EC","alg":"ES256","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"},` +
		`"totp_secret":"MDEyMzQ1Njc4OWFiY2RlZmdoaWo=","enrolled_at":"2026-05-06T07:08:09.123Z"}`
	// oldRecordHTMLEscaped has a name and a token with <, > and &, which
	// encoding/json escaped as \u003c, \u003e and \u0026.
	oldRecordHTMLEscaped = `{"v":1,"identifier":"dev\u0026co","name":"Pixel \u003cwork\u003e \u0026 home","service":"GCM","token":"a\u0026b",` +
		`"public_key":{"kty":"EC","alg":"ES256","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"},` +
		`"totp_secret":"MDEyMzQ1Njc4OWFiY2RlZmdoaWo=","enrolled_at":"2026-05-06T07:08:09.123Z",` +
		`"token_hash":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`
)

func oldRecordDevice() Device {
	h := make([]byte, 32)
	for i := range h {
		h[i] = byte(i)
	}
	return Device{
		Identifier: "dev-1", Name: "Pixel 9", Service: "GCM", Token: "fcm-token",
		PublicKey:  jsontext.Value(`{"kty":"EC","alg":"ES256","crv":"P-256","x":"` + p256X + `","y":"` + p256Y + `"}`),
		TOTPSecret: []byte("0123456789abcdefghij"),
		EnrolledAt: time.Date(2026, 5, 6, 7, 8, 9, 123e6, time.UTC),
		TokenHash:  h,
	}
}

// TestDeviceRecordsWrittenBeforeJSONv2StillDecode: stored device records
// (method secrets) as encoding/json wrote them decode to the same Device,
// and a Device is written back with the same bytes, a nil TOTPSecret as
// null; only <, > and & are now written as themselves, not as \u003c,
// \u003e and \u0026 (one JSON text for the same strings, read alike by
// both libraries).
func TestDeviceRecordsWrittenBeforeJSONv2StillDecode(t *testing.T) {
	want := oldRecordDevice()
	withoutHash := want
	withoutHash.TokenHash = nil
	noSecret := withoutHash
	noSecret.TOTPSecret = nil
	escaped := want
	escaped.Identifier, escaped.Name, escaped.Token = "dev&co", "Pixel <work> & home", "a&b"
	for _, tc := range []struct {
		name   string
		stored string
		want   Device
	}{
		{"with token hash", oldRecord, want},
		{"without token hash", oldRecordWithoutTokenHash, withoutHash},
		{"HTML characters escaped", oldRecordHTMLEscaped, escaped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDevice([]byte(tc.stored))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			b, err := got.MarshalBinary()
			require.NoError(t, err)
			again, err := ParseDevice(b)
			require.NoError(t, err)
			assert.Equal(t, tc.want, again, "written back, it decodes to the same device")
		})
	}
	for _, tc := range []struct {
		name string
		d    Device
		want string
	}{
		{"with token hash", want, oldRecord},
		{"without token hash", withoutHash, oldRecordWithoutTokenHash},
		{"nil TOTP secret", noSecret, strings.Replace(oldRecordWithoutTokenHash, `"MDEyMzQ1Njc4OWFiY2RlZmdoaWo="`, `null`, 1)},
		{"HTML characters", escaped, strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(oldRecordHTMLEscaped)},
	} {
		t.Run("bytes "+tc.name, func(t *testing.T) {
			b, err := tc.d.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(b))
		})
	}
}

// TestSealedStateWrittenBeforeJSONv2StillConfirms: the sealed state of a
// pending enrollment as encoding/json wrote it ({"v","t","s"}, the bytes
// as standard base64) confirms the enrollment once the device enrolls.
func TestSealedStateWrittenBeforeJSONv2StillConfirms(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	en := f.start(t, f.alice)
	_, err := f.enroll(t, newECDevice(t, "d1"), en)
	require.NoError(t, err)
	secret, err := b32.DecodeString(en.secret)
	require.NoError(t, err)
	h := sha256.Sum256([]byte(en.ticket))
	state := `{"v":1,"t":"` + base64.StdEncoding.EncodeToString(h[:]) + `","s":"` + base64.StdEncoding.EncodeToString(secret) + `"}`
	c, err := f.push.Confirm(context.Background(), &verify.EngineConfirm{
		Subject: f.alice, MethodID: en.ID, State: jsontext.Value(state), Request: verify.VerifyRequest{AuthSession: "x"},
	})
	require.NoError(t, err)
	dv, err := ParseDevice(c.Secret)
	require.NoError(t, err)
	assert.Equal(t, secret, dv.TOTPSecret)
	assert.Equal(t, "d1", dv.Identifier)
}

// TestDeviceRecordIsReadStrictly: a stored device record is exactly one
// JSON object of the record's members, as MarshalBinary writes it: data
// after it, a repeated or case-variant member name and an unknown member
// are refused (encoding/json's Decoder read past the first, kept the last
// duplicate and matched names case-insensitively).
func TestDeviceRecordIsReadStrictly(t *testing.T) {
	for name, rec := range map[string]string{
		"trailing data":     oldRecord + "{}",
		"repeated member":   strings.Replace(oldRecord, `"name":"Pixel 9"`, `"name":"Pixel 9","name":"Other"`, 1),
		"case-variant name": strings.Replace(oldRecord, `"name"`, `"Name"`, 1),
		"unknown member":    strings.Replace(oldRecord, `"name"`, `"nickname":"x","name"`, 1),
		"version 2":         strings.Replace(oldRecord, `"v":1`, `"v":2`, 1),
	} {
		_, err := ParseDevice([]byte(rec))
		assert.EqualError(t, err, "push: malformed device record", name)
	}
}

// TestSealedStateIsReadStrictly: the sealed state of an enrollment is one
// JSON object of its members; anything else is an invalid auth_session.
// SECURITY-CHECKLIST AS-17 (the payload, opened behind the MAC, is parsed
// strictly).
func TestSealedStateIsReadStrictly(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	state := `{"v":1,"t":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `","s":"` + base64.StdEncoding.EncodeToString(make([]byte, 20)) + `"}`
	for name, st := range map[string]string{
		"trailing data":     state + "{}",
		"repeated member":   strings.Replace(state, `"v":1`, `"v":1,"v":1`, 1),
		"case-variant name": strings.Replace(state, `"v"`, `"V"`, 1),
		"unknown member":    strings.Replace(state, `"v":1`, `"v":1,"x":1`, 1),
	} {
		_, err := f.push.Confirm(context.Background(), &verify.EngineConfirm{
			Subject: f.alice, MethodID: "push-notification|dev_x", State: jsontext.Value(st), Request: verify.VerifyRequest{AuthSession: "x"},
		})
		require.ErrorIs(t, err, verify.ErrInvalidSession, name)
	}
}

// TestDeviceAnswersKeepTheirBytes: the enroll answer, the device-account
// answer and a problem body have Guardian's members in their fixed order,
// nothing omitted that the app reads, one line each.
func TestDeviceAnswersKeepTheirBytes(t *testing.T) {
	f := newFixture(t, Config{}, 0)
	d := newECDevice(t, "answers")
	en := f.start(t, f.alice)
	call := func(method, path, auth, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		rec := httptest.NewRecorder()
		f.push.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	st, body := call(http.MethodPost, "/push/api/enroll", `Ticket id="`+en.ticket+`"`, enrollBody(d))
	require.Equal(t, http.StatusCreated, st, body)
	var resp EnrollResponse
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	assert.Equal(t, `{"id":"`+resp.ID+`","url":"https://id.example.com/push","issuer":"Example","user_id":"auth0|alice","token":"`+resp.Token+
		`","totp":{"secret":"`+en.secret+`","algorithm":"sha1","digits":6,"period":30}}`+"\n", body)
	_, err := f.verify(f.alice, en) // the device account exists once confirmed
	require.NoError(t, err)

	st, body = call(http.MethodPatch, "/push/api/device-accounts/"+resp.ID, "Bearer "+resp.Token, `{"name":"Renamed"}`)
	require.Equal(t, http.StatusOK, st, body)
	assert.Equal(t, `{"id":"`+resp.ID+`","identifier":"answers","name":"Renamed","push_credentials":{"service":"GCM","token":"push-token"}}`+"\n", body)

	st, body = call(http.MethodPatch, "/push/api/device-accounts/"+resp.ID, "Bearer "+resp.Token, `{"name":"a","name":"b"}`)
	require.Equal(t, http.StatusBadRequest, st, body)
	assert.Equal(t, `{"type":"about:blank","status":400,"title":"Bad Request","detail":"The body must be one JSON object of the documented members, each once"}`+"\n", body)
}
