package passkey

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// benchInput is the generated packed self attestation (ES256) and the
// sealed ceremony it answers.
func benchInput(b *testing.B) (*harness, *verify.EngineConfirm, generatedVector) {
	b.Helper()
	g := loadGenerated(b).get(b, "packed-self-es256")
	h := newHarness(b, verify.TypeWebAuthnRoaming, nil)
	c, err := b64.DecodeString(g.Challenge)
	require.NoError(b, err)
	raw, err := json.Marshal(h.stateFor(c))
	require.NoError(b, err)
	req := &verify.EngineConfirm{Subject: alice, MethodID: "webauthn-roaming|dev_bench", State: raw,
		Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: g.Response}, Client: verify.Client{UserAgent: chromeMacUA}}
	_, err = h.e.Confirm(context.Background(), req)
	require.NoError(b, err)
	return h, req, g
}

// BenchmarkConfirmPackedES256 is Engine.Confirm of one packed ES256
// registration: every check of the package, go-webauthn's verification and
// the two store reads (duplicate credential, user handle), on the memory
// store.
func BenchmarkConfirmPackedES256(b *testing.B) {
	h, req, _ := benchInput(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.e.Confirm(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoWebAuthnBare is go-webauthn's own parse and verify of the
// same response with the same parameters: the floor Confirm builds on.
func BenchmarkGoWebAuthnBare(b *testing.B) {
	_, _, g := benchInput(b)
	c, err := b64.DecodeString(g.Challenge)
	require.NoError(b, err)
	challenge := b64.EncodeToString(c)
	params := []protocol.CredentialParameter{{Type: "public-key", Algorithm: webauthncose.AlgEdDSA},
		{Type: "public-key", Algorithm: webauthncose.AlgES256}, {Type: "public-key", Algorithm: webauthncose.AlgRS256}}
	b.ReportAllocs()
	for b.Loop() {
		pcc, err := protocol.ParseCredentialCreationResponseBytes(g.Response)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pcc.Verify(challenge, testRPID, []string{testOrigin}, nil, nil, protocol.TopOriginExplicitVerificationMode,
			false, false, true, nil, params, protocol.AttestationPolicy{}, protocol.SignaturePolicy{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkP256Verify is one ECDSA P-256 signature verification, the
// cryptographic cost of a packed ES256 self attestation.
func BenchmarkP256Verify(b *testing.B) {
	a := newTestAuthenticator(b)
	msg := []byte("authenticator data and client data hash")
	sig := sign(b, a.key, msg)
	d := sha256.Sum256(msg)
	b.ReportAllocs()
	for b.Loop() {
		if !ecdsa.VerifyASN1(&a.key.PublicKey, d[:], sig) {
			b.Fatal("verify")
		}
	}
}
