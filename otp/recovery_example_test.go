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

// A recovery-code enrollment through verify.Service, then a sign-in with
// the code at the engine level (a host uses the service's sign-in, which
// does these steps): the code is replaced by a new one, shown once, and
// never works again.
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
	signIn := func(code string) (string, error) {
		rec, err := st.Get(ctx, alice.ID, m.ID)
		if err != nil {
			return "", err
		}
		mm, err := verify.MethodFromRecord(rec)
		if err != nil {
			return "", err
		}
		a, err := engine.Authenticate(ctx, &verify.EngineConfirm{
			Subject: alice, Method: mm, Record: rec, Request: verify.VerifyRequest{RecoveryCode: &code},
		})
		if err != nil {
			return "", err
		}
		// The service writes a.Secret with store.SignIn, conditional on
		// the version read: of concurrent uses exactly one succeeds.
		rec.Secret = a.Secret
		if _, err := st.Update(ctx, rec); err != nil {
			return "", err
		}
		return a.RecoveryCode, nil
	}
	next, err := signIn(typed)
	fmt.Println("new recovery_code:", len(next), "symbols,", err)
	_, err = signIn(typed)
	fmt.Println("again:", errors.Is(err, verify.ErrInvalidProof))
	_, err = signIn(next)
	fmt.Println("the new code:", err)
	// Output:
	// recovery_code: 24 symbols, 120 bits
	// recovery-code true <nil>
	// new recovery_code: 24 symbols, <nil>
	// again: true
	// the new code: <nil>
}
