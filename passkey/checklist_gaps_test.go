package passkey

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// checklistGaps adds to TestChecklist the rows first mapped by the
// security issue.
func checklistGaps(t *testing.T) {
	t.Run("GN-08", func(t *testing.T) {
		// A wrong challenge (WA-07), a wrong origin (WA-10) and a bad
		// packed-self signature (AF-02), through verify.Service and the
		// HTTP adapter: the same status and the same problem body, byte for
		// byte; which check failed is only in the event's reason.
		f := newSvcFixture(t, verify.TypeWebAuthnRoaming, nil)
		h, err := httpapi.New(httpapi.Config{
			Verifier: f.svc, BaseURL: "https://id.example.org/me/v1", Limiter: ratelimit.Unlimited(f.clock), Now: f.clock,
			Authenticator: httpapi.AuthenticatorFunc(func(*http.Request) (httpapi.Principal, error) {
				return httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}, nil
			}),
		})
		require.NoError(t, err)
		a := newTestAuthenticator(t)
		cases := map[string]func(opts creationOptions) json.RawMessage{
			"WA-07 challenge": func(opts creationOptions) json.RawMessage {
				cd := created(opts)
				cd.Challenge = b64.EncodeToString(bytes.Repeat([]byte{1}, 32))
				return a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd})
			},
			"WA-10 origin": func(opts creationOptions) json.RawMessage {
				cd := created(opts)
				cd.Origin = "https://example.org.evil.com"
				return a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd})
			},
			"AF-02 signature": func(opts creationOptions) json.RawMessage {
				return flipSignatureBit(t, a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: created(opts)}))
			},
		}
		bodies := map[string]string{}
		reasons := map[string]bool{}
		for name, body := range cases {
			enr, opts := f.begin(alice)
			authn := body(opts)
			_, err := f.finish(alice, enr, authn)
			require.ErrorIs(t, err, verify.ErrInvalidProof, name)
			reasons[verify.ReasonOf(err)] = true

			enr, opts = f.begin(alice)
			req, err := json.Marshal(map[string]any{"auth_session": enr.AuthSession, "authn_response": json.RawMessage(body(opts))})
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodPost, "https://id.example.org/me/v1/authentication-methods/"+strings.ReplaceAll(enr.ID, "|", "%7C")+"/verify", bytes.NewReader(req))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, http.StatusBadRequest, w.Code, name)
			bodies[name] = w.Body.String()
		}
		assert.Len(t, reasons, 3, "three different reasons for the logs: %v", reasons)
		want := bodies["WA-07 challenge"]
		assert.Contains(t, want, `"invalid_proof"`)
		for name, b := range bodies {
			assert.Equal(t, want, b, name)
		}
		assert.Zero(t, f.count(alice))
	})
}

// TestGoWebAuthnLayer proves which of the strict-decoding rows
// go-webauthn v0.18.2 enforces on its own — its CBOR mode
// (webauthncbor.Unmarshal), its response parser
// (protocol.ParseCredentialCreationResponseBytes) and its registration
// checks (ParsedCredentialCreationData.Verify) — without this package's
// pre-checks, so that SECURITY.md can say which layer enforces what and the
// engine does not re-implement it. TestChecklist proves the same inputs
// are refused through the engine. Where the engine is stricter than
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

	t.Run("CB-03", func(t *testing.T) {
		indef := append(append([]byte{0xbf}, vnoneObj[1:]...), 0xff)
		require.Error(t, parse(indef), "indefinite-length map")
		var v any
		require.Error(t, webauthncbor.Unmarshal([]byte{0x5f, 0x41, 0x00, 0xff}, &v), "indefinite-length byte string")
		require.Error(t, webauthncbor.Unmarshal([]byte{0x9f, 0x01, 0xff}, &v), "indefinite-length array")
	})

	t.Run("CB-04", func(t *testing.T) {
		i := bytes.Index(vnoneObj, []byte("authData")) + len("authData")
		tagged := append(append(bytes.Clone(vnoneObj[:i]), 0xd8, 0x18), vnoneObj[i:]...)
		require.Error(t, parse(tagged), "authData in tag 24")
		var v any
		require.Error(t, webauthncbor.Unmarshal([]byte{0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0}, &v), "tag 1 (epoch time)")
	})

	t.Run("CB-05", func(t *testing.T) {
		deep := append(bytes.Repeat([]byte{0x81}, 10000), 0x00)
		obj, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": cbor.RawMessage(deep), "authData": n.authData})
		require.NoError(t, err)
		require.Error(t, parse(obj), "10 000 nested arrays as attStmt")
		var v any
		require.Error(t, webauthncbor.Unmarshal(deep, &v))
		require.Error(t, webauthncbor.Unmarshal(append(bytes.Repeat([]byte{0x81}, 6), 0x00), &v), "6 levels > go-webauthn's 5")
		require.NoError(t, webauthncbor.Unmarshal(append(bytes.Repeat([]byte{0x81}, 5), 0x00), &v), "5 levels: go-webauthn's bound")
	})

	t.Run("CB-06", func(t *testing.T) {
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

	t.Run("CB-07", func(t *testing.T) {
		for _, tail := range [][]byte{{0x00}, {0xa0}} {
			require.Error(t, parse(append(bytes.Clone(vnoneObj), tail...)))
		}
	})

	t.Run("CB-08", func(t *testing.T) {
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

	t.Run("WA-16", func(t *testing.T) {
		require.Error(t, gwVerify(n.withFlags(0x59&^0x01), false), "UP=0")
	})

	t.Run("WA-17", func(t *testing.T) {
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
