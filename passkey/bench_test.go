package passkey

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
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

// signInBench is one generated ES256 passkey assertion (the software
// authenticator of signin_helpers_test.go: UP, UV, BE, BS, counter 1) and
// its sealed step-up ceremony.
func signInBench(b *testing.B) (*harness, *credential, signInSealed, jsontext.Value) {
	b.Helper()
	h := newHarness(b, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_bench", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	body := c.assert(b, assertion{Counter: 1, ClientDat: get(opts)})
	_, err := h.authenticate(st, alice, c, body)
	require.NoError(b, err)
	return h, c, st, body
}

// BenchmarkAuthenticateES256 is Engine.Authenticate of one step-up
// assertion: every check of the package and go-webauthn's parse and
// verify (WebAuthn §7.2).
func BenchmarkAuthenticateES256(b *testing.B) {
	h, c, st, body := signInBench(b)
	raw, err := json.Marshal(st)
	require.NoError(b, err)
	req := &verify.EngineConfirm{Subject: alice, Method: c.method, Record: c.rec, State: raw,
		Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: body}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateUsernamelessES256 is the same assertion signed in
// usernameless: with the credential looked up in the memory store.
func BenchmarkAuthenticateUsernamelessES256(b *testing.B) {
	h, c, _, _ := signInBench(b)
	st, opts := h.challenge(verify.Subject{}, nil)
	body := c.assert(b, assertion{Counter: 1, ClientDat: get(opts)})
	raw, err := json.Marshal(st)
	require.NoError(b, err)
	req := &verify.EngineConfirm{State: raw, Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: body}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoWebAuthnLoginBare is go-webauthn's own transport-free login
// validation of the same assertion with the same parameters
// (ParseCredentialRequestResponseBytes and Verify: the challenge, RP ID,
// origin, UV and UP required, the stored key): the floor Authenticate
// builds on.
func BenchmarkGoWebAuthnLoginBare(b *testing.B) {
	_, c, st, body := signInBench(b)
	key := c.method.WebAuthn.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		par, err := protocol.ParseCredentialRequestResponseBytes(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := par.Verify(st.Challenge, testRPID, "", []string{testOrigin}, nil, nil, protocol.TopOriginExplicitVerificationMode,
			false, true, true, key, protocol.SignaturePolicy{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateOverGoWebAuthn runs Engine.Authenticate and
// go-webauthn's bare login validation of the same assertion alternately,
// so that both see the same machine load, and reports each one's time per
// check and their ratio (issue 14's goal: ≤ 1.3).
func BenchmarkAuthenticateOverGoWebAuthn(b *testing.B) {
	h, c, st, body := signInBench(b)
	raw, err := json.Marshal(st)
	require.NoError(b, err)
	req := &verify.EngineConfirm{Subject: alice, Method: c.method, Record: c.rec, State: raw,
		Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: body}}
	key := c.method.WebAuthn.PublicKey
	ctx := context.Background()
	var engine, bare time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := h.e.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		par, err := protocol.ParseCredentialRequestResponseBytes(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := par.Verify(st.Challenge, testRPID, "", []string{testOrigin}, nil, nil, protocol.TopOriginExplicitVerificationMode,
			false, true, true, key, protocol.SignaturePolicy{}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		engine += t1.Sub(t0)
		bare += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(engine.Nanoseconds())/n, "engine-ns/check")
	b.ReportMetric(float64(bare.Nanoseconds())/n, "bare-ns/check")
	b.ReportMetric(float64(engine)/float64(bare), "ratio")
}
