// Package capture holds the browser-made WebAuthn registration and
// sign-in assertion the passkey comparisons of bench/run verify, and the
// passkey engine configuration they were made under, shared by the command
// that records them (bench/capture) and the benchmarks that replay them
// (bench).
package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// File is the registration bench/capture writes, relative to the module
// root.
const File = "bench/testdata/chromium-packed-es256.json"

// Subject is the user the registration was made for.
var Subject = verify.Subject{ID: "auth0|bench", Email: "bench@example.com", Name: "Bench User", Username: "bench"}

// MethodID is the method id Confirm is given.
const MethodID = "passkey|dev_benchmark000000"

// Registration is one captured registration and everything needed to
// verify it again: the ceremony's challenge, origin and RP ID, and the
// engine state sealed at its start.
type Registration struct {
	About       string `json:"about"`
	Browser     string `json:"browser"` // navigator.userAgent
	CapturedAt  string `json:"captured_at"`
	Certificate string `json:"attestation_certificate"` // a summary of x5c[0]
	// NowMs is the clock at capture, Unix milliseconds: the sealed
	// ceremony expires 10 minutes later, so a replay pins the engine's
	// clock here.
	NowMs           int64          `json:"now_ms"`
	Type            string         `json:"type"`
	RPID            string         `json:"rp_id"`
	Origin          string         `json:"origin"`
	Challenge       string         `json:"challenge"` // base64url, as in the creation options
	EngineState     jsontext.Value `json:"engine_state"`
	CreationOptions jsontext.Value `json:"creation_options"`
	AuthnResponse   jsontext.Value `json:"authn_response"`
}

// Config is the passkey engine configuration of the capture at origin,
// with the clock now: direct attestation and ES256 only, so that the
// browser makes a packed ES256 attestation.
func Config(origin string, now func() time.Time) passkey.Config {
	return passkey.Config{
		RPID: "localhost", Origins: []string{origin},
		Attestation: passkey.AttestationDirect, Algorithms: []int64{passkey.AlgES256},
		Now: now,
	}
}

// Load reads the registration at path.
func Load(path string) (*Registration, error) {
	var r Registration
	if err := load(path, &r, &r.EngineState, &r.CreationOptions, &r.AuthnResponse); err != nil {
		return nil, err
	}
	return &r, nil
}

// load reads the JSON file at path into v and compacts the raw members
// raw: the file is indented for reading; a client sends, and the sealed
// session holds, compact JSON.
func load(path string, v any, raw ...*jsontext.Value) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (record one with: go run ./bench/capture)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, m := range raw {
		var c bytes.Buffer
		if err := json.Compact(&c, *m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		*m = c.Bytes()
	}
	return nil
}

// Now is the clock of the capture.
func (r *Registration) Now() time.Time { return time.UnixMilli(r.NowMs) }

// ConfirmRequest is the Engine.Confirm request of the registration.
func (r *Registration) ConfirmRequest() *verify.EngineConfirm {
	return &verify.EngineConfirm{
		Subject: Subject, MethodID: MethodID, State: r.EngineState,
		Request: verify.VerifyRequest{AuthSession: "(sealed elsewhere)", AuthnResponse: r.AuthnResponse},
		Client:  verify.Client{UserAgent: r.Browser}, IssuedAt: r.Now(),
	}
}

// Stored is the method a host's store holds once the engine confirmed the
// registration (c, its Confirmation): the verify.Method as
// verify.Service completes it (id, type, subject, confirmed, created at
// the capture), and its store record with the credential id and counter.
// A step-up sign-in starts from these two, as the Service reads them.
func (r *Registration) Stored(c *verify.Confirmation) (verify.Method, store.Method, error) {
	m := c.Method
	m.ID, m.Type, m.Subject, m.Confirmed, m.CreatedAt = MethodID, verify.Type(r.Type), Subject.ID, true, r.Now()
	if m.Usage == nil {
		m.Usage = m.Type.DefaultUsage()
	}
	rec, err := m.Record()
	if err != nil {
		return verify.Method{}, store.Method{}, err
	}
	rec.CredentialID, rec.Counter = c.CredentialID, c.Counter
	return m, rec, nil
}

// AssertionFile is the sign-in assertion bench/capture writes, relative
// to the module root: the registration's credential signing in.
const AssertionFile = "bench/testdata/chromium-assertion-es256.json"

// Assertion is one captured sign-in: a step-up of the registration's
// credential (navigator.credentials.get with the credential in
// allowCredentials, against a challenge of the passkey engine's
// Challenge), and everything needed to verify it again without the
// engine: the challenge, origin and RP ID, and the stored credential (id,
// COSE public key, user handle, signature counter).
type Assertion struct {
	About      string `json:"about"`
	Browser    string `json:"browser"`
	CapturedAt string `json:"captured_at"`
	// NowMs is the clock at the challenge, Unix milliseconds: the sealed
	// ceremony expires 10 minutes later, so a replay pins the engine's
	// clock here (the registration's sealed state is still open then).
	NowMs     int64  `json:"now_ms"`
	Type      string `json:"type"`
	RPID      string `json:"rp_id"`
	Origin    string `json:"origin"`
	Challenge string `json:"challenge"` // base64url, as in the request options
	MethodID  string `json:"method_id"`
	// The stored credential, base64url: what a relying party keeps from
	// the registration and checks the assertion against.
	CredentialID string `json:"credential_id"`
	PublicKey    string `json:"public_key"` // COSE_Key
	UserHandle   string `json:"user_handle"`
	Counter      int64  `json:"counter"` // the stored signature counter
	// Registration is the file of the registration that enrolled the
	// credential (File), made in the same browser session.
	Registration   string         `json:"registration"`
	EngineState    jsontext.Value `json:"engine_state"` // SignInState.State sealed at the challenge
	RequestOptions jsontext.Value `json:"request_options"`
	AuthnResponse  jsontext.Value `json:"authn_response"`
}

// LoadAssertion reads the assertion at path.
func LoadAssertion(path string) (*Assertion, error) {
	var a Assertion
	if err := load(path, &a, &a.EngineState, &a.RequestOptions, &a.AuthnResponse); err != nil {
		return nil, err
	}
	return &a, nil
}

// Now is the clock of the challenge.
func (a *Assertion) Now() time.Time { return time.UnixMilli(a.NowMs) }

// AuthenticateRequest is the Engine.Authenticate request of the step-up
// sign-in, for the stored method m and its record rec (Registration.Stored),
// as verify.Service passes it after opening the auth_session.
func (a *Assertion) AuthenticateRequest(m verify.Method, rec store.Method) *verify.EngineConfirm {
	return &verify.EngineConfirm{
		Subject: Subject, Method: m, Record: rec, State: a.EngineState,
		Request:  verify.VerifyRequest{AuthSession: "(sealed elsewhere)", AuthnResponse: a.AuthnResponse},
		Client:   verify.Client{UserAgent: a.Browser},
		IssuedAt: a.Now(),
	}
}
