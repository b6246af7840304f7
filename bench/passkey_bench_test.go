package bench_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/bench/internal/capture"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// The benchmarks of this file verify one registration made by headless
// Chromium (bench/testdata/chromium-packed-es256.json, recorded by
// bench/capture): a packed attestation with an x5c certificate and an
// ES256 credential key. bench/run compares them with each other and with
// @simplewebauthn/server (bench/node/simplewebauthn.js) on the same bytes.

func load(tb testing.TB) *capture.Registration {
	tb.Helper()
	r, err := capture.Load("../" + capture.File)
	require.NoError(tb, err)
	return r
}

// engine returns the passkey engine the registration was made for, on an
// empty memory store, with its clock at the capture.
func engine(tb testing.TB, r *capture.Registration) *passkey.Engine {
	tb.Helper()
	st, err := memory.New(memory.Config{Now: r.Now})
	require.NoError(tb, err)
	e, err := passkey.New(verify.TypePasskey, st, capture.Config(r.Origin, r.Now))
	require.NoError(tb, err)
	return e
}

// goWebAuthn is go-webauthn's own parse and verify of the registration,
// with what the engine asks of it: the challenge, RP ID and origin of the
// ceremony, user verification and presence required, ES256 offered.
func goWebAuthn(r *capture.Registration) error {
	pcc, err := protocol.ParseCredentialCreationResponseBytes(r.AuthnResponse)
	if err != nil {
		return err
	}
	params := []protocol.CredentialParameter{{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256}}
	_, err = pcc.Verify(r.Challenge, r.RPID, []string{r.Origin}, nil, nil, protocol.TopOriginExplicitVerificationMode,
		false, true, true, nil, params, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
	return err
}

// attestation is the packed statement's signature check in its plainest
// form: the x5c[0] key, the signature, and the signed bytes
// authenticatorData ‖ SHA-256(clientDataJSON) (WebAuthn §8.2).
type attestation struct {
	key    *ecdsa.PublicKey
	sig    []byte
	signed []byte
}

func parseAttestation(tb testing.TB, r *capture.Registration) attestation {
	tb.Helper()
	var resp struct {
		Response struct {
			AttestationObject string `json:"attestationObject"`
			ClientDataJSON    string `json:"clientDataJSON"`
		} `json:"response"`
	}
	require.NoError(tb, json.Unmarshal(r.AuthnResponse, &resp))
	raw, err := base64.RawURLEncoding.DecodeString(resp.Response.AttestationObject)
	require.NoError(tb, err)
	cdj, err := base64.RawURLEncoding.DecodeString(resp.Response.ClientDataJSON)
	require.NoError(tb, err)
	var obj struct {
		AuthData []byte `cbor:"authData"`
		AttStmt  struct {
			Sig []byte   `cbor:"sig"`
			X5c [][]byte `cbor:"x5c"`
		} `cbor:"attStmt"`
	}
	require.NoError(tb, cbor.Unmarshal(raw, &obj))
	require.NotEmpty(tb, obj.AttStmt.X5c)
	cert, err := x509.ParseCertificate(obj.AttStmt.X5c[0])
	require.NoError(tb, err)
	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	require.True(tb, ok, "x5c[0] holds a %T", cert.PublicKey)
	cdh := sha256.Sum256(cdj)
	return attestation{key: key, sig: obj.AttStmt.Sig, signed: append(obj.AuthData, cdh[:]...)}
}

func (a attestation) verify() bool {
	d := sha256.Sum256(a.signed)
	return ecdsa.VerifyASN1(a.key, d[:], a.sig)
}

// TestChromiumRegistration: the engine, go-webauthn and the bare
// signature check all accept the captured registration, so the benchmarks
// measure successes.
func TestChromiumRegistration(t *testing.T) {
	r := load(t)
	c, err := engine(t, r).Confirm(context.Background(), r.ConfirmRequest())
	require.NoError(t, err, "if the passkey engine's sealed state changed, record the registration again: go run ./bench/capture")
	require.Equal(t, "packed", c.Method.WebAuthn.AttestationFormat)
	require.Equal(t, passkey.AlgES256, c.Method.WebAuthn.Algorithm)
	require.NoError(t, goWebAuthn(r))
	require.True(t, parseAttestation(t, r).verify())
}

// BenchmarkChromiumConfirm is the passkey engine's Confirm of the Chromium
// registration: every check of package passkey, go-webauthn's
// verification, and the two store reads, on the memory store.
func BenchmarkChromiumConfirm(b *testing.B) {
	r := load(b)
	e := engine(b, r)
	req := r.ConfirmRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Confirm(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChromiumGoWebAuthn is go-webauthn's bare parse and verify of
// the same registration: what the engine builds on.
func BenchmarkChromiumGoWebAuthn(b *testing.B) {
	r := load(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := goWebAuthn(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChromiumP256Verify is the floor: the one ECDSA P-256
// verification (with its SHA-256) that a packed ES256 attestation needs.
func BenchmarkChromiumP256Verify(b *testing.B) {
	a := parseAttestation(b, load(b))
	b.ReportAllocs()
	for b.Loop() {
		if !a.verify() {
			b.Fatal("signature refused")
		}
	}
}
