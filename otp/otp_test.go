package otp

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	vkpeer "github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// requirePeer skips a test whose external peer (oathtool, node) is missing,
// except under CI=true, where a missing peer fails the run.
func requirePeer(t testing.TB, peer string, err error) {
	t.Helper()
	if err != nil {
		vkpeer.Missing(t, "interop peer %s missing: %v", peer, err)
	}
}

// clock is a settable test clock, safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.Set(t)
	return c
}

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// fixture is a verify.Service with the real session sealer, the memory
// store and this package's engines, all on one test clock.
type fixture struct {
	clock  *clock
	store  *memory.Store
	svc    *verify.Service
	totp   *TOTP
	rc     *RecoveryCode
	sealer *session.Sealer
	sub    verify.Subject
}

// testHashKey is a fixed 32-byte recovery-code hash key for tests.
var testHashKey = []byte("0123456789abcdef0123456789abcdef")

// testSealPassword is a fixed sealing password for tests (32+ characters).
const testSealPassword = "otp-test-sealing-password-4f9c2a7e1b"

func newFixture(t testing.TB, cfg TOTPConfig, maxAttempts int) *fixture {
	t.Helper()
	clk := newClock(time.Unix(1_700_000_000, 0))
	if cfg.Issuer == "" {
		cfg.Issuer = "Example"
	}
	cfg.Now = clk.Now
	tp, err := NewTOTP(cfg)
	require.NoError(t, err)
	rc, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: testHashKey})
	require.NoError(t, err)
	st, err := memory.New(memory.Config{Now: clk.Now})
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: testSealPassword}}, Now: clk.Now})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{
		Engines: []verify.Engine{tp, rc}, Sealer: sealer, Store: st, Now: clk.Now, MaxAttempts: maxAttempts,
	})
	require.NoError(t, err)
	return &fixture{
		clock: clk, store: st, svc: svc, totp: tp, rc: rc, sealer: sealer,
		sub: verify.Subject{ID: "auth0|alice", Email: "alice@example.com"},
	}
}

// startTOTP starts a TOTP enrollment for f.sub and returns it with the key
// the authenticator app would hold, read back from manual_input_code.
func (f *fixture) startTOTP(t testing.TB) (*verify.Enrollment, TOTPKey) {
	t.Helper()
	en, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.NoError(t, err)
	secret, err := b32.DecodeString(en.ManualInputCode)
	require.NoError(t, err)
	return en, TOTPKey{Algorithm: f.totp.alg, Digits: f.totp.digits, Period: f.totp.period, Secret: secret}
}

// verifyCode posts otp_code to the enrollment en.
func (f *fixture) verifyCode(en *verify.Enrollment, code string) (*verify.Method, error) {
	return f.svc.Verify(context.Background(), f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
}

// codeAt returns k's code for time step s.
func codeAt(t testing.TB, k TOTPKey, s int64) string {
	t.Helper()
	c, err := k.Code(time.Unix(s*int64(k.Period/time.Second), 0))
	require.NoError(t, err)
	return c
}

// step is the current time step of the fixture clock for a 30 s period.
func (f *fixture) step() int64 { return f.clock.Now().Unix() / 30 }

// race runs fn n times concurrently, released together, and returns the
// number of nil results and the non-nil errors.
func race(n int, fn func() error) (int, []error) {
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins, errs
}

func TestReadDigits(t *testing.T) {
	var dst [8]byte
	for _, tc := range []struct {
		in   string
		n    int
		want bool
	}{
		{"123456", 6, true},
		{"00000000", 8, true},
		{"12345", 6, false},
		{"1234567", 6, false},
		{" 123456", 6, false},
		{"123456 ", 6, false},
		{"123 45", 6, false},
		{"12345a", 6, false},
		{"+12345", 6, false},
		{"１２３４５６", 6, false},
		{"", 6, false},
		{"12345\x00", 6, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, readDigits(dst[:], tc.in, tc.n))
			if tc.want {
				assert.Equal(t, tc.in, string(dst[:tc.n]))
			}
		})
	}
	assert.False(t, readDigits(dst[:4], "123456", 6), "dst too short")
}

func TestKeyedHash(t *testing.T) {
	k := []byte("0123456789abcdef0123456789abcdef")
	a := keyedHash(k, "d", "ab", "c")
	// Length prefixes: moving a byte between parts changes the hash.
	assert.NotEqual(t, a, keyedHash(k, "d", "a", "bc"))
	assert.NotEqual(t, a, keyedHash(k, "da", "b", "c"))
	assert.NotEqual(t, a, keyedHash(k, "d", "abc"))
	assert.NotEqual(t, a, keyedHash([]byte("1123456789abcdef0123456789abcdef"), "d", "ab", "c"))
	assert.Equal(t, a, keyedHash(k, "d", "ab", "c"))
	assert.Len(t, a, sha256.Size)
}

func TestRandomSymbols(t *testing.T) {
	for _, alphabet := range []string{"01", "0123456789", recoveryCodeAlphabet} {
		s, err := randomSymbols(alphabet, 1000)
		require.NoError(t, err)
		require.Len(t, s, 1000)
		counts := map[rune]int{}
		for _, r := range s {
			require.True(t, strings.ContainsRune(alphabet, r), "symbol %q not in alphabet", r)
			counts[r]++
		}
		// 1000 draws: every symbol of a ≤ 32-symbol alphabet appears (the
		// chance that one does not is below 32·(31/32)^1000 ≈ 2e-13).
		assert.Len(t, counts, len(alphabet))
	}
	_, err := randomSymbols("0", 3)
	assert.Error(t, err)
	_, err = randomSymbols("01", -1)
	assert.Error(t, err)
}

func TestDecodeState(t *testing.T) {
	raw, err := json.Marshal(encodeState([]byte{1, 2, 3}))
	require.NoError(t, err)
	got, err := decodeState(raw, 8)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, got)
	// A JSON escape is read as the character it stands for, as by any JSON
	// decoder (the hand-written decoder this replaced refused escapes).
	got, err = decodeState(jsontext.Value(`"\u0041QID"`), 8)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, got)
	for _, bad := range []string{``, `"`, `null`, `3`, `{"a":1}`, `"AQID`, `"AQID="`, `"AQ+D"`, `"AQIDBAUGBwgJ"`} {
		_, err := decodeState(jsontext.Value(bad), 8)
		assert.Error(t, err, "%s", bad)
	}
}

func TestConfigErrorsMatch(t *testing.T) {
	_, err := NewTOTP(TOTPConfig{Issuer: "x", Skew: 5})
	require.ErrorIs(t, err, ErrConfig)
	assert.Equal(t, "otp: Skew 5 out of range [0, 2] (0 is written otp.NoSkew)", err.Error())
	_, err = NewRecoveryCode(RecoveryCodeConfig{})
	require.ErrorIs(t, err, ErrConfig)
	assert.False(t, errors.Is(err, verify.ErrInvalidRequest))
}
