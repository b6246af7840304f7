package verify_test

import (
	"context"
	"encoding/base32"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// realFixture is a Service with the real session sealer and the real
// TOTP, recovery-code and e-mail engines over the memory store, on one
// test clock: what a host embeds.
type realFixture struct {
	svc    *verify.Service
	store  *memory.Store
	clock  *storetest.Clock
	sealer *session.Sealer
	totp   *otp.TOTP
	mail   *mailbox
	events *recorder
}

const realSealPassword = "verify-checklist-sealing-password-0123456789"

func newRealFixture(t testing.TB, sealPassword string) *realFixture {
	t.Helper()
	f := &realFixture{clock: storetest.NewClock(storetest.Epoch), mail: &mailbox{codes: map[string]string{}}, events: &recorder{}}
	var err error
	f.store, err = memory.New(memory.Config{Now: f.clock.Now})
	require.NoError(t, err)
	f.sealer, err = session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: sealPassword}}, Now: f.clock.Now})
	require.NoError(t, err)
	f.totp, err = otp.NewTOTP(otp.TOTPConfig{Issuer: "Example", Now: f.clock.Now})
	require.NoError(t, err)
	rc, err := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	mail, err := otp.NewEmail(otp.EmailConfig{HashKey: []byte("fedcba9876543210fedcba9876543210"), Now: f.clock.Now}, f.mail, ratelimit.Unlimited(f.clock.Now))
	require.NoError(t, err)
	f.svc, err = verify.NewService(verify.Config{
		Engines: []verify.Engine{f.totp, rc, mail}, Sealer: f.sealer, Store: f.store, Now: f.clock.Now, Observer: f.events,
	})
	require.NoError(t, err)
	return f
}

// mailbox is an otp.Sender keeping the last code sent to each address.
type mailbox struct {
	mu    sync.Mutex
	codes map[string]string
}

func (m *mailbox) Send(_ context.Context, msg otp.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes[msg.To] = msg.Code
	return nil
}

func (m *mailbox) code(to string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.codes[to]
}

// startTOTP starts a TOTP enrollment for sub and returns it with the code
// the app shows now.
func (f *realFixture) startTOTP(t testing.TB, sub verify.Subject) (*verify.Enrollment, string) {
	t.Helper()
	en, err := f.svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.NoError(t, err)
	secret, err := otpSecret(en.ManualInputCode)
	require.NoError(t, err)
	k := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}
	c, err := k.Code(f.clock.Now())
	require.NoError(t, err)
	return en, c
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func otpSecret(manual string) ([]byte, error) {
	return b32.DecodeString(manual)
}

// startEmail starts an e-mail enrollment of addr for sub and returns it
// with the code sent.
func (f *realFixture) startEmail(t testing.TB, sub verify.Subject, addr string) (*verify.Enrollment, string) {
	t.Helper()
	en, err := f.svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeEmail, Email: addr}, verify.Client{})
	require.NoError(t, err)
	return en, f.mail.code(addr)
}

func (f *realFixture) stored(t testing.TB, subs ...verify.Subject) int {
	t.Helper()
	n := 0
	for _, s := range subs {
		ms, err := f.store.List(ctx, s.ID)
		require.NoError(t, err)
		n += len(ms)
	}
	return n
}
