package bench_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/bench/internal/capture"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// The benchmarks of this file verify one sign-in assertion made by
// headless Chromium (bench/testdata/chromium-assertion-es256.json,
// recorded by bench/capture with the registration of
// passkey_bench_test.go): a step-up by that ES256 credential, on a
// challenge of the passkey engine. bench/run compares the engine's check
// with go-webauthn's bare login validation and with
// @simplewebauthn/server's verifyAuthenticationResponse
// (bench/node/simplewebauthn-auth.js) on the same bytes.

// signIn is the captured assertion, the engine it answers (on an empty
// memory store, its clock at the challenge) and the Engine.Authenticate
// request verify.Service makes of it: the stored method as the confirmed
// registration makes it, and the sealed sign-in state.
type signIn struct {
	a   *capture.Assertion
	e   *passkey.Engine
	req *verify.EngineConfirm
	key []byte // the stored COSE public key
}

func loadSignIn(tb testing.TB) signIn {
	tb.Helper()
	r := load(tb)
	a, err := capture.LoadAssertion("../" + capture.AssertionFile)
	require.NoError(tb, err)
	st, err := memory.New(memory.Config{Now: a.Now})
	require.NoError(tb, err)
	e, err := passkey.New(verify.TypePasskey, st, capture.Config(a.Origin, a.Now))
	require.NoError(tb, err)
	conf, err := e.Confirm(context.Background(), r.ConfirmRequest())
	require.NoError(tb, err, "if the passkey engine's sealed state changed, record both again: go run ./bench/capture")
	m, rec, err := r.Stored(conf)
	require.NoError(tb, err)
	// The file's copy of the credential, which go-webauthn and Node use,
	// is the one the engine stores.
	b64 := base64.RawURLEncoding
	require.Equal(tb, a.CredentialID, b64.EncodeToString(rec.CredentialID))
	require.Equal(tb, a.PublicKey, b64.EncodeToString(m.WebAuthn.PublicKey))
	require.Equal(tb, a.UserHandle, b64.EncodeToString(m.WebAuthn.UserHandle))
	require.Equal(tb, a.Counter, rec.Counter)
	require.Equal(tb, r.Origin, a.Origin)
	return signIn{a: a, e: e, req: a.AuthenticateRequest(m, rec), key: m.WebAuthn.PublicKey}
}

// goWebAuthnLogin is go-webauthn's transport-free login validation of the
// assertion with what the engine asks of it: the challenge, RP ID and
// origin of the ceremony, user verification and presence required, the
// stored COSE key.
func (s signIn) goWebAuthnLogin() error {
	par, err := protocol.ParseCredentialRequestResponseBytes(s.a.AuthnResponse)
	if err != nil {
		return err
	}
	return par.Verify(s.a.Challenge, s.a.RPID, "", []string{s.a.Origin}, nil, nil, protocol.TopOriginExplicitVerificationMode,
		false, true, true, s.key, protocol.SignaturePolicy{})
}

// TestChromiumAssertion: the engine and go-webauthn both accept the
// captured sign-in, so the benchmarks measure successes; the engine
// advances the counter the registration stored.
func TestChromiumAssertion(t *testing.T) {
	s := loadSignIn(t)
	auth, err := s.e.Authenticate(context.Background(), s.req)
	require.NoError(t, err)
	require.Equal(t, passkey.AlgES256, auth.Method.WebAuthn.Algorithm)
	require.Greater(t, auth.Counter, s.a.Counter)
	require.NoError(t, s.goWebAuthnLogin())
}

// TestChromiumAssertionBadSignatureIsRefused: both sides refuse the
// assertion with one signature character changed, so neither benchmark
// measures a check that skips the signature.
func TestChromiumAssertionBadSignatureIsRefused(t *testing.T) {
	s := loadSignIn(t)
	resp := bytes.Clone(s.a.AuthnResponse)
	i := bytes.Index(resp, []byte(`"signature":"`))
	require.Positive(t, i)
	c := &resp[i+len(`"signature":"`)+20]
	*c = map[bool]byte{true: 'B', false: 'A'}[*c == 'A']
	s.a.AuthnResponse, s.req.Request.AuthnResponse = resp, resp
	require.Error(t, s.goWebAuthnLogin())
	_, err := s.e.Authenticate(context.Background(), s.req)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// BenchmarkChromiumAuthenticate is the passkey engine's Authenticate of
// the Chromium assertion as verify.Service calls it for a step-up: the
// sealed state's checks, the assertion's strict decoding and bounds,
// go-webauthn's parse and verify (WebAuthn §7.2), the credential, user
// handle, flag and counter checks. No store access: a step-up's method
// comes from the Service.
func BenchmarkChromiumAuthenticate(b *testing.B) {
	s := loadSignIn(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.e.Authenticate(ctx, s.req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChromiumGoWebAuthnLogin is go-webauthn's bare login validation
// of the same assertion (ParseCredentialRequestResponseBytes and
// ParsedCredentialAssertionData.Verify): what the engine builds on.
func BenchmarkChromiumGoWebAuthnLogin(b *testing.B) {
	s := loadSignIn(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.goWebAuthnLogin(); err != nil {
			b.Fatal(err)
		}
	}
}
