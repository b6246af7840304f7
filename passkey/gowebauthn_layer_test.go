package passkey

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/verify"
)

// TestGoWebAuthnLayer proves which of the strict-decoding rows
// go-webauthn v0.18.2 enforces on its own — its CBOR mode
// (webauthncbor.Unmarshal), its response parser
// (protocol.ParseCredentialCreationResponseBytes) and its registration
// checks (ParsedCredentialCreationData.Verify) — without this package's
// pre-checks, so that SECURITY.md can say which layer enforces what and the
// engine does not re-implement it. The tests of cbor_strictness_test.go
// prove the same inputs are refused through the engine. Where the engine is stricter than
// go-webauthn (nesting 4 instead of 5, arrays and maps of at most 16), the
// last subtest pins the difference.
func TestGoWebAuthnLayer(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	// parse is go-webauthn's parser on V-none with the attestation object obj.
	parse := func(obj []byte) error {
		_, err := protocol.ParseCredentialCreationResponseBytes(n.body(t, nil, obj))
		return err
	}
	require.NoError(t, parse(vnoneObj), "V-none parses")
	// gwVerify is go-webauthn's §7.1 checks on V-none with authData ad.
	gwVerify := func(ad []byte, requireUV bool) error {
		pcc, err := protocol.ParseCredentialCreationResponseBytes(n.body(t, nil, n.attObj(t, nil, nil, ad)))
		if err != nil {
			return err
		}
		_, err = pcc.Verify(b64.EncodeToString(n.r.challenge(t)), testRPID, []string{testOrigin}, nil, nil,
			protocol.TopOriginExplicitVerificationMode, false, requireUV, true, nil,
			[]protocol.CredentialParameter{{Type: "public-key", Algorithm: webauthncose.AlgES256}}, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
		return err
	}
	require.NoError(t, gwVerify(n.authData, false), "V-none verifies")

	// CB-03
	t.Run("indefinite lengths", func(t *testing.T) {
		indef := append(append([]byte{0xbf}, vnoneObj[1:]...), 0xff)
		require.Error(t, parse(indef), "indefinite-length map")
		var v any
		require.Error(t, webauthncbor.Unmarshal([]byte{0x5f, 0x41, 0x00, 0xff}, &v), "indefinite-length byte string")
		require.Error(t, webauthncbor.Unmarshal([]byte{0x9f, 0x01, 0xff}, &v), "indefinite-length array")
	})

	// CB-04
	t.Run("tags", func(t *testing.T) {
		i := bytes.Index(vnoneObj, []byte("authData")) + len("authData")
		tagged := append(append(bytes.Clone(vnoneObj[:i]), 0xd8, 0x18), vnoneObj[i:]...)
		require.Error(t, parse(tagged), "authData in tag 24")
		var v any
		require.Error(t, webauthncbor.Unmarshal([]byte{0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0}, &v), "tag 1 (epoch time)")
	})

	// CB-05
	t.Run("deep nesting", func(t *testing.T) {
		deep := append(bytes.Repeat([]byte{0x81}, 10000), 0x00)
		obj, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": cbor.RawMessage(deep), "authData": n.authData})
		require.NoError(t, err)
		require.Error(t, parse(obj), "10 000 nested arrays as attStmt")
		var v any
		require.Error(t, webauthncbor.Unmarshal(deep, &v))
		require.Error(t, webauthncbor.Unmarshal(append(bytes.Repeat([]byte{0x81}, 6), 0x00), &v), "6 levels > go-webauthn's 5")
		require.NoError(t, webauthncbor.Unmarshal(append(bytes.Repeat([]byte{0x81}, 5), 0x00), &v), "5 levels: go-webauthn's bound")
	})

	// CB-06
	t.Run("length bomb", func(t *testing.T) {
		// fxamacker/cbor checks well-formedness, declared lengths against the
		// bytes present, before it allocates anything for an item.
		bomb := []byte{0x9B, 0x00, 0x00, 0x42, 0xFA, 0x42, 0xFA, 0x42, 0xFA, 0x42}
		asAuthData := append(bytes.Clone(vnoneObj[:len(vnoneObj)-len(n.authData)-2]), bomb...)
		require.Error(t, parse(asAuthData))
		var v any
		require.Error(t, webauthncbor.Unmarshal(bomb, &v))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			_ = webauthncbor.Unmarshal(bomb, &v)
		}
		runtime.ReadMemStats(&after)
		assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/100, uint64(1024), "bytes allocated per decode")
		// A byte string declaring 4 GiB with 3 bytes present.
		require.Error(t, webauthncbor.Unmarshal([]byte{0x5a, 0xff, 0xff, 0xff, 0xff, 1, 2, 3}, &v))
	})

	// CB-07
	t.Run("trailing bytes", func(t *testing.T) {
		for _, tail := range [][]byte{{0x00}, {0xa0}} {
			require.Error(t, parse(append(bytes.Clone(vnoneObj), tail...)))
		}
	})

	// CB-08
	t.Run("authData consumed exactly", func(t *testing.T) {
		// authData is consumed exactly (protocol.AuthenticatorData.Unmarshal).
		var ad protocol.AuthenticatorData
		require.NoError(t, ad.Unmarshal(n.authData))
		require.Error(t, ad.Unmarshal(append(bytes.Clone(n.authData), 0x00)), "a leftover byte with ED=0")
		short := bytes.Clone(n.authData)
		short[53], short[54] = 0x03, 0xff // credentialIdLength 1023 > the bytes left
		require.Error(t, ad.Unmarshal(short))
		require.Error(t, ad.Unmarshal(n.authData[:37]), "AT set, attested data missing")
		require.Error(t, parse(n.attObj(t, nil, nil, append(bytes.Clone(n.authData), 0x00))))
	})

	// WA-16
	t.Run("user presence", func(t *testing.T) {
		require.Error(t, gwVerify(n.withFlags(0x59&^0x01), false), "UP=0")
	})

	// WA-17
	t.Run("user verification", func(t *testing.T) {
		require.Error(t, gwVerify(n.authData, true), "UV required, V-none has UV=0")
		require.NoError(t, gwVerify(n.withFlags(0x59|0x04), true))
	})

	t.Run("JSON duplicates", func(t *testing.T) {
		// clientDataJSON with "type" twice, the last one right: go-webauthn
		// (encoding/json keeps the last) verifies it; the engine refuses
		// repeated member names before decoding (a parser differential:
		// another verifier keeping the first would see webauthn.get).
		cdj := append([]byte(`{"type":"webauthn.get",`), n.cdj[1:]...)
		pcc, err := protocol.ParseCredentialCreationResponseBytes(n.body(t, cdj, nil))
		require.NoError(t, err)
		_, err = pcc.Verify(b64.EncodeToString(n.r.challenge(t)), testRPID, []string{testOrigin}, nil, nil,
			protocol.TopOriginExplicitVerificationMode, false, false, true, nil,
			[]protocol.CredentialParameter{{Type: "public-key", Algorithm: webauthncose.AlgES256}}, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
		require.NoError(t, err, "go-webauthn alone accepts it")
		_, err = n.confirm(t, n.body(t, cdj, nil), nil)
		require.Error(t, err, "the engine refuses it")
		require.NotNil(t, verify.Kind(err), "a client error")
	})

	t.Run("engine stricter", func(t *testing.T) {
		// 5 levels of nesting and 17-element arrays pass go-webauthn's CBOR
		// mode; the engine's cborLimits (checkAttestationObject, before
		// go-webauthn decodes) refuse both.
		five, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{"a": []any{[]any{[]any{1}}}}, "authData": n.authData})
		require.NoError(t, err)
		var v any
		require.NoError(t, webauthncbor.Unmarshal(five, &v))
		require.Error(t, checkAttestationObject(five))
		wide, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{"x5c": make([][]byte, 17)}, "authData": n.authData})
		require.NoError(t, err)
		require.NoError(t, webauthncbor.Unmarshal(wide, &v))
		require.Error(t, checkAttestationObject(wide))
		require.NoError(t, checkAttestationObject(vnoneObj))
	})
}
