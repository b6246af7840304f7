package otp_test

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// The RFC 6238 Appendix B known answer for SHA1 at T = 59 s.
func ExampleTOTPKey_Code() {
	k := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 8, Period: 30 * time.Second, Secret: []byte("12345678901234567890")}
	code, err := k.Code(time.Unix(59, 0))
	fmt.Println(code, err)
	// Output: 94287082 <nil>
}

// The Key URI an authenticator app scans. A ':' in the account, which the
// format reserves for the issuer prefix, becomes '_'.
func ExampleTOTPKey_URI() {
	k := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: []byte("12345678901234567890")}
	fmt.Println(k.URI("Example Co", "alice@example.com"))
	fmt.Println(k.URI("Example Co", "a@b.c:evil?secret=AAAA"))
	// Output:
	// otpauth://totp/Example%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30
	// otpauth://totp/Example%20Co:a@b.c_evil%3Fsecret%3DAAAA?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30
}

// A TOTP enrollment through verify.Service: start, then confirm with the
// code the user's app shows.
func ExampleNewTOTP() {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	engine, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example Co", Now: now})
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
	alice := verify.Subject{ID: "auth0|alice", Email: "alice@example.com"}

	// POST /me/v1/authentication-methods {"type":"totp"}
	en, err := svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(en.BarcodeURI)
	fmt.Println(u.Scheme, u.Host, u.Path)
	fmt.Println("manual_input_code:", len(en.ManualInputCode), "base32 characters")

	// The app derives the code from the secret.
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.ManualInputCode)
	code, _ := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(now())

	// POST /me/v1/authentication-methods/{id}/verify {"auth_session":…,"otp_code":…}
	m, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	fmt.Println(m.Type, m.Confirmed, err)
	rec, _ := st.Get(ctx, alice.ID, m.ID)
	fmt.Println("last used step:", rec.Counter, rec.Counter == now().Unix()/30)
	// Output:
	// otpauth totp /Example Co:alice@example.com
	// manual_input_code: 32 base32 characters
	// totp true <nil>
	// last used step: 58910768 true
}

// Sign-in with a confirmed TOTP method, at the engine level (a host uses
// the service's sign-in, which does these steps): the engine checks the
// code against the stored record and returns the time step it matched;
// the store accepts that step only if it is later than the stored one.
// Each code is accepted once.
func ExampleTOTP_Authenticate() {
	ctx := context.Background()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return clock }
	engine, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example Co", Now: now})
	if err != nil {
		panic(err)
	}
	st, err := memory.New(memory.Config{Now: now})
	if err != nil {
		panic(err)
	}
	// A method confirmed half a minute ago with a fixed secret (this is how
	// a TOTP secret enrolled elsewhere is imported).
	key := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: []byte("12345678901234567890")}
	blob, _ := key.MarshalBinary()
	err = st.Commit(ctx, store.Commit{SessionID: "import-1", SessionExpires: clock.Add(time.Minute), Method: store.Method{
		ID: "totp|dev_1", Subject: "auth0|alice", Type: "totp", CreatedAt: clock, Attrs: []byte(`{}`),
		Secret: blob, Counter: clock.Unix()/30 - 1,
	}})
	if err != nil {
		panic(err)
	}
	alice := verify.Subject{ID: "auth0|alice"}

	// 652348 is also what `oathtool --totp -b -N @1767323045
	// GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ` prints.
	code, _ := key.Code(clock)
	signIn := func() error {
		rec, err := st.Get(ctx, alice.ID, "totp|dev_1")
		if err != nil {
			return err
		}
		m, err := verify.MethodFromRecord(rec)
		if err != nil {
			return err
		}
		a, err := engine.Authenticate(ctx, &verify.EngineConfirm{
			Subject: alice, Method: m, Record: rec, Request: verify.VerifyRequest{OTPCode: &code},
		})
		if err != nil {
			return err
		}
		// The service writes a.Counter with store.SignIn, refused with
		// store.ErrStale unless greater than the stored counter.
		if ok, err := st.AdvanceCounter(ctx, alice.ID, rec.ID, a.Counter); err != nil || !ok {
			return errors.Join(store.ErrStale, err)
		}
		return nil
	}
	fmt.Println(code, signIn())
	err = signIn()
	fmt.Println("again:", errors.Is(err, verify.ErrInvalidProof), verify.ReasonOf(err))
	// Output:
	// 652348 <nil>
	// again: true totp_replayed
}
