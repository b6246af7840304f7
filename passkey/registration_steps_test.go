package passkey

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/verify"
)

// The WebAuthn registration rows of SECURITY-CHECKLIST (WA-01..WA-23,
// §7.1 steps 3–24), one test each. Rows that go-webauthn enforces are proven
// here on its output, not re-implemented.

// WA-01: each supported §16 registration vector verifies end to end and yields a credential record.
func TestW3CRegistrationVectorsRegister(t *testing.T) {
	runW3CVectors(t)
	// Ed448 (COSE OKP crv 7): Go has no Ed448, go-webauthn cannot use it.
	// Pinned: refused.
	a := newTestAuthenticator(t)
	key, err := ctap2.Marshal(map[int]any{1: 1, 3: -8, -1: 7, -2: bytes.Repeat([]byte{7}, 57)})
	require.NoError(t, err)
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, opts := h.start(alice)
	_, err = h.confirm(st, alice, a.register(t, registration{RPID: testRPID, COSEKey: key,
		ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}))
	refused(t, err, "webauthn_key")
}

// WA-02: the response is an AuthenticatorAttestationResponse, not an assertion.
//
// An assertion-shaped response: members the spec's
// AuthenticatorAttestationResponseData does not have.
func TestAssertionShapedResponseIsRefused(t *testing.T) {
	n := newVNone(t)
	var m map[string]any
	require.NoError(t, json.Unmarshal(n.body(t, nil, nil), &m))
	m["response"] = map[string]any{"authenticatorData": b64.EncodeToString(n.authData), "clientDataJSON": b64.EncodeToString(n.cdj), "signature": "AAAA"}
	_, err := n.confirm(t, mustJSON(t, m), nil)
	malformed(t, err, "authn_response")
	m["response"] = map[string]any{"attestationObject": "", "clientDataJSON": b64.EncodeToString(n.cdj)}
	_, err = n.confirm(t, mustJSON(t, m), nil)
	malformed(t, err, "authn_response.response.attestationObject")
}

// WA-03: `type` is "public-key".
func TestCredentialTypeMustBePublicKey(t *testing.T) {
	n := newVNone(t)
	for _, typ := range []any{nil, 1, "password", ""} {
		var m map[string]any
		require.NoError(t, json.Unmarshal(n.body(t, nil, nil), &m))
		if typ == nil {
			delete(m, "type")
		} else {
			m["type"] = typ
		}
		_, err := n.confirm(t, mustJSON(t, m), nil)
		require.ErrorIs(t, err, verify.ErrInvalidRequest, "type %v", typ)
	}
}

// WA-04: `id` equals base64url(`rawId`), and both equal the attested credential id.
func TestIDMustEqualRawIDAndTheAttestedCredential(t *testing.T) {
	n := newVNone(t)
	edit := func(f func(m map[string]any)) jsontext.Value {
		var m map[string]any
		require.NoError(t, json.Unmarshal(n.body(t, nil, nil), &m))
		f(m)
		return mustJSON(t, m)
	}
	other := b64.EncodeToString(bytes.Repeat([]byte{1}, 32))
	_, err := n.confirm(t, edit(func(m map[string]any) { m["id"] = other }), nil)
	malformed(t, err, "authn_response.id")
	for _, id := range []string{
		strings.ReplaceAll(strings.ReplaceAll(b64.EncodeToString(n.id), "-", "+"), "_", "/"),
		b64.EncodeToString(n.id) + "=",
	} {
		_, err = n.confirm(t, edit(func(m map[string]any) { m["id"] = id }), nil)
		malformed(t, err, "authn_response.id")
	}
	_, err = n.confirm(t, edit(func(m map[string]any) { delete(m, "rawId") }), nil)
	malformed(t, err, "authn_response.rawId")
	// rawId and id agree with each other but not with the attested
	// credential id: go-webauthn refuses (its Verify, after step 22).
	_, err = n.confirm(t, edit(func(m map[string]any) { m["id"], m["rawId"] = other, other }), nil)
	refused(t, err, "webauthn_credential_id")
	// go-webauthn itself refuses id ≠ base64url(rawId).
	_, err = protocol.ParseCredentialCreationResponseBytes(edit(func(m map[string]any) { m["id"] = other }))
	require.Error(t, err)
}

// WA-05: clientDataJSON is UTF-8 decoded with a leading BOM stripped.
//
// Pinned: a leading BOM is stripped before parsing (§7.1 step 5) and
// stays in the bytes hashed (step 12).
func TestClientDataBOMIsStrippedAndInvalidUTF8Refused(t *testing.T) {
	n := newVNone(t)
	bom := append([]byte{0xEF, 0xBB, 0xBF}, n.cdj...)
	_, err := n.confirm(t, n.body(t, bom, nil), nil)
	require.NoError(t, err)
	// Signed over the BOM: verifies; signed without it but sent with it:
	// the hash differs and the packed self signature fails.
	a := newTestAuthenticator(t)
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, opts := h.start(alice)
	cd := clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}
	cd.Raw = append([]byte{0xEF, 0xBB, 0xBF}, cd.bytes()...)
	_, err = h.confirm(st, alice, a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd}))
	require.NoError(t, err)
	cd.Raw = nil
	obj, cdj := a.attestationObject(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd})
	_, err = h.confirm(st, alice, responseJSON(t, a.credID, obj, append([]byte{0xEF, 0xBB, 0xBF}, cdj...)))
	refused(t, err, "webauthn_attestation")
	// Invalid UTF-8 (C3 28) inside origin.
	bad := bytes.Replace(n.cdj, []byte("https://example.org"), []byte("https://example.org\xC3\x28"), 1)
	_, err = n.confirm(t, n.body(t, bad, nil), nil)
	refused(t, err, "webauthn_client_data")
}

// WA-06: `C.type` is "webauthn.create".
func TestClientDataTypeMustBeWebAuthnCreate(t *testing.T) {
	n := newVNone(t)
	for _, typ := range []any{"webauthn.get", nil, "", 5} {
		cd := n.clientData(t)
		if typ == nil {
			delete(cd, "type")
		} else {
			cd["type"] = typ
		}
		_, err := n.confirm(t, n.body(t, mustJSON(t, cd), nil), nil)
		if typ == 5 {
			refused(t, err, "webauthn_parse") // not a string: go-webauthn's JSON parse
			continue
		}
		refused(t, err, "webauthn_type")
	}
}

// WA-07: `C.challenge` is the challenge issued for this auth_session.
func TestChallengeMustBeTheSealedOne(t *testing.T) {
	n := newVNone(t)
	challenge := n.r.challenge(t)
	flipped := bytes.Clone(challenge)
	flipped[7] ^= 1
	padded := b64.EncodeToString(challenge) + "="
	std := strings.NewReplacer("-", "+", "_", "/").Replace(b64.EncodeToString(challenge))
	require.NotEqual(t, std, b64.EncodeToString(challenge), "the vector's challenge has -/_ characters")
	for _, c := range []any{b64.EncodeToString(flipped), padded, std, nil, ""} {
		cd := n.clientData(t)
		if c == nil {
			delete(cd, "challenge")
		} else {
			cd["challenge"] = c
		}
		_, err := n.confirm(t, n.body(t, mustJSON(t, cd), nil), nil)
		refused(t, err, "webauthn_challenge")
	}
	// (d) A valid response for challenge X with a session sealed for Y.
	h := n.harness(t, nil)
	_, err := h.confirm(h.stateFor(flipped), alice, n.body(t, nil, nil))
	refused(t, err, "webauthn_challenge")
}

// WA-08: challenges come from crypto/rand, are at least 16 bytes and unique per ceremony.
func TestChallengesAreRandomAndUnique(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	st1, o1 := h.start(alice)
	st2, o2 := h.start(alice)
	assert.NotEqual(t, st1.Challenge, st2.Challenge)
	assert.NotEqual(t, o1.Challenge, o2.Challenge)
	assert.Len(t, st1.Challenge, defaultChallengeSize)
	c, err := b64.DecodeString(o1.Challenge)
	require.NoError(t, err)
	assert.Equal(t, st1.Challenge, c)
	for _, size := range []int{15, 16, 31, 65} {
		cfg := baseConfig()
		cfg.ChallengeSize = size
		_, err := New(verify.TypePasskey, h.store, cfg)
		require.ErrorIs(t, err, ErrConfig, "size %d", size)
		assert.Contains(t, err.Error(), "[32, 64]")
	}
}

// WA-09: challenges expire and are single use.
//
// (a) Past the sealed expiry (issue + 300 s), by the injected clock.
func TestExpiredChallengeIsRefused(t *testing.T) {
	n := newVNone(t)
	h := n.harness(t, nil)
	st := n.state(h)
	st.Expires = testNow.Add(-time.Second).UnixMilli()
	_, err := h.confirm(st, alice, n.body(t, nil, nil))
	require.ErrorIs(t, err, verify.ErrExpired)
	// (b) A zero expiry is not "forever".
	st.Expires = 0
	_, err = h.confirm(st, alice, n.body(t, nil, nil))
	require.ErrorIs(t, err, verify.ErrExpired)
	// (c) and (d) through the service: TestServiceCeremony.
	serviceReplayAndRetry(t)
}

// WA-10: `C.origin` exactly matches a configured origin, never a request header.
func TestOriginMustMatchTheConfigurationExactly(t *testing.T) {
	n := newVNone(t)
	for _, o := range []any{"https://example.org.evil.com", "https://evil.example.org", "http://example.org",
		"https://example.org:8443", "https://example.org/", "HTTPS://EXAMPLE.ORG", "https://example.org:443",
		"null", "", nil, "android:apk-key-hash:xyz"} {
		cd := n.clientData(t)
		if o == nil {
			delete(cd, "origin")
		} else {
			cd["origin"] = o
		}
		_, err := n.confirm(t, n.body(t, mustJSON(t, cd), nil), nil)
		refused(t, err, "webauthn_origin")
	}
	// A configured Android origin is matched exactly.
	cd := n.clientData(t)
	cd["origin"] = "android:apk-key-hash:xyz"
	_, err := n.confirm(t, n.body(t, mustJSON(t, cd), nil), func(c *Config) { c.Origins = append(c.Origins, "android:apk-key-hash:xyz") })
	require.NoError(t, err)
	// The expected origin comes from Config only: EngineConfirm carries
	// no request headers, and the client's Origin/Host cannot reach it.
	h := n.harness(t, nil)
	raw := mustJSON(t, n.state(h))
	cd["origin"] = "https://evil.com"
	_, err = h.e.Confirm(context.Background(), &verify.EngineConfirm{Subject: alice, State: raw,
		Request: verify.VerifyRequest{AuthnResponse: n.body(t, mustJSON(t, cd), nil)}, Client: verify.Client{UserAgent: "Origin: https://evil.com"}})
	refused(t, err, "webauthn_origin")
}

// WA-11: `crossOrigin` true is refused unless the RP expects an iframe.
func TestCrossOriginIsRefusedUnlessAllowed(t *testing.T) {
	n := newVNone(t)
	r := n.v.get(t, "NoneES256CrossOrigin")
	h := w3cHarness(t, n.v, r, func(c *Config) { c.AllowCrossOrigin, c.TopOrigins = false, nil })
	_, err := h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	refused(t, err, "webauthn_cross_origin")
	h = w3cHarness(t, n.v, r, nil)
	_, err = h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	require.NoError(t, err)
}

// WA-12: a `topOrigin` must be in an allow-list.
func TestTopOriginMustBeAllowListed(t *testing.T) {
	n := newVNone(t)
	r := n.v.get(t, "NoneES256TopOrigin")
	for name, tc := range map[string]struct {
		top    []string
		reason string
	}{
		"none configured": {nil, "webauthn_top_origin"},
		"other.com":       {[]string{"https://other.com"}, "webauthn_top_origin"},
		"example.com":     {[]string{"https://example.com"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			h := w3cHarness(t, n.v, r, func(c *Config) { c.TopOrigins = tc.top })
			_, err := h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			refused(t, err, tc.reason)
		})
	}
	// topOrigin without crossOrigin: go-webauthn refuses.
	cd := n.clientData(t)
	cd["topOrigin"] = "https://example.com"
	_, err := n.confirm(t, n.body(t, mustJSON(t, cd), nil), func(c *Config) {
		c.AllowCrossOrigin, c.TopOrigins = true, []string{"https://example.com"}
	})
	refused(t, err, "webauthn_top_origin")
}

// WA-13: the client data hash is SHA-256 of the raw clientDataJSON bytes.
//
// The same members with other whitespace: the attestation signature
// covers the hash of the bytes as sent, so it fails.
func TestClientDataHashIsOverTheRawBytes(t *testing.T) {
	n := newVNone(t)
	r := n.v.get(t, "PackedES256")
	var m map[string]any
	require.NoError(t, json.Unmarshal(unhex(t, r.ClientDataJSON), &m))
	reencoded, err := json.MarshalIndent(m, "", " ")
	require.NoError(t, err)
	h := w3cHarness(t, n.v, r, nil)
	_, err = h.confirm(h.stateFor(r.challenge(t)), alice, responseJSON(t, unhex(t, r.CredentialID), unhex(t, r.AttestationObject), reencoded))
	refused(t, err, "webauthn_attestation")
}

// WA-14: attestationObject is a CBOR map with `fmt` (text), `attStmt` (map) and `authData` (bytes).
func TestMalformedAttestationObjectIsRefused(t *testing.T) {
	n := newVNone(t)
	raw := func(v any) []byte {
		b, err := ctap2.Marshal(v)
		require.NoError(t, err)
		return b
	}
	for name, obj := range map[string][]byte{
		"array":            raw([]any{"none", map[string]any{}, n.authData}),
		"missing fmt":      raw(map[string]any{"attStmt": map[string]any{}, "authData": n.authData}),
		"fmt 1":            n.attObj(t, 1, nil, nil),
		"attStmt []":       n.attObj(t, nil, []any{}, nil),
		"missing authData": raw(map[string]any{"fmt": "none", "attStmt": map[string]any{}}),
		"authData text":    n.attObj(t, nil, nil, string(n.authData)),
		"authData empty":   n.attObj(t, nil, nil, []byte{}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := n.confirm(t, n.body(t, nil, obj), nil)
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Contains(t, []string{"webauthn_parse", "webauthn_format", "webauthn_cbor"}, verify.ReasonOf(err))
		})
	}
}

// WA-15: `rpIdHash` is SHA-256 of the configured RP ID; an IP-literal RP ID is a configuration error.
func TestRPIDHashMustMatchAndIPRPIDsAreRefused(t *testing.T) {
	n := newVNone(t)
	for _, id := range []string{"evil.org", "sub.example.org", ""} {
		ad := bytes.Clone(n.authData)
		h := sha256.Sum256([]byte(id))
		if id == "" {
			h = [32]byte{}
		}
		copy(ad, h[:])
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, ad)), nil)
		refused(t, err, "webauthn_rp_id")
	}
	for _, id := range []string{"127.0.0.1", "::1", "Example.org", "example.org:443", "https://example.org"} {
		cfg := baseConfig()
		cfg.RPID = id
		_, err := New(verify.TypePasskey, newHarness(t, verify.TypePasskey, nil).store, cfg)
		require.ErrorIs(t, err, ErrConfig, id)
	}
}

// WA-16: UP is set unless the mediation is conditional.
//
// An ordinary start (no mediation "conditional" sealed) requires user
// presence; only a conditional create accepts UP=0
// (TestConditionalCreateAcceptsRegistrationWithoutUserPresence).
func TestRegistrationWithoutUserPresenceIsRefused(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(0x59&^0x01))), nil)
	refused(t, err, "webauthn_user_presence")
}

// WA-17: UV is required for a passkey and whenever the sealed policy requires it.
//
// V-none has UV=0: refused for a passkey (UV required by default).
func TestUserVerificationIsRequiredForPasskeysAndBySealedPolicy(t *testing.T) {
	n := newVNone(t)
	h := w3cHarness(t, n.v, n.r, nil)
	hp := &harness{t: t, store: h.store, e: mustEngine(t, verify.TypePasskey, h)}
	_, err := hp.confirm(hp.stateFor(n.r.challenge(t)), alice, n.body(t, nil, nil))
	refused(t, err, "webauthn_user_verification")
	// Roaming with UV discouraged: accepted.
	_, err = n.confirm(t, n.body(t, nil, nil), func(c *Config) { c.UserVerification = UVDiscouraged })
	require.NoError(t, err)
	// Sealed "required", configuration since relaxed to "preferred": the
	// sealed requirement wins.
	h = n.harness(t, nil)
	st := n.state(h)
	st.UV = UVRequired
	_, err = h.confirm(st, alice, n.body(t, nil, nil))
	refused(t, err, "webauthn_user_verification")
	// Sealed "preferred", configuration since tightened: the new
	// requirement applies at once.
	h = n.harness(t, func(c *Config) { c.UserVerification = UVRequired })
	st = n.state(h)
	st.UV = UVPreferred
	_, err = h.confirm(st, alice, n.body(t, nil, nil))
	refused(t, err, "webauthn_user_verification")
}

// WA-18: BE=0 with BS=1 is refused.
func TestBackupStateWithoutEligibilityIsRefused(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(0x51))), nil)
	refused(t, err, "webauthn_backup_flags")
	// go-webauthn's Verify alone accepts it (its check lives in
	// CreateCredential): the engine's check is needed.
	pcc, err := protocol.ParseCredentialCreationResponseBytes(n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(0x51))))
	require.NoError(t, err)
	_, err = pcc.Verify(b64.EncodeToString(n.r.challenge(t)), testRPID, []string{testOrigin}, nil, nil,
		protocol.TopOriginExplicitVerificationMode, false, false, true, nil,
		[]protocol.CredentialParameter{{Type: "public-key", Algorithm: webauthncose.AlgES256}}, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
	require.NoError(t, err)
	for _, flags := range []byte{0x59, 0x49} { // BE+BS, BE only
		c, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(flags))), nil)
		require.NoError(t, err)
		assert.True(t, c.Method.WebAuthn.BackupEligible)
		assert.Equal(t, flags&0x10 != 0, c.Method.WebAuthn.BackedUp)
	}
}

// WA-19: BE and BS are recorded, and the backup policy applies.
func TestBackupFlagsAreRecordedAndPolicyApplies(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, nil), func(c *Config) { c.Trust.ProhibitBackupEligible = true })
	refused(t, err, "webauthn_backup_eligible")
	c, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(0x41))), func(c *Config) { c.Trust.ProhibitBackupEligible = true })
	require.NoError(t, err)
	assert.False(t, c.Method.WebAuthn.BackupEligible)
	assert.False(t, c.Method.WebAuthn.BackedUp)
	assert.Equal(t, "single_device", c.Method.WebAuthn.DeviceType())
}

// WA-20: the credential key's `alg` is one of the sealed pubKeyCredParams.
func TestAlgorithmOutsideTheSealedOfferIsRefused(t *testing.T) {
	n := newVNone(t)
	r := n.v.get(t, "PackedRS256")
	h := w3cHarness(t, n.v, r, func(c *Config) { c.Algorithms = []int64{AlgES256} })
	_, err := h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	refused(t, err, "webauthn_alg")
	h = w3cHarness(t, n.v, r, func(c *Config) { c.Algorithms = []int64{AlgES256, AlgRS256} })
	_, err = h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	require.NoError(t, err)
	// The offered list is the sealed one: ES256 only was offered.
	st := h.stateFor(r.challenge(t))
	st.Algs = []int64{AlgES256}
	_, err = h.confirm(st, alice, r.body(t))
	refused(t, err, "webauthn_alg")
	// go-webauthn refuses an unoffered alg on its own.
	pcc, err := protocol.ParseCredentialCreationResponseBytes(r.body(t))
	require.NoError(t, err)
	_, err = pcc.Verify(b64.EncodeToString(r.challenge(t)), testRPID, []string{testOrigin}, nil, nil,
		protocol.TopOriginExplicitVerificationMode, false, false, true, nil,
		[]protocol.CredentialParameter{{Type: "public-key", Algorithm: webauthncose.AlgES256}}, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
	require.Error(t, err)
}

// WA-21: `fmt` is matched case-sensitively against the supported formats.
func TestUnknownOrMiscasedFormatIsRefused(t *testing.T) {
	n := newVNone(t)
	for _, f := range []string{"Packed", "packed ", "u2f", "unknown", "NONE", "android-safetynet"} {
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, f, nil, nil)), nil)
		refused(t, err, "webauthn_format")
	}
	// "compound" with a map attStmt does not even parse (AF-13).
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, "compound", nil, nil)), nil)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// WA-22: the attestation statement verifies under its format's procedure.
//
// Each format's procedure: the AF-* rows; here, one flipped
// signature bit per generated format.
func TestAttestationSignatureMustVerify(t *testing.T) {
	doc := loadGenerated(t)
	for _, name := range []string{"packed-self-es256", "packed-x5c-es256", "fido-u2f-es256", "tpm-es256"} {
		g := doc.get(t, name)
		body := flipSignatureBit(t, g.Response)
		h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
		c, err := b64.DecodeString(g.Challenge)
		require.NoError(t, err)
		_, err = h.confirm(h.stateFor(c), alice, body)
		refused(t, err, "webauthn_attestation")
	}
}

// WA-23: trust policy applies; an AAGUID is authenticated only by a verified attestation.
func TestUntrustedAttestationIsRefused(t *testing.T) {
	n := newVNone(t)
	runTrusted(t)
	// (c) An allow-list and a none attestation claiming an allowed AAGUID.
	aaguid := uuidOf(t, n.authData[37:53])
	_, err := n.confirm(t, n.body(t, nil, nil), func(c *Config) {
		c.Attestation = AttestationDirect
		c.Trust = TrustPolicy{AllowedAAGUIDs: []uuidT{aaguid}, Metadata: specMetadata(t, n.v, "FIDO_CERTIFIED")}
	})
	refused(t, err, "webauthn_untrusted_attestation")
	// A deny-list applies to claimed AAGUIDs too.
	_, err = n.confirm(t, n.body(t, nil, nil), func(c *Config) { c.Trust = TrustPolicy{DeniedAAGUIDs: []uuidT{aaguid}} })
	refused(t, err, "webauthn_aaguid_denied")
	// A trusted attestation outside the allow-list.
	r := n.v.get(t, "PackedES256")
	h := w3cHarness(t, n.v, r, func(c *Config) {
		c.Trust = TrustPolicy{AllowedAAGUIDs: []uuidT{aaguid}, Metadata: specMetadata(t, n.v, "FIDO_CERTIFIED")}
	})
	_, err = h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	refused(t, err, "webauthn_aaguid_not_allowed")
	// And inside it.
	_, _, ad := r.parts(t)
	h = w3cHarness(t, n.v, r, func(c *Config) {
		c.Trust = TrustPolicy{AllowedAAGUIDs: []uuidT{uuidOf(t, ad[37:53])}, Metadata: specMetadata(t, n.v, "FIDO_CERTIFIED")}
	})
	_, err = h.confirm(h.stateFor(r.challenge(t)), alice, r.body(t))
	require.NoError(t, err)
}

// mustEngine is an engine of typ with h's configuration and store.
func mustEngine(t testing.TB, typ verify.Type, h *harness) *Engine {
	t.Helper()
	cfg := h.cfg
	cfg.UserVerification = ""
	e, err := New(typ, h.store, cfg)
	require.NoError(t, err)
	return e
}
