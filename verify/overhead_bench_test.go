// BenchmarkOwnStart and BenchmarkOwnVerify measure verify.Service's own share:
// a sealer that does not encrypt, a store that does nothing, an engine
// that checks nothing.

package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

type nopSealer struct{}

func (nopSealer) Seal(b []byte, _ time.Duration) (string, error) { return string(b), nil }
func (nopSealer) Open(t string) ([]byte, error)                  { return []byte(t), nil }

type stubStore struct{ store.Store }

func (stubStore) Attempt(context.Context, string, time.Time) (int, error) { return 1, nil }
func (stubStore) Commit(context.Context, store.Commit) error              { return nil }
func (stubStore) List(context.Context, string) ([]store.Method, error)    { return nil, nil }

type ownEngine struct{ codeEngine }

func (*ownEngine) Start(context.Context, *verify.EngineStart) (*verify.Challenge, error) {
	return &verify.Challenge{State: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGH", BarcodeURI: "otpauth://totp/x", ManualInputCode: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"}, nil
}

func (*ownEngine) Confirm(context.Context, *verify.EngineConfirm) (*verify.Confirmation, error) {
	return &verify.Confirmation{Secret: make([]byte, 24), Counter: 7}, nil
}

func ownService(b *testing.B) *verify.Service {
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{&ownEngine{codeEngine{typ: verify.TypeTOTP}}}, Sealer: nopSealer{}, Store: stubStore{}})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

func BenchmarkOwnStart(b *testing.B) {
	svc := ownService(b)
	ctx := context.Background()
	sub := verify.Subject{ID: "auth0|user1", Email: "u@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{IP: "127.0.0.1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOwnVerify(b *testing.B) {
	svc := ownService(b)
	ctx := context.Background()
	sub := verify.Subject{ID: "auth0|user1", Email: "u@example.com"}
	en, err := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	if err != nil {
		b.Fatal(err)
	}
	code := "123456"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Verify(ctx, sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{}); err != nil {
			b.Fatal(err)
		}
	}
}
