package verify_test

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// Example enrolls a TOTP app for a user without HTTP: Start returns the
// secret and the auth_session, Verify confirms with a code of the app; the
// same auth_session does not confirm twice.
func Example() {
	now := func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }
	sealer, err := session.NewSealer(session.Config{
		Keys: []session.Key{{ID: "k1", Password: "a random secret of at least 32 characters, from config"}},
		Now:  now,
	})
	if err != nil {
		log.Fatal(err)
	}
	st, err := memory.New(memory.Config{Now: now})
	if err != nil {
		log.Fatal(err)
	}
	totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example", Now: now})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := verify.NewService(verify.Config{
		Engines: []verify.Engine{totp}, Sealer: sealer, Store: st, Now: now,
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	user := verify.Subject{ID: "auth0|alice", Email: "alice@example.com"}
	en, err := svc.Start(ctx, user, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	if err != nil {
		log.Fatal(err)
	}

	// The user's app: the secret of manual_input_code, the current code.
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.ManualInputCode)
	if err != nil {
		log.Fatal(err)
	}
	code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(now())
	if err != nil {
		log.Fatal(err)
	}

	req := verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}
	m, err := svc.Verify(ctx, user, en.ID, req, verify.Client{})
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		Type      verify.Type    `json:"type"`
		Confirmed bool           `json:"confirmed"`
		Usage     []verify.Usage `json:"usage"`
		CreatedAt string         `json:"created_at"`
	}{m.Type, m.Confirmed, m.Usage, m.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	fmt.Println(string(b))

	_, err = svc.Verify(ctx, user, en.ID, req, verify.Client{})
	fmt.Println(errors.Is(err, verify.ErrAlreadyUsed), err)
	// Output:
	// {"type":"totp","confirmed":true,"usage":["secondary"],"created_at":"2026-11-26T12:00:00.000Z"}
	// true verify: the auth_session has already been used
}
