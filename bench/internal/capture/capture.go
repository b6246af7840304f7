// Package capture holds the browser-made WebAuthn registration the
// passkey comparisons of bench/run verify, and the passkey engine
// configuration it was made under, shared by the command that records it
// (bench/capture) and the benchmarks that replay it (bench).
package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/verifykit/verifykit/passkey"
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
	NowMs           int64           `json:"now_ms"`
	Type            string          `json:"type"`
	RPID            string          `json:"rp_id"`
	Origin          string          `json:"origin"`
	Challenge       string          `json:"challenge"` // base64url, as in the creation options
	EngineState     json.RawMessage `json:"engine_state"`
	CreationOptions json.RawMessage `json:"creation_options"`
	AuthnResponse   json.RawMessage `json:"authn_response"`
}

// Config is the passkey engine configuration of the capture at origin,
// with the clock pinned at now: direct attestation and ES256 only, so
// that the browser makes a packed ES256 attestation.
func Config(origin string, now time.Time) passkey.Config {
	return passkey.Config{
		RPID: "localhost", Origins: []string{origin},
		Attestation: passkey.AttestationDirect, Algorithms: []int64{passkey.AlgES256},
		Now: func() time.Time { return now },
	}
}

// Load reads the registration at path.
func Load(path string) (*Registration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (record one with: go run ./bench/capture)", err)
	}
	var r Registration
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The file is indented for reading; a client sends, and the sealed
	// session holds, compact JSON.
	for _, m := range []*json.RawMessage{&r.EngineState, &r.CreationOptions, &r.AuthnResponse} {
		var c bytes.Buffer
		if err := json.Compact(&c, *m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		*m = c.Bytes()
	}
	return &r, nil
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
