package passkey_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// New validates the configuration once; an origin that is not in the
// serialized form browsers write is refused with the rule it breaks.
func ExampleNew() {
	st, _ := memory.New(memory.Config{})
	_, err := passkey.New(verify.TypePasskey, st, passkey.Config{
		RPID:    "example.com",
		Origins: []string{"https://login.example.com/"},
	})
	fmt.Println(errors.Is(err, passkey.ErrConfig))
	fmt.Println(err)

	e, err := passkey.New(verify.TypePasskey, st, passkey.Config{
		RPID:    "example.com",
		Origins: []string{"https://login.example.com"},
	})
	fmt.Println(e.Type(), e.RPID(), err)
	// Output:
	// true
	// passkey: invalid config: Origins entry "https://login.example.com/" is not a serialized origin scheme://host[:port]
	// passkey example.com <nil>
}

// Start returns the creation options of the spec's PasskeyCreationResponse
// and the state the service seals into the auth_session.
func ExampleEngine_Start() {
	st, _ := memory.New(memory.Config{})
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	e, _ := passkey.New(verify.TypePasskey, st, passkey.Config{
		RPID:    "example.com",
		RPName:  "Example",
		Origins: []string{"https://login.example.com"},
		Now:     func() time.Time { return now },
	})
	ch, _ := e.Start(context.Background(), &verify.EngineStart{
		Subject:   verify.Subject{ID: "auth0|507f1f77bcf86cd799439011", Email: "user@example.com", Name: "User"},
		ExpiresAt: now.Add(5 * time.Minute),
	})
	var opts struct {
		Challenge              string         `json:"challenge"`
		Timeout                int            `json:"timeout"`
		RP                     jsontext.Value `json:"rp"`
		User                   struct{ ID, Name, DisplayName string }
		PubKeyCredParams       jsontext.Value `json:"pubKeyCredParams"`
		AuthenticatorSelection jsontext.Value `json:"authenticatorSelection"`
		Attestation            string         `json:"attestation"`
	}
	_ = json.Unmarshal(ch.AuthnParamsPublicKey, &opts)
	challenge, _ := base64.RawURLEncoding.DecodeString(opts.Challenge)
	handle, _ := base64.RawURLEncoding.DecodeString(opts.User.ID)
	fmt.Println("id:", ch.PendingID)
	fmt.Println("challenge bytes:", len(challenge))
	fmt.Println("timeout:", opts.Timeout)
	fmt.Println("rp:", string(opts.RP))
	fmt.Println("user:", len(handle), "random bytes,", opts.User.Name+",", opts.User.DisplayName)
	fmt.Println("pubKeyCredParams:", string(opts.PubKeyCredParams))
	fmt.Println("authenticatorSelection:", string(opts.AuthenticatorSelection))
	fmt.Println("attestation:", opts.Attestation)
	// Output:
	// id: passkey|new
	// challenge bytes: 32
	// timeout: 300000
	// rp: {"id":"example.com","name":"Example"}
	// user: 32 random bytes, user@example.com, User
	// pubKeyCredParams: [{"type":"public-key","alg":-8},{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]
	// authenticatorSelection: {"residentKey":"required","userVerification":"required"}
	// attestation: none
}

// A trust policy that needs an attestation asks for one: the default
// conveyance becomes "direct", and "none" is refused as a contradiction.
func ExampleTrustPolicy() {
	st, _ := memory.New(memory.Config{})
	cfg := passkey.Config{
		RPID:    "example.com",
		Origins: []string{"https://example.com"},
		Formats: []string{passkey.FormatPacked, passkey.FormatApple},
		Trust:   passkey.TrustPolicy{RequireTrustedAttestation: true, ProhibitBackupEligible: true},
	}
	e, _ := passkey.New(verify.TypeWebAuthnRoaming, st, cfg)
	ch, _ := e.Start(context.Background(), &verify.EngineStart{
		Subject: verify.Subject{ID: "u1"}, ExpiresAt: time.Now().Add(time.Minute),
	})
	var opts struct{ Attestation string }
	_ = json.Unmarshal(ch.AuthnParamsPublicKey, &opts)
	fmt.Println(opts.Attestation)

	cfg.Attestation = passkey.AttestationNone
	_, err := passkey.New(verify.TypeWebAuthnRoaming, st, cfg)
	fmt.Println(err)
	// Output:
	// direct
	// passkey: invalid config: Attestation "none" cannot satisfy Trust.RequireTrustedAttestation or Trust.AllowedAAGUIDs
}
