package otp_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// An e-mail enrollment end to end: the engine sends the code through an
// Outbox (a development Sender writing JSON lines), the user types it in,
// the service confirms the method.
func ExampleNewEmail() {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	var outbox bytes.Buffer
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
	email, err := otp.NewEmail(otp.EmailConfig{
		HashKey: []byte("example-hash-key-of-32-bytes-0123"), // use 32 random bytes
		Now:     now,
	}, otp.NewOutbox(&outbox), limiter)
	if err != nil {
		panic(err)
	}
	st, _ := memory.New(memory.Config{Now: now})
	sealer, _ := session.NewSealer(session.Config{
		Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-of-32-characters"}}, Now: now,
	})
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{email}, Sealer: sealer, Store: st, Now: now})
	if err != nil {
		panic(err)
	}

	ctx, alice := context.Background(), verify.Subject{ID: "auth0|alice"}
	en, err := svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypeEmail, Email: "Alice@Example.com"}, verify.Client{})
	if err != nil {
		panic(err)
	}
	var line otp.OutboxLine
	if err := json.Unmarshal(outbox.Bytes(), &line); err != nil {
		panic(err)
	}
	fmt.Println("sent by", line.Channel, "to", line.To, "a code of", len(line.Code), "digits")

	m, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &line.Code}, verify.Client{})
	if err != nil {
		panic(err)
	}
	fmt.Println("confirmed", m.Type, m.Email, "assurance", email.Assurance())
	// Output:
	// sent by email to Alice@example.com a code of 6 digits
	// confirmed email Alice@example.com assurance low
}
