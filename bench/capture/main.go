// Command capture records one WebAuthn registration and one sign-in by
// the credential it made, both by a real browser, for the passkey
// comparisons of bench/run: headless Chromium,
// whose virtual authenticator (WebAuthn.addVirtualAuthenticator over the
// DevTools protocol, driven with chromedp) answers a passkey enrollment
// started by verifykit's passkey engine with attestation "direct". It
// checks that the result is what the benchmarks claim to measure — a
// "packed" attestation with an x5c certificate chain and an ES256 (P-256)
// credential key, which the engine confirms — and writes it with the
// challenge, origin, RP ID and sealed engine state, so that verifykit,
// go-webauthn and @simplewebauthn/server all verify the same bytes.
//
// Then, in the same browser session, it signs in with that credential: a
// step-up challenge of the engine (Engine.Challenge for the method the
// confirmed registration makes, so the credential is in allowCredentials
// and the engine chose the challenge), answered with
// navigator.credentials.get, and the assertion's toJSON() form checked by
// the engine's Authenticate. It writes the assertion with the challenge,
// origin, RP ID, the sealed sign-in state and the stored credential (id,
// COSE public key, user handle, counter):
//
//	go run ./bench/capture [-out bench/testdata/chromium-packed-es256.json] [-assertion-out bench/testdata/chromium-assertion-es256.json]
//
// It needs Chromium at /usr/bin/chromium (or -chromium PATH).
package main

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/fxamacker/cbor/v2"

	"github.com/verifykit/verifykit/bench/internal/capture"
	"github.com/verifykit/verifykit/internal/testkit/chromium"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

func main() {
	out := flag.String("out", capture.File, "file to write the registration to")
	assertionOut := flag.String("assertion-out", capture.AssertionFile, "file to write the sign-in assertion to")
	browser := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	flag.Parse()
	if err := run(*out, *assertionOut, *browser); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

// createJS creates a credential from the creation options %s (the JSON
// form of WebAuthn §5.4) and returns the PublicKeyCredential in the JSON
// form of authn_response, by the function %s (chromium.CredentialJSON).
const createJS = `(async () => {
  const options = %s;
  const cred = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  return {response: JSON.stringify((%s)(cred)), userAgent: navigator.userAgent};
})()`

// getJS signs in with the request options %s (the JSON form of WebAuthn
// §5.5) and returns the PublicKeyCredential's toJSON(), the
// AuthenticationResponseJSON an authn_response carries.
const getJS = `(async () => {
  const options = %s;
  const cred = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
  return {response: JSON.stringify(cred.toJSON()), userAgent: navigator.userAgent};
})()`

func run(out, assertionOut, browser string) error {
	if _, err := exec.LookPath(browser); err != nil {
		return fmt.Errorf("no Chromium at %s (install Debian's chromium): %w", browser, err)
	}
	// A blank page on http://localhost:PORT, a secure context for WebAuthn.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>capture</title>")
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	now := time.Now().Truncate(time.Millisecond)
	clock := now
	cfg := capture.Config(origin, func() time.Time { return clock })
	st, err := memory.New(memory.Config{})
	if err != nil {
		return err
	}
	eng, err := passkey.New(verify.TypePasskey, st, cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ch, err := eng.Start(ctx, &verify.EngineStart{
		Subject:  capture.Subject,
		Request:  verify.StartRequest{Type: verify.TypePasskey},
		MethodID: "passkey|new", ExpiresAt: now.Add(verify.MaxSessionTTL),
	})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	state, err := json.Marshal(ch.State)
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "verifykit-capture-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromium.Options(browser, tmp)...)
	defer cancelAlloc()
	tctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	tctx, cancel := context.WithTimeout(tctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(origin+"/")); err != nil {
		return fmt.Errorf("start %s: %w", browser, err)
	}
	if _, err := chromedp.Call(tctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		return err
	}
	// A platform passkey: CTAP 2.1, internal transport, discoverable,
	// user verification; "direct" attestation keeps its packed statement.
	if _, err := chromedp.Call(tctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
		IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		return err
	}
	type created struct {
		Response  string `json:"response"`
		UserAgent string `json:"userAgent"`
	}
	res, err := chromedp.Run(tctx, chromedp.Evaluate[created](fmt.Sprintf(createJS, ch.AuthnParamsPublicKey, chromium.CredentialJSON), chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("navigator.credentials.create: %w", err)
	}

	rec := capture.Registration{
		About: "One passkey registration made by headless Chromium's virtual authenticator (CTAP 2.1, internal, " +
			"user verification) with attestation \"direct\": a packed attestation with an x5c chain and an ES256 " +
			"key. Written by go run ./bench/capture; read by bench/run's passkey comparisons.",
		Browser: res.UserAgent, CapturedAt: now.UTC().Format(time.RFC3339), NowMs: now.UnixMilli(),
		Type: string(verify.TypePasskey), RPID: cfg.RPID, Origin: origin, Challenge: challengeOf(ch.AuthnParamsPublicKey),
		EngineState: state, CreationOptions: ch.AuthnParamsPublicKey, AuthnResponse: jsontext.Value(res.Response),
	}
	if err := check(&rec); err != nil {
		return err
	}
	// The engine that made the challenge confirms the response.
	conf, err := eng.Confirm(ctx, rec.ConfirmRequest())
	if err != nil {
		return fmt.Errorf("the engine refuses the captured registration: %w", err)
	}

	// A step-up sign-in by the credential just made, on a challenge the
	// engine chooses, a moment later.
	clock = time.Now().Truncate(time.Millisecond)
	if !clock.After(now) {
		clock = now.Add(time.Millisecond)
	}
	m, stored, err := rec.Stored(conf)
	if err != nil {
		return err
	}
	sc, err := eng.Challenge(ctx, &verify.EngineStart{
		Subject: capture.Subject, Method: m, Record: stored, ExpiresAt: clock.Add(verify.MaxSessionTTL),
	})
	if err != nil {
		return fmt.Errorf("sign-in challenge: %w", err)
	}
	signInState, err := json.Marshal(sc.State)
	if err != nil {
		return err
	}
	got, err := chromedp.Run(tctx, chromedp.Evaluate[created](fmt.Sprintf(getJS, sc.AuthnParamsPublicKey), chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("navigator.credentials.get: %w", err)
	}
	b64 := base64.RawURLEncoding
	as := capture.Assertion{
		About: "One passkey sign-in (a step-up: the credential in allowCredentials) by the credential of " + capture.File +
			", made by the same headless Chromium virtual authenticator, on a challenge of the passkey engine's Challenge; " +
			"the authn_response is the PublicKeyCredential's toJSON(). Written by go run ./bench/capture; read by bench/run's sign-in comparisons.",
		Browser: got.UserAgent, CapturedAt: clock.UTC().Format(time.RFC3339), NowMs: clock.UnixMilli(),
		Type: rec.Type, RPID: cfg.RPID, Origin: origin, Challenge: challengeOf(sc.AuthnParamsPublicKey),
		MethodID:     capture.MethodID,
		CredentialID: b64.EncodeToString(conf.CredentialID), PublicKey: b64.EncodeToString(m.WebAuthn.PublicKey),
		UserHandle: b64.EncodeToString(m.WebAuthn.UserHandle), Counter: stored.Counter, Registration: capture.File,
		EngineState: signInState, RequestOptions: sc.AuthnParamsPublicKey, AuthnResponse: jsontext.Value(got.Response),
	}
	// The engine that made the challenge accepts the assertion and sees
	// the counter advance.
	auth, err := eng.Authenticate(ctx, as.AuthenticateRequest(m, stored))
	if err != nil {
		return fmt.Errorf("the engine refuses the captured assertion: %w (%s)", err, got.Response)
	}
	if auth.Counter != 0 && auth.Counter <= stored.Counter {
		return fmt.Errorf("the assertion's counter %d does not advance the stored %d", auth.Counter, stored.Counter)
	}

	for _, f := range []struct {
		path string
		v    any
	}{{out, rec}, {assertionOut, as}} {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.path, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", f.path)
	}
	fmt.Printf("%s, origin %s; sign-in counter %d → %d\n", rec.Browser, origin, stored.Counter, auth.Counter)
	return nil
}

func challengeOf(options jsontext.Value) string {
	var o struct {
		Challenge string `json:"challenge"`
	}
	_ = json.Unmarshal(options, &o)
	return o.Challenge
}

// check makes sure the registration is a packed attestation with an x5c
// chain and an ES256 credential key.
func check(rec *capture.Registration) error {
	var r struct {
		Response struct {
			AttestationObject string `json:"attestationObject"`
		} `json:"response"`
	}
	if err := json.Unmarshal(rec.AuthnResponse, &r); err != nil {
		return err
	}
	raw, err := base64.RawURLEncoding.DecodeString(r.Response.AttestationObject)
	if err != nil {
		return err
	}
	var obj struct {
		Fmt     string `cbor:"fmt"`
		AttStmt struct {
			Alg int64    `cbor:"alg"`
			X5c [][]byte `cbor:"x5c"`
		} `cbor:"attStmt"`
	}
	if err := cbor.Unmarshal(raw, &obj); err != nil {
		return err
	}
	if obj.Fmt != "packed" || len(obj.AttStmt.X5c) == 0 || obj.AttStmt.Alg != passkey.AlgES256 {
		return fmt.Errorf("want a packed attestation with x5c and alg -7, got fmt %q, %d certificates, alg %d", obj.Fmt, len(obj.AttStmt.X5c), obj.AttStmt.Alg)
	}
	cert, err := x509.ParseCertificate(obj.AttStmt.X5c[0])
	if err != nil {
		return err
	}
	if !strings.Contains(cert.Subject.String(), "Authenticator Attestation") {
		return errors.New("the attestation certificate's subject lacks OU=Authenticator Attestation: " + cert.Subject.String())
	}
	rec.Certificate = fmt.Sprintf("%s, issued by %s, valid %s to %s, %d in x5c", cert.Subject, cert.Issuer,
		cert.NotBefore.UTC().Format(time.DateOnly), cert.NotAfter.UTC().Format(time.DateOnly), len(obj.AttStmt.X5c))
	return nil
}
