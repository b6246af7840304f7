package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// Flags of generated authenticator data (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
)

// startWith runs Start with req for alice.
func (h *harness) startWith(req verify.StartRequest) (sealedState, creationOptions, error) {
	h.t.Helper()
	req.Type = h.e.Type()
	ch, err := h.e.Start(context.Background(), &verify.EngineStart{
		Subject: alice, Request: req, MethodID: string(h.e.Type()) + "|dev_test", ExpiresAt: testNow.Add(5 * time.Minute),
	})
	if err != nil {
		return sealedState{}, creationOptions{}, err
	}
	st := ch.State.(sealedState)
	var opts creationOptions
	require.NoError(h.t, json.Unmarshal(ch.AuthnParamsPublicKey, &opts))
	return st, opts, nil
}

// registerFor makes a none registration answering st from origin with
// flags.
func registerFor(t *testing.T, st sealedState, origin string, flags byte) jsontext.Value {
	t.Helper()
	a := newTestAuthenticator(t)
	return a.register(t, registration{RPID: testRPID, Flags: flags, ClientDat: clientData{
		Type: "webauthn.create", Challenge: b64.EncodeToString(st.Challenge), Origin: origin,
	}})
}

func requireReason(t *testing.T, err error, reason string) {
	t.Helper()
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, reason, verify.ReasonOf(err))
}

// A passkey upgrade (conditional create) is sealed into the session, and
// only such a session accepts a registration without user presence; user
// verification stays required by default.
//
// Checklist: WA-16.
func TestConditionalCreateAcceptsRegistrationWithoutUserPresence(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	st, _, err := h.startWith(verify.StartRequest{Mediation: MediationConditional})
	require.NoError(t, err)
	require.True(t, st.Conditional, "the mode is sealed")
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUV))
	require.NoError(t, err, "UP=0 in a conditional create")
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT))
	require.ErrorIs(t, err, verify.ErrInvalidProof, "UV=0 is refused unless ConditionalUserVerification allows it")
}

// With ConditionalUserVerification preferred, a conditional create may
// lack user verification too.
func TestConditionalCreateWithoutUserVerificationWhenPolicyAllows(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, func(c *Config) { c.ConditionalUserVerification = UVPreferred })
	st, _, err := h.startWith(verify.StartRequest{Mediation: MediationConditional})
	require.NoError(t, err)
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT))
	require.NoError(t, err)
}

// An ordinary start still requires UP, and UV for a passkey, whatever
// the conditional policy says.
//
// Checklist: WA-16.
func TestOrdinaryStartRequiresUserPresence(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, func(c *Config) { c.ConditionalUserVerification = UVPreferred })
	st, _, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	require.False(t, st.Conditional)
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUV))
	require.ErrorIs(t, err, verify.ErrInvalidProof, "UP=0")
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP))
	require.ErrorIs(t, err, verify.ErrInvalidProof, "UV=0 for a passkey")
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	require.NoError(t, err)
}

// Conditional create is a passkey start only, and mediation takes no other
// value.
func TestConditionalMediationIsOnlyForPasskeys(t *testing.T) {
	for _, typ := range []verify.Type{verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming} {
		_, _, err := newHarness(t, typ, nil).startWith(verify.StartRequest{Mediation: MediationConditional})
		require.ErrorIs(t, err, verify.ErrInvalidRequest, typ)
	}
	_, _, err := newHarness(t, verify.TypePasskey, nil).startWith(verify.StartRequest{Mediation: "silent"})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	var ve *verify.Error
	require.True(t, errors.As(err, &ve))
	require.Len(t, ve.Fields, 1)
	assert.Equal(t, "/mediation", ve.Fields[0].Pointer)
	_, err = New(verify.TypePasskey, newHarness(t, verify.TypePasskey, nil).store,
		Config{RPID: testRPID, Origins: []string{testOrigin}, ConditionalUserVerification: UVDiscouraged})
	require.ErrorIs(t, err, ErrConfig)
}

// Creation options carry hints by type, consistent with the attachment
// older browsers read (WebAuthn L3 §5.4.8).
func TestCreationOptionsCarryHintsByType(t *testing.T) {
	for typ, want := range map[verify.Type][]string{
		verify.TypeWebAuthnRoaming:  {HintSecurityKey},
		verify.TypeWebAuthnPlatform: {HintClientDevice},
		verify.TypePasskey:          nil,
	} {
		_, opts, err := newHarness(t, typ, nil).startWith(verify.StartRequest{})
		require.NoError(t, err)
		assert.Equal(t, want, opts.Hints, typ)
	}
	_, opts, err := newHarness(t, verify.TypePasskey, func(c *Config) { c.Hints = []string{HintHybrid, HintClientDevice} }).startWith(verify.StartRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{HintHybrid, HintClientDevice}, opts.Hints)
	_, opts, err = newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.Hints = []string{} }).startWith(verify.StartRequest{})
	require.NoError(t, err)
	assert.Empty(t, opts.Hints, "an empty list sends none")
	assert.Equal(t, "cross-platform", opts.AuthenticatorSelection.AuthenticatorAttachment, "the attachment stays")
}

// Hints that contradict the attachment, unknown or repeated ones are
// configuration errors.
func TestHintsMustAgreeWithTheAttachment(t *testing.T) {
	st := newHarness(t, verify.TypePasskey, nil).store
	for _, tc := range []struct {
		typ   verify.Type
		hints []string
	}{
		{verify.TypeWebAuthnRoaming, []string{HintClientDevice}},
		{verify.TypeWebAuthnPlatform, []string{HintSecurityKey}},
		{verify.TypeWebAuthnPlatform, []string{HintHybrid}},
		{verify.TypePasskey, []string{"usb"}},
		{verify.TypePasskey, []string{HintHybrid, HintHybrid}},
	} {
		_, err := New(tc.typ, st, Config{RPID: testRPID, Origins: []string{testOrigin}, Hints: tc.hints})
		require.ErrorIs(t, err, ErrConfig, "%s %q", tc.typ, tc.hints)
	}
}

// attestationFormats is sent and sealed when an attestation is requested,
// and a response in a format outside the sealed list is refused.
func TestAttestationFormatsAreSentAndEnforced(t *testing.T) {
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
		c.Attestation = AttestationDirect
		c.Formats = []string{FormatPacked, FormatNone}
	})
	st, opts, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{FormatPacked, FormatNone}, opts.AttestationFormats)
	assert.Equal(t, opts.AttestationFormats, st.Formats)
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	require.NoError(t, err, "none is in the list")
	st.Formats = []string{FormatPacked} // as sealed by a start under another list
	_, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	requireReason(t, err, "webauthn_format")

	_, opts, err = newHarness(t, verify.TypeWebAuthnRoaming, nil).startWith(verify.StartRequest{})
	require.NoError(t, err)
	assert.Empty(t, opts.AttestationFormats, "not sent when no attestation is requested")
}

// A related origin (WebAuthn L3 §5.11) is accepted exactly, like a
// configured origin; a lookalike is not.
func TestRelatedOriginIsAccepted(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, func(c *Config) { c.RelatedOrigins = []string{"https://shop.example.co.uk"} })
	st, _, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	_, err = h.confirm(st, alice, registerFor(t, st, "https://shop.example.co.uk", flagAT|flagUP|flagUV))
	require.NoError(t, err)
	for _, o := range []string{"https://evil.example.co.uk", "https://shop.example.co.uk:8443", "http://shop.example.co.uk", "https://SHOP.example.co.uk"} {
		_, err = h.confirm(st, alice, registerFor(t, st, o, flagAT|flagUP|flagUV))
		requireReason(t, err, "webauthn_origin")
	}
}

// Related origins must be https, and span at most 5 registrable-domain
// labels (§5.11.1): browsers would ignore the origins of a sixth.
func TestRelatedOriginsAreCheckedAtConfiguration(t *testing.T) {
	st := newHarness(t, verify.TypePasskey, nil).store
	cfg := func(o ...string) Config {
		return Config{RPID: testRPID, Origins: []string{testOrigin}, RelatedOrigins: o}
	}
	five := []string{"https://a.example.com", "https://example.co.uk", "https://example.de", "https://shop.other.com", "https://third.net", "https://fourth.org", "https://fifth.io"}
	_, err := New(verify.TypePasskey, st, cfg(five...))
	require.NoError(t, err, "example.com, example.co.uk and example.de share the label example: five labels")
	_, err = New(verify.TypePasskey, st, cfg(append(five, "https://sixth.dev")...))
	require.ErrorIs(t, err, ErrConfig, "six labels")
	assert.ErrorContains(t, err, "5")
	for _, bad := range []string{"http://localhost:8080", "http://example.net", "https://example.net/", "android:apk-key-hash:abc", "https://co.uk"} {
		_, err := New(verify.TypePasskey, st, cfg(bad))
		require.ErrorIs(t, err, ErrConfig, bad)
	}
}

// /.well-known/webauthn lists the related origins as JSON.
func TestWellKnownWebAuthnServesTheRelatedOrigins(t *testing.T) {
	h, err := WellKnownWebAuthn([]string{"https://shop.example.co.uk", "https://example.de"})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/webauthn", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"origins":["https://shop.example.co.uk","https://example.de"]}`, rec.Body.String())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/.well-known/webauthn", strings.NewReader("{}")))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	_, err = WellKnownWebAuthn([]string{"http://example.de"})
	require.ErrorIs(t, err, ErrConfig)
	_, err = WellKnownWebAuthn(nil)
	require.ErrorIs(t, err, ErrConfig)
}

const testNamesFile = `{
  "76657269-6679-6b69-742d-746573742121": {"name": "verifykit Test Key", "icon_light": "data:image/svg+xml;base64,PHN2Zy8+", "icon_dark": "https://icons.example/key.svg"},
  "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": {"name": "Google Password Manager"}
}`

// Names come from the configured file; icons only as data: URLs; unknown
// and all-zero AAGUIDs have none.
func TestAuthenticatorNamesByAAGUID(t *testing.T) {
	names, err := ParseAAGUIDNames([]byte(testNamesFile))
	require.NoError(t, err)
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.Names = names })
	// The test authenticator's AAGUID is "verifykit-test!!".
	id := uuid.UUID([]byte("verifykit-test!!")).String()
	info, ok := h.e.Authenticator(context.Background(), id)
	require.True(t, ok)
	assert.Equal(t, "verifykit Test Key", info.Name)
	assert.Equal(t, "data:image/svg+xml;base64,PHN2Zy8+", info.IconLight)
	assert.Empty(t, info.IconDark, "an icon that would be fetched is dropped")
	for _, unknown := range []string{uuid.Nil.String(), "00000000-0000-0000-0000-000000000001", "not-a-uuid", ""} {
		_, ok := h.e.Authenticator(context.Background(), unknown)
		assert.False(t, ok, unknown)
	}
	for _, bad := range []string{`{"00000000-0000-0000-0000-000000000000": {"name": "zero"}}`, `{"x": {"name": "y"}}`,
		`{"76657269-6679-6b69-742d-746573742121": {"name": ""}}`, `{"76657269-6679-6b69-742d-746573742121": {"name": "a\u0000b"}}`, `[]`} {
		_, err := ParseAAGUIDNames([]byte(bad))
		require.Error(t, err, bad)
	}
}

// A confirmed webauthn-roaming or -platform method takes its name from its
// AAGUID; a passkey (whose schema has no name) does not, and an unknown
// AAGUID gives no name.
func TestConfirmedMethodIsNamedByItsAuthenticator(t *testing.T) {
	names, err := ParseAAGUIDNames([]byte(testNamesFile))
	require.NoError(t, err)
	for typ, want := range map[verify.Type]string{verify.TypeWebAuthnRoaming: "verifykit Test Key", verify.TypePasskey: ""} {
		h := newHarness(t, typ, func(c *Config) { c.Names = names })
		st, _, err := h.startWith(verify.StartRequest{})
		require.NoError(t, err)
		c, err := h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
		require.NoError(t, err)
		assert.Equal(t, want, c.Method.Name, typ)
	}
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, _, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	c, err := h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	require.NoError(t, err)
	assert.Empty(t, c.Method.Name)
}

// withExtensions replaces the clientExtensionResults of a response.
func withExtensions(t *testing.T, body jsontext.Value, ext string) jsontext.Value {
	t.Helper()
	var m map[string]jsontext.Value
	require.NoError(t, json.Unmarshal(body, &m))
	m["clientExtensionResults"] = jsontext.Value(ext)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// credProps.rk and prf.enabled, as the client reports them at creation,
// are recorded as hints; prf only when it was requested.
//
// Checklist: WA-31.
func TestClientReportedCredentialPropertiesAreRecorded(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, func(c *Config) { c.RequestPRF = true })
	st, opts, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	require.NotNil(t, opts.Extensions)
	assert.True(t, opts.Extensions.CredProps)
	assert.NotNil(t, opts.Extensions.PRF)
	c, err := h.confirm(st, alice, withExtensions(t, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV), `{"credProps":{"rk":true},"prf":{"enabled":true}}`))
	require.NoError(t, err)
	require.NotNil(t, c.Method.WebAuthn.CredPropsRK)
	assert.True(t, *c.Method.WebAuthn.CredPropsRK)
	require.NotNil(t, c.Method.WebAuthn.PRFEnabled)
	assert.True(t, *c.Method.WebAuthn.PRFEnabled)

	h = newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, opts, err = h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	assert.Nil(t, opts.Extensions.PRF, "prf is requested only with RequestPRF")
	c, err = h.confirm(st, alice, withExtensions(t, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV), `{"credProps":{"rk":false},"prf":{"enabled":true}}`))
	require.NoError(t, err)
	require.NotNil(t, c.Method.WebAuthn.CredPropsRK)
	assert.False(t, *c.Method.WebAuthn.CredPropsRK)
	assert.Nil(t, c.Method.WebAuthn.PRFEnabled, "an unrequested prf output is not recorded")
	c, err = h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	require.NoError(t, err)
	assert.Nil(t, c.Method.WebAuthn.CredPropsRK, "not reported")
}

// Request options carry the same hints as the creation options.
func TestRequestOptionsCarryHints(t *testing.T) {
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, _, err := h.startWith(verify.StartRequest{})
	require.NoError(t, err)
	c, err := h.confirm(st, alice, registerFor(t, st, testOrigin, flagAT|flagUP|flagUV))
	require.NoError(t, err)
	h.save(alice, "webauthn-roaming|dev_test", c)
	rec, err := h.store.Get(context.Background(), alice.ID, "webauthn-roaming|dev_test")
	require.NoError(t, err)
	m, err := verify.MethodFromRecord(rec)
	require.NoError(t, err)
	out, err := h.e.Challenge(context.Background(), &verify.EngineStart{Subject: alice, Method: m, Record: rec, ExpiresAt: testNow.Add(time.Minute)})
	require.NoError(t, err)
	var opts struct{ Hints []string }
	require.NoError(t, json.Unmarshal(out.AuthnParamsPublicKey, &opts))
	assert.Equal(t, []string{HintSecurityKey}, opts.Hints)
}
