package otp

import (
	"context"
	"fmt"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	ptotp "github.com/pquerna/otp/totp"

	"github.com/verifykit/verifykit/verify"
)

// BenchmarkTOTPConfirm is the engine's Confirm alone: decode the sealed
// state, check the input, compute and compare all three candidate steps.
func BenchmarkTOTPConfirm(b *testing.B) {
	at := time.Unix(1_700_000_000, 0)
	e := engineAt(b, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	req := confirmReq(b, k, codeAt(b, k, at.Unix()/30))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Confirm(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTOTPConfirmService is a successful confirm through
// verify.Service: unseal the auth_session (the real iron sealer), bind,
// count the attempt, Confirm, commit to the memory store. Each iteration
// uses its own enrollment, started with the timer stopped.
func BenchmarkTOTPConfirmService(b *testing.B) {
	var f *fixture
	ctx := context.Background()
	type pending struct {
		sub  verify.Subject
		en   *verify.Enrollment
		code string
	}
	var (
		todo []pending
		n    int
	)
	b.ReportAllocs()
	for b.Loop() {
		if len(todo) == 0 {
			b.StopTimer()
			// A fresh service and store per batch, so that the store's size
			// does not grow with b.N.
			f = newFixture(b, TOTPConfig{}, 0)
			for range 1000 {
				// One user per enrollment: the service bounds methods per user.
				n++
				f.sub = verify.Subject{ID: fmt.Sprintf("auth0|user%d", n), Email: "user@example.com"}
				en, k := f.startTOTP(b)
				todo = append(todo, pending{f.sub, en, codeAt(b, k, f.step())})
			}
			b.StartTimer()
		}
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if _, err := f.svc.Verify(ctx, p.sub, p.en.ID, verify.VerifyRequest{AuthSession: p.en.AuthSession, OTPCode: &p.code}, verify.Client{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateCustomBaseline is one bare pquerna/otp
// totp.ValidateCustom with skew 1 of a code that matches no step, so it
// computes all three: the baseline the confirm paths are compared with.
func BenchmarkValidateCustomBaseline(b *testing.B) {
	at := time.Unix(1_700_000_000, 0)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	s := at.Unix() / 30
	wrong := otherCode(b, k, s-1, s, s+1)
	secret := b32.EncodeToString(k.Secret)
	opts := ptotp.ValidateOpts{Period: 30, Skew: 1, Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := ptotp.ValidateCustom(wrong, secret, at, opts); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
