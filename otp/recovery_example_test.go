package otp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// Hyphens and spaces are dropped, letters upper-cased, and O, I, L read as
// 0, 1, 1.
func ExampleNormalizeRecoveryCode() {
	fmt.Println(otp.NormalizeRecoveryCode("abcd-efgh-jkmn-pqrs-tvwx-yz01"))
	fmt.Println(otp.NormalizeRecoveryCode("ABCD EFGH JKMN PQRS TVWX YZOI"))
	fmt.Println(otp.NormalizeRecoveryCode("ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U"))
	// Output:
	// ABCDEFGHJKMNPQRSTVWXYZ01 true
	// ABCDEFGHJKMNPQRSTVWXYZ01 true
	//  false
}

// A recovery-code enrollment through verify.Service, then the code spent
// once at sign-in.
func ExampleNewRecoveryCode() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	engine, err := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: []byte("example-recovery-hash-key-32-bytes!!")})
	if err != nil {
		panic(err)
	}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-0123456789abcdef"}}, Now: now})
	if err != nil {
		panic(err)
	}
	st, err := memory.New(memory.Config{Now: now})
	if err != nil {
		panic(err)
	}
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{engine}, Sealer: sealer, Store: st, Now: now})
	if err != nil {
		panic(err)
	}
	alice := verify.Subject{ID: "auth0|alice"}

	en, err := svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypeRecoveryCode}, verify.Client{})
	if err != nil {
		panic(err)
	}
	fmt.Println("recovery_code:", len(en.RecoveryCode), "symbols,", otp.RecoveryCodeBits, "bits")
	// The user acknowledges the code: verify takes the auth_session only.
	m, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	fmt.Println(m.Type, m.Confirmed, err)

	// At sign-in the user types it in groups, in lower case.
	typed := strings.ToLower(en.RecoveryCode[:12] + "-" + en.RecoveryCode[12:])
	fmt.Println(engine.Authenticate(ctx, st, alice.ID, typed))
	err = engine.Authenticate(ctx, st, alice.ID, typed)
	fmt.Println("again:", errors.Is(err, verify.ErrInvalidProof))
	// Output:
	// recovery_code: 24 symbols, 120 bits
	// recovery-code true <nil>
	// <nil>
	// again: true
}
