package otp

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/internal/mailaddr"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
)

// FuzzNormalizeEmail: no panic; a success is printable ASCII of at most
// mailaddr.MaxLen bytes, parses back with net/mail to itself, and is a fixed
// point; an error returns nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"user@example.com", "User.Name+tag@Example.COM", `"a b"@example.com`, "Alice <a@example.com>",
		"a@[192.0.2.1]", "a@b@c.com", "a@example.com\r\nBcc: e@example.com", "jösé@example.com",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 94) + "com", "a@-x.com", "a@x..com", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := mailaddr.Normalize(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error with a result %q", got)
			}
			return
		}
		if len(got) > mailaddr.MaxLen || len(got) != len(s) {
			t.Fatalf("%q normalised to %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= ' ' || got[i] >= 0x7f {
				t.Fatalf("%q has byte %#x", got, got[i])
			}
		}
		a, err := mail.ParseAddress(got)
		if err != nil || a.Address != got || a.Name != "" {
			t.Fatalf("%q does not parse back: %v", got, err)
		}
		if again, err := mailaddr.Normalize(got); err != nil || again != got {
			t.Fatalf("not a fixed point: %q → %q, %v", got, again, err)
		}
	})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// FuzzNormalizePhone: no panic; a success is E.164 and a fixed point.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+15551234567", "+1 (555) 123-4567", "+44.20.7946.0958", "5551234567", "+0123456789",
		"++1555", "+１５５５１２３４５６７", "+1234567890123456", "", "+",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := normalizePhone(s)
		if err != nil {
			if got != "" {
				t.Fatalf("error with a result %q", got)
			}
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("%q normalised to non-E.164 %q", s, got)
		}
		if again, err := normalizePhone(got); err != nil || again != got {
			t.Fatalf("not a fixed point: %q → %q, %v", got, again, err)
		}
	})
}

// FuzzCodeConfirm (SECURITY-CHECKLIST FZ-04): any otp_code string —
// Unicode digits, NULs, very long input — never panics and never confirms
// unless it is the very code sent; every failure is an invalid proof.
func FuzzCodeConfirm(f *testing.F) {
	clk := newClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	sender := &oobSender{}
	e, err := NewEmail(EmailConfig{HashKey: oobKey, Now: clk.Now}, sender, ratelimit.Unlimited(clk.Now))
	if err != nil {
		f.Fatal(err)
	}
	sub := verify.Subject{ID: "auth0|fuzz"}
	ch, err := e.Start(context.Background(), &verify.EngineStart{Subject: sub, MethodID: "email|fuzz", Request: verify.StartRequest{Email: "fuzz@example.com"}})
	if err != nil {
		f.Fatal(err)
	}
	state, _ := json.Marshal(ch.State)
	code := sender.last(f).Code
	for _, s := range []string{code, wrong(code), "", " " + code, code + "\x00", "１２３４５６", strings.Repeat("9", 4096), "-12345", "+12345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := e.Confirm(context.Background(), &verify.EngineConfirm{Subject: sub, MethodID: "email|fuzz", State: state, Request: verify.VerifyRequest{OTPCode: &in}})
		if in == code {
			if err != nil || c == nil || c.Method.Email != "fuzz@example.com" {
				t.Fatalf("the right code failed: %v", err)
			}
			return
		}
		if c != nil || verify.Kind(err) != verify.ErrInvalidProof {
			t.Fatalf("%q: got %v, %v", in, c, err)
		}
	})
}

// benchConfirm measures the engine's confirm path (decode the sealed
// state, check the expiry and the input, keyed hash, constant-time
// compare) without the service's unseal and store.
func benchConfirm(b *testing.B, eng verify.Engine, req verify.StartRequest, sender *oobSender) {
	sub := verify.Subject{ID: "auth0|bench"}
	ch, err := eng.Start(context.Background(), &verify.EngineStart{Subject: sub, MethodID: "m|bench", Request: req})
	if err != nil {
		b.Fatal(err)
	}
	state, _ := json.Marshal(ch.State)
	code := sender.last(b).Code
	ec := &verify.EngineConfirm{Subject: sub, MethodID: "m|bench", State: state, Request: verify.VerifyRequest{OTPCode: &code}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.Confirm(ctx, ec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmailConfirm(b *testing.B) {
	s := &oobSender{}
	e, err := NewEmail(EmailConfig{HashKey: oobKey}, s, ratelimit.Unlimited(nil))
	if err != nil {
		b.Fatal(err)
	}
	benchConfirm(b, e, verify.StartRequest{Email: "bench@example.com"}, s)
}

func BenchmarkPhoneConfirm(b *testing.B) {
	s := &oobSender{}
	e, err := NewPhone(PhoneConfig{HashKey: oobKey}, s, ratelimit.Unlimited(nil))
	if err != nil {
		b.Fatal(err)
	}
	benchConfirm(b, e, verify.StartRequest{PhoneNumber: "+12015550123"}, s)
}

// BenchmarkEmailVerify is the whole confirm through verify.Service: unseal
// the auth_session (iron), bind, count the attempt, the engine's check and
// the failed-proof path (a wrong code keeps the session reusable, so every
// iteration does the same work). Its sessions are refreshed before the
// attempt budget runs out.
func BenchmarkEmailVerify(b *testing.B) {
	f := newOOBFixture(b, oobOptions{email: EmailConfig{SendLimit: verify.Limit{Requests: maxSendRequests, Window: minSendWindow}}})
	ctx := context.Background()
	var en *verify.Enrollment
	var bad string
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%verify.DefaultMaxAttempts == 0 {
			b.StopTimer()
			f.clock.Add(time.Second)
			var code string
			en, code = f.startEmail(b, "bench@example.com")
			bad = wrong(code)
			b.StartTimer()
		}
		i++
		if _, err := f.svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &bad}, verify.Client{}); verify.Kind(err) != verify.ErrInvalidProof {
			b.Fatal(err)
		}
	}
}
