package push

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What a device sends is decoded with json/v2: a member name given twice,
// invalid UTF-8 and a case variant of a member name are refused, each with
// the error any other malformed input of the same place gets. Under
// encoding/json the last duplicate won, invalid UTF-8 became U+FFFD and
// names matched case-insensitively.

// enrollBody is a Guardian enroll body for d, without a proof, with the
// members given (name to JSON text) replacing or adding to Guardian's.
func enrollBody(d *device, members ...string) string {
	m := []string{
		`"identifier":"` + d.id + `"`,
		`"name":"` + d.name + `"`,
		`"push_credentials":{"service":"GCM","token":"push-token"}`,
		`"public_key":` + string(d.jwk),
	}
	return "{" + strings.Join(append(m, members...), ",") + "}"
}

// jwkError is the RequestError Enroll returns for req's public key.
func jwkError(t *testing.T, f *fixture, d *device, key string) *RequestError {
	t.Helper()
	en := f.start(t, f.alice)
	req := d.request(t, en.baseURL, en.ticket, f.clock.Now())
	req.PublicKey, req.Proof = jsontext.Value(key), ""
	_, err := f.push.Enroll(context.Background(), en.ticket, req)
	var rerr *RequestError
	require.True(t, errors.As(err, &rerr), "%v", err)
	require.ErrorIs(t, err, ErrInvalidRequest)
	return rerr
}

// ecJWK is d's public key as a JWK with members (JSON text) inserted
// after "kty", before the device's own members.
func ecJWK(d *device, members string) string {
	return strings.Replace(string(d.jwk), `"kty":"EC",`, `"kty":"EC",`+members+`,`, 1)
}

// TestDeviceRequestWithRepeatedMemberNamesIsRefused: an enroll body, and
// a device key given to Enroll directly, whose members repeat a name are
// refused with the error of a body or key that is not JSON; the ticket is
// not spent.
func TestDeviceRequestWithRepeatedMemberNamesIsRefused(t *testing.T) {
	f, d, h, auth := enrollRequest(t, "dup")
	_, _, notJSON := post(t, h, http.MethodPost, auth, "application/json", []byte(`{`))
	for name, body := range map[string]string{
		"name":                     enrollBody(d, `"name":"Evil"`),
		"identifier":               enrollBody(d, `"identifier":"other-device"`),
		"push_credentials.service": strings.Replace(enrollBody(d), `{"service":"GCM",`, `{"service":"SMS","service":"GCM",`, 1),
		"public_key.crv":           strings.Replace(enrollBody(d), `"crv":"P-256"`, `"crv":"P-384","crv":"P-256"`, 1),
	} {
		st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(body))
		assert.Equal(t, http.StatusBadRequest, st, name)
		assert.Equal(t, notJSON["detail"], m["detail"], name)
	}
	st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(enrollBody(d)))
	require.Equal(t, http.StatusCreated, st, "the ticket was not spent: %v", m)

	want := jwkError(t, f, d, `[]`)
	for _, key := range []string{
		ecJWK(d, `"crv":"P-384"`), // then "crv":"P-256", the last one, which encoding/json kept
		ecJWK(d, `"kty":"RSA"`),
		ecJWK(d, `"use":"enc"`),
	} {
		assert.Equal(t, want, jwkError(t, f, d, key), key)
	}
}

// TestDeviceRequestWithInvalidUTF8IsRefused: an enroll body, and a device
// key given to Enroll directly, with bytes that are not UTF-8 are refused
// with the error of a body or key that is not JSON (encoding/json took
// them as U+FFFD, which a name may hold).
func TestDeviceRequestWithInvalidUTF8IsRefused(t *testing.T) {
	f, d, h, auth := enrollRequest(t, "utf8")
	_, _, notJSON := post(t, h, http.MethodPost, auth, "application/json", []byte(`{`))
	for name, body := range map[string]string{
		"name":           strings.Replace(enrollBody(d), d.name, "Pixel \xff", 1),
		"public_key.kid": ecJWKBody(d, `"kid":"k\xff"`),
	} {
		st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(body))
		assert.Equal(t, http.StatusBadRequest, st, name)
		assert.Equal(t, notJSON["detail"], m["detail"], name)
	}
	st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(enrollBody(d)))
	require.Equal(t, http.StatusCreated, st, "the ticket was not spent: %v", m)

	assert.Equal(t, jwkError(t, f, d, `[]`), jwkError(t, f, d, ecJWK(d, `"kid":"k\xff"`)))
}

// enrollRequest starts an enrollment for a new EC device named name and
// returns what a request to the enroll endpoint needs: the fixture, the
// device, the handler and the ticket's Authorization header.
func enrollRequest(t *testing.T, name string) (*fixture, *device, http.Handler, string) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	en := f.start(t, f.alice)
	return f, newECDevice(t, name), f.push.EnrollHandler(), `Ticket id="` + en.ticket + `"`
}

func ecJWKBody(d *device, members string) string {
	return strings.Replace(enrollBody(d), string(d.jwk), ecJWK(d, members), 1)
}

// TestDeviceRequestMemberNamesAreCaseSensitive: "Name" is not "name": in
// an enroll body a case variant is an unknown member (400, as for any
// unknown member), and in a device key it is not the member it resembles.
func TestDeviceRequestMemberNamesAreCaseSensitive(t *testing.T) {
	f, d, h, auth := enrollRequest(t, "case")
	_, _, unknown := post(t, h, http.MethodPost, auth, "application/json", []byte(enrollBody(d, `"extra":1`)))
	for _, body := range []string{
		strings.Replace(enrollBody(d), `"name"`, `"Name"`, 1),
		strings.Replace(enrollBody(d), `"push_credentials"`, `"Push_Credentials"`, 1),
		strings.Replace(enrollBody(d), `"token"`, `"TOKEN"`, 1),
	} {
		st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(body))
		assert.Equal(t, http.StatusBadRequest, st, body)
		assert.Equal(t, unknown["detail"], m["detail"], body)
	}
	st, _, m := post(t, h, http.MethodPost, auth, "application/json", []byte(enrollBody(d)))
	require.Equal(t, http.StatusCreated, st, "the ticket was not spent: %v", m)

	noKty := jwkError(t, f, d, strings.Replace(string(d.jwk), `"kty":"EC",`, ``, 1))
	assert.Equal(t, noKty, jwkError(t, f, d, strings.Replace(string(d.jwk), `"kty"`, `"KTY"`, 1)))
	noCrv := jwkError(t, f, d, strings.Replace(string(d.jwk), `"crv":"P-256",`, ``, 1))
	assert.Equal(t, noCrv, jwkError(t, f, d, strings.Replace(string(d.jwk), `"crv"`, `"Crv"`, 1)))
}

// proofError is the error of Enroll with the proof d signs over header
// and claims, JSON texts taken as they are; {{ticket}} and {{aud}} in
// claims stand for the ticket and EnrollURL.
func proofError(t *testing.T, f *fixture, d *device, header, claims string) error {
	t.Helper()
	en := f.start(t, f.alice)
	now := f.clock.Now().Unix()
	claims = strings.NewReplacer("{{ticket}}", en.ticket, "{{aud}}", f.push.EnrollURL(), "{{iss}}", d.id,
		"{{iat}}", fmt.Sprint(now), "{{exp}}", fmt.Sprint(now+60)).Replace(claims)
	req := d.request(t, en.baseURL, en.ticket, f.clock.Now())
	req.PushCredentials.Token = "push-token" // d.id may not be ASCII
	req.Proof = d.signJSON(t, header, claims)
	_, err := f.push.Enroll(context.Background(), en.ticket, req)
	return err
}

const goodProofClaims = `{"aud":"{{aud}}","sub":"{{ticket}}","iss":"{{iss}}","iat":{{iat}},"exp":{{exp}}}`

// TestProofWithRepeatedMemberNamesIsRefused: a proof of possession whose
// claims or header repeat a name is refused (ErrInvalidProof), with the
// error of claims or a header that is not JSON, even when the last value
// (the one encoding/json kept) is right.
//
// Checklist: PU-02.
func TestProofWithRepeatedMemberNamesIsRefused(t *testing.T) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	d := newECDevice(t, "dup")
	hdr := `{"alg":"ES256","typ":"JWT"}`
	require.NoError(t, proofError(t, f, d, hdr, goodProofClaims))
	badClaims := proofError(t, f, d, hdr, `{`)
	require.ErrorIs(t, badClaims, ErrInvalidProof)
	for _, claims := range []string{
		`{"sub":"another-ticket","aud":"{{aud}}","sub":"{{ticket}}","iss":"{{iss}}","iat":{{iat}},"exp":{{exp}}}`,
		`{"aud":"https://evil.example/api/enroll","aud":"{{aud}}","sub":"{{ticket}}","iss":"{{iss}}","iat":{{iat}},"exp":{{exp}}}`,
		`{"aud":"{{aud}}","sub":"{{ticket}}","iss":"{{iss}}","iat":{{iat}},"exp":99999999999,"exp":{{exp}}}`,
	} {
		err := proofError(t, f, d, hdr, claims)
		require.ErrorIs(t, err, ErrInvalidProof, claims)
		assert.Equal(t, badClaims.Error(), err.Error(), claims)
	}
	badHeader := proofError(t, f, d, `{`, goodProofClaims)
	require.ErrorIs(t, badHeader, ErrInvalidProof)
	for _, header := range []string{`{"alg":"none","alg":"ES256"}`, `{"alg":"ES256","typ":"JWT","typ":"JWT"}`} {
		err := proofError(t, f, d, header, goodProofClaims)
		require.ErrorIs(t, err, ErrInvalidProof, header)
		assert.Equal(t, badHeader.Error(), err.Error(), header)
	}
}

// TestProofWithInvalidUTF8IsRefused: a proof whose claims or header hold
// bytes that are not UTF-8 is refused with the error of claims or a
// header that are not JSON. Under encoding/json an "iss" of "dev\xff"
// became "dev\uFFFD" and matched a device that calls itself that.
//
// Checklist: PU-02.
func TestProofWithInvalidUTF8IsRefused(t *testing.T) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	d := newECDevice(t, "dev\uFFFD")
	hdr := `{"alg":"ES256","typ":"JWT"}`
	require.NoError(t, proofError(t, f, d, hdr, goodProofClaims))
	badClaims := proofError(t, f, d, hdr, `{`)
	for _, claims := range []string{
		strings.Replace(goodProofClaims, `"{{iss}}"`, "\"dev\xff\"", 1),
		strings.Replace(goodProofClaims, `{"aud"`, "{\"jti\":\"\xff\",\"aud\"", 1),
	} {
		err := proofError(t, f, d, hdr, claims)
		require.ErrorIs(t, err, ErrInvalidProof, claims)
		assert.Equal(t, badClaims.Error(), err.Error(), claims)
	}
	err := proofError(t, f, d, "{\"alg\":\"ES256\",\"typ\":\"JWT\xff\"}", goodProofClaims)
	require.ErrorIs(t, err, ErrInvalidProof)
	assert.Equal(t, proofError(t, f, d, `{`, goodProofClaims).Error(), err.Error())
}

// TestProofClaimNamesAreCaseSensitive: a proof whose claims spell "sub",
// "aud" or "exp" in another case does not carry those claims, and is
// refused as a proof without them is (encoding/json matched "SUB" to sub).
//
// Checklist: PU-02.
func TestProofClaimNamesAreCaseSensitive(t *testing.T) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	d := newECDevice(t, "case")
	hdr := `{"alg":"ES256","typ":"JWT"}`
	for _, name := range []string{"sub", "aud", "exp"} {
		without := proofError(t, f, d, hdr, strings.Replace(goodProofClaims, `"`+name+`"`, `"x-`+name+`"`, 1))
		require.ErrorIs(t, without, ErrInvalidProof, name)
		err := proofError(t, f, d, hdr, strings.Replace(goodProofClaims, `"`+name+`"`, `"`+strings.ToUpper(name)+`"`, 1))
		require.ErrorIs(t, err, ErrInvalidProof, name)
		assert.Equal(t, without.Error(), err.Error(), name)
	}
	err := proofError(t, f, d, `{"ALG":"ES256","typ":"JWT"}`, goodProofClaims)
	require.ErrorIs(t, err, ErrInvalidProof)
	assert.Equal(t, proofError(t, f, d, `{"typ":"JWT"}`, goodProofClaims).Error(), err.Error())
}
