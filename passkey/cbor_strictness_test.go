package passkey

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/verify"
)

// The strict-decoding rows of SECURITY-CHECKLIST (CB-*), through the engine,
// one test each; TestGoWebAuthnLayer proves which of them go-webauthn
// enforces alone.

// CB-01: CBOR is decoded in a dedicated strict mode, never the package-level Unmarshal.
func TestCBORDecodingUsesTheStrictMode(t *testing.T) {
	assert.Equal(t, cbor.DecOptions{
		DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
		MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16,
	}, cborLimits)
	got := cborMode.DecOptions()
	assert.Equal(t, cbor.DupMapKeyEnforcedAPF, got.DupMapKey)
	assert.Equal(t, cbor.IndefLengthForbidden, got.IndefLength)
	assert.Equal(t, cbor.TagsForbidden, got.TagsMd)
	assert.Equal(t, 4, got.MaxNestedLevels)
	assert.Equal(t, 16, got.MaxArrayElements)
	assert.Equal(t, 16, got.MaxMapPairs)
	// No CBOR decoding outside the bounded modes: this package's code
	// never calls the package-level cbor.Unmarshal.
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotRegexp(t, `(^|[^A-Za-z0-9_])cbor\.Unmarshal(First)?\(`, string(b), f)
	}
}

// CB-02: duplicate CBOR map keys are refused.
func TestDuplicateCBORMapKeysAreRefused(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	dup := []byte{0xa4, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x63, 'f', 'm', 't', 0x66, 'p', 'a', 'c', 'k', 'e', 'd'}
	rest := vnoneObj[1+4+5:] // after the map header, "fmt" and "none"
	obj := append(dup, rest...)
	_, err := n.confirm(t, n.body(t, nil, obj), nil)
	refused(t, err, "webauthn_parse") // go-webauthn's decoder
	// go-webauthn's decoder (webauthncbor, DupMapKeyEnforcedAPF).
	var v map[string]any
	require.Error(t, webauthncbor.Unmarshal(obj, &v))
	// A COSE key with two x (-2) entries.
	a := newTestAuthenticator(t)
	key := a.coseKey()
	require.Equal(t, byte(0xa5), key[0])
	dupKey := append([]byte{0xa6}, key[1:]...)
	dupKey = append(dupKey, 0x21, 0x58, 0x20)
	dupKey = append(dupKey, bytes.Repeat([]byte{1}, 32)...)
	_, err = fresh(t, registration{COSEKey: dupKey}, nil)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// CB-03: indefinite-length CBOR items are refused.
func TestIndefiniteLengthCBORIsRefused(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	obj := append([]byte{0xbf}, vnoneObj[1:]...)
	obj = append(obj, 0xff)
	_, err := n.confirm(t, n.body(t, nil, obj), nil)
	refused(t, err, "webauthn_cbor")
	_, err = n.confirm(t, n.body(t, nil, []byte{0xBF, 0x63, 0x66, 0x6D, 0x74, 0x64, 0x6E, 0x6F, 0x6E, 0x65, 0xFF}), nil)
	refused(t, err, "webauthn_cbor")
}

// CB-04: CBOR tags are refused.
func TestCBORTagsAreRefused(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	i := bytes.Index(vnoneObj, []byte("authData")) + len("authData")
	tagged := append(append(bytes.Clone(vnoneObj[:i]), 0xd8, 0x18), vnoneObj[i:]...)
	_, err := n.confirm(t, n.body(t, nil, tagged), nil)
	refused(t, err, "webauthn_cbor")
}

// CB-05: deep CBOR nesting is refused quickly.
func TestDeepCBORNestingIsRefused(t *testing.T) {
	n := newVNone(t)
	deep := append(bytes.Repeat([]byte{0x81}, 10000), 0x00)
	obj, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": cbor.RawMessage(deep), "authData": n.authData})
	require.NoError(t, err)
	_, err = n.confirm(t, n.body(t, nil, obj), func(c *Config) { c.MaxAttestationObject = 20000 })
	refused(t, err, "webauthn_cbor")
	require.Error(t, checkAttestationObject(deep))
}

// CB-06: a declared-length bomb allocates nothing.
func TestCBORLengthBombAllocatesNothing(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	bomb := []byte{0x9B, 0x00, 0x00, 0x42, 0xFA, 0x42, 0xFA, 0x42, 0xFA, 0x42}
	for name, obj := range map[string][]byte{
		"as attStmt":  append(append([]byte{0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't', 'S', 't', 'm', 't'}, bomb...), vnoneObj[len(vnoneObj)-len(n.authData)-11:]...),
		"as authData": append(bytes.Clone(vnoneObj[:len(vnoneObj)-len(n.authData)-2]), bomb...),
		"alone":       bomb,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := n.confirm(t, n.body(t, nil, obj), nil)
			refused(t, err, "webauthn_cbor")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 100 {
				_ = checkAttestationObject(obj)
			}
			runtime.ReadMemStats(&after)
			assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/100, uint64(1024))
		})
	}
}

// CB-07: the attestation object is exactly one CBOR item.
func TestTrailingCBORIsRefused(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	for _, tail := range [][]byte{{0x00}, {0xa0}} {
		obj := append(bytes.Clone(vnoneObj), tail...)
		_, err := n.confirm(t, n.body(t, nil, obj), nil)
		refused(t, err, "webauthn_cbor")
		// go-webauthn's parser refuses it on its own too.
		_, err = protocol.ParseCredentialCreationResponseBytes(n.body(t, nil, obj))
		require.Error(t, err)
	}
}

// CB-08: authData is consumed exactly.
func TestAuthDataMustBeConsumedExactly(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, append(bytes.Clone(n.authData), 0x00))), nil)
	refused(t, err, "webauthn_parse")
	ad := bytes.Clone(n.authData)
	ad[53], ad[54] = 0x03, 0xff // credentialIdLength 1023 > the bytes left
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, ad)), nil)
	refused(t, err, "webauthn_parse")
}

// CB-09: the COSE key is decoded strictly with its types checked.
func TestCOSEKeyIsDecodedStrictly(t *testing.T) {
	a := newTestAuthenticator(t)
	key, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: "P-256", -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
	require.NoError(t, err)
	_, err = fresh(t, registration{COSEKey: key}, nil)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	key, err = ctap2.Marshal(map[int]any{1: "EC2", 3: -7, -1: 1, -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
	require.NoError(t, err)
	_, err = fresh(t, registration{COSEKey: key}, nil)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// CB-10: size limits apply per field before JSON, base64 and CBOR decoding.
func TestOversizedFieldsAreRefusedBeforeDecoding(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	bigCD := append(bytes.Clone(n.cdj[:len(n.cdj)-1]), []byte(`,"pad":"`+strings.Repeat("x", 64<<10)+`"}`)...)
	_, err := n.confirm(t, n.body(t, bigCD, nil), nil)
	malformed(t, err, "authn_response") // over the whole response's bound
	bigObj := append(bytes.Clone(vnoneObj), make([]byte, 256<<10)...)
	_, err = n.confirm(t, n.body(t, nil, bigObj), nil)
	malformed(t, err, "authn_response")
	// Each field's own cap: 1001 characters of clientDataJSON, 2001 of
	// attestationObject.
	_, err = n.confirm(t, n.body(t, append(bytes.Clone(n.cdj[:len(n.cdj)-1]), []byte(`,"p":"`+strings.Repeat("x", 1001-len(n.cdj))+`"}`)...), nil), nil)
	malformed(t, err, "authn_response.response.clientDataJSON")
	_, err = n.confirm(t, n.body(t, nil, append(bytes.Clone(vnoneObj), make([]byte, 1500-len(vnoneObj)+1)...)), nil)
	malformed(t, err, "authn_response.response.attestationObject")
	// The caps are configurable: the spec's defaults refuse a real TPM
	// attestation, a raised cap accepts it.
	r := loadReal(t)["testAttestationTPMResponses_0"]
	challenge, origin, rpID, pcc := r.ceremony(t)
	if !validNow(t, pcc) {
		t.Skip("the TPM vector's AIK certificate has expired (go-webauthn checks the system clock)")
	}
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.RPID, c.Origins = rpID, []string{origin} })
	_, err = h.confirm(h.stateFor(challenge), alice, r.Response)
	malformed(t, err, "authn_response.response.attestationObject")
	h = newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.RPID, c.Origins, c.MaxAttestationObject = rpID, []string{origin}, 8000 })
	_, err = h.confirm(h.stateFor(challenge), alice, r.Response)
	require.NoError(t, err)
	for _, v := range []int{999, maxMaxAttestationObject + 1} {
		cfg := baseConfig()
		cfg.MaxAttestationObject = v
		_, err := New(verify.TypePasskey, h.store, cfg)
		require.ErrorIs(t, err, ErrConfig)
	}
}

// CB-11: no input makes a parser panic.
//
// Every single-bit flip of V-none's attestation object and
// clientDataJSON: no panic, and an error means no confirmation.
func TestNoBitFlipPanics(t *testing.T) {
	n := newVNone(t)
	vnoneObj := unhex(t, n.r.AttestationObject)
	h := n.harness(t, nil)
	st := n.state(h)
	for _, which := range []string{"attestationObject", "clientDataJSON"} {
		src := vnoneObj
		if which == "clientDataJSON" {
			src = n.cdj
		}
		for i := range len(src) * 8 {
			b := bytes.Clone(src)
			b[i/8] ^= 1 << (i % 8)
			body := n.body(t, nil, b)
			if which == "clientDataJSON" {
				body = n.body(t, b, nil)
			}
			c, err := h.confirm(st, alice, body)
			if err != nil {
				require.Nil(t, c)
				require.NotNil(t, verify.Kind(err), "a client error, not an internal one: %v", err)
			}
		}
	}
}

// CB-12: Firefox 117's malformed authData is handled by a pinned rule.
//
// Firefox 117's authData (strings for kty and crv, the key's x as an
// array of integers): pinned, refused (go-webauthn cannot parse the
// credential key); SimpleWebAuthn repairs it instead. The log
// reason, webauthn_parse, says where.
func TestFirefox117AuthDataIsRefused(t *testing.T) {
	n := newVNone(t)
	ff, err := os.ReadFile("testdata/firefox117-authdata.hex")
	require.NoError(t, err)
	ad := unhex(t, strings.TrimSpace(string(ff)))
	rp := sha256Sum(testRPID)
	copy(ad, rp[:])
	credID := ad[55 : 55+(int(ad[53])<<8|int(ad[54]))]
	obj := n.attObj(t, nil, nil, ad)
	h := n.harness(t, func(c *Config) { c.Algorithms = knownAlgorithms })
	_, err = h.confirm(n.state(h), alice, responseJSON(t, credID, obj, n.cdj))
	refused(t, err, "webauthn_parse")
}
