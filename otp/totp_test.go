package otp

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	potp "github.com/pquerna/otp"
	photp "github.com/pquerna/otp/hotp"
	ptotp "github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// rfcSeed returns the RFC 6238 App. B seed of alg (erratum 2866 lengths).
func rfcSeed(alg Algorithm) []byte {
	n := map[Algorithm]int{SHA1: 20, SHA256: 32, SHA512: 64}[alg]
	return []byte(strings.Repeat("1234567890", 7)[:n])
}

func pquernaAlg(alg Algorithm) potp.Algorithm {
	return map[Algorithm]potp.Algorithm{SHA1: potp.AlgorithmSHA1, SHA256: potp.AlgorithmSHA256, SHA512: potp.AlgorithmSHA512}[alg]
}

// readVectors returns the whitespace-separated fields of each non-comment
// line of testdata/name.
func readVectors(t testing.TB, name string) [][]string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	require.NoError(t, err)
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Fields(line))
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, rows)
	return rows
}

// engineAt returns a TOTP engine whose clock is fixed at at.
func engineAt(t testing.TB, cfg TOTPConfig, at time.Time) *TOTP {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = "Example"
	}
	cfg.Now = func() time.Time { return at }
	e, err := NewTOTP(cfg)
	require.NoError(t, err)
	return e
}

// confirmReq is the EngineConfirm of an enrollment of k, with code.
func confirmReq(t testing.TB, k TOTPKey, code string) *verify.EngineConfirm {
	t.Helper()
	blob, err := k.MarshalBinary()
	require.NoError(t, err)
	st, err := json.Marshal(encodeState(blob))
	require.NoError(t, err)
	return &verify.EngineConfirm{
		Subject: verify.Subject{ID: "u1"}, MethodID: "totp|dev_1", State: st,
		Request: verify.VerifyRequest{AuthSession: "x", OTPCode: &code},
	}
}

// otherCode returns a code of k's length that is none of k's codes for
// the given steps.
func otherCode(t testing.TB, k TOTPKey, steps ...int64) string {
	t.Helper()
	used := map[string]bool{}
	for _, s := range steps {
		used[codeAt(t, k, s)] = true
	}
	for i := 0; ; i++ {
		c := strings.Repeat("0", k.Digits) + strconv.Itoa(i)
		c = c[len(c)-k.Digits:]
		if !used[c] {
			return c
		}
	}
}

// distinctCodes reports whether k's codes for steps are pairwise distinct,
// so a test that one step is refused is not confused by a collision.
func distinctCodes(t testing.TB, k TOTPKey, steps ...int64) bool {
	seen := map[string]bool{}
	for _, s := range steps {
		c := codeAt(t, k, s)
		if seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// enrolled confirms a TOTP enrollment of f.sub at the current step and
// returns the stored method id and the app's key. Its codes for steps
// s−3…s+3 are pairwise distinct.
func (f *fixture) enrolled(t testing.TB) (string, TOTPKey) {
	t.Helper()
	s := f.step()
	for {
		en, k := f.startTOTP(t)
		if !distinctCodes(t, k, s-3, s-2, s-1, s, s+1, s+2, s+3) {
			continue
		}
		m, err := f.verifyCode(en, codeAt(t, k, s))
		require.NoError(t, err)
		return m.ID, k
	}
}

// TO-01: codes match the RFC 6238 and RFC 4226 vectors.
func TestTOTPMatchesTheRFCVectors(t *testing.T) {
	ctx := context.Background()
	for _, row := range readVectors(t, "rfc6238.txt") {
		unix, err := strconv.ParseInt(row[0], 10, 64)
		require.NoError(t, err)
		alg, want := Algorithm(row[1]), row[2]
		t.Run(row[0]+"/"+row[1], func(t *testing.T) {
			at := time.Unix(unix, 0)
			k := TOTPKey{Algorithm: alg, Digits: 8, Period: 30 * time.Second, Secret: rfcSeed(alg)}
			got, err := k.Code(at)
			require.NoError(t, err)
			assert.Equal(t, want, got, "TOTPKey.Code")

			// pquerna/otp, an independent implementation, agrees.
			p, err := ptotp.GenerateCodeCustom(b32.EncodeToString(k.Secret), at, ptotp.ValidateOpts{
				Period: 30, Digits: potp.DigitsEight, Algorithm: pquernaAlg(alg),
			})
			require.NoError(t, err)
			assert.Equal(t, want, p, "pquerna/otp")

			// The engine confirms it at that instant without skew, and
			// records the vector's time step.
			e := engineAt(t, TOTPConfig{Algorithm: alg, Digits: 8, Skew: NoSkew}, at)
			c, err := e.Confirm(ctx, confirmReq(t, k, want))
			require.NoError(t, err)
			assert.Equal(t, unix/30, c.Counter)
			stored, err := parseTOTPKey(c.Secret)
			require.NoError(t, err)
			assert.Equal(t, k, stored)
		})
	}
	seed := rfcSeed(SHA1)
	mac := hmac.New(sha1.New, seed)
	for _, row := range readVectors(t, "rfc4226.txt") {
		counter, err := strconv.ParseUint(row[0], 10, 64)
		require.NoError(t, err)
		t.Run("HOTP/"+row[0], func(t *testing.T) {
			var out [8]byte
			hotp(mac, counter, 6, &out)
			assert.Equal(t, row[1], string(out[:6]))
			k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: seed}
			assert.Equal(t, row[1], codeAt(t, k, int64(counter)))
		})
	}
}

// TO-02: the secret is at least 128 bits from crypto/rand.
func TestTOTPSecretIsRandomAndLongEnough(t *testing.T) {
	ctx := context.Background()
	e := engineAt(t, TOTPConfig{}, time.Unix(1_700_000_000, 0))
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		ch, err := e.Start(ctx, &verify.EngineStart{Subject: verify.Subject{ID: "u1"}, MethodID: "totp|dev_1"})
		require.NoError(t, err)
		secret, err := b32.DecodeString(ch.ManualInputCode)
		require.NoError(t, err)
		require.Len(t, secret, defaultTOTPSecretSize, "160-bit secret")
		require.False(t, seen[ch.ManualInputCode], "secrets repeat")
		seen[ch.ManualInputCode] = true
	}
	for _, tc := range []struct {
		size int
		ok   bool
	}{{10, false}, {15, false}, {16, true}, {20, true}, {64, true}, {65, false}, {-1, false}} {
		_, err := NewTOTP(TOTPConfig{Issuer: "x", SecretSize: tc.size})
		if tc.ok {
			assert.NoError(t, err, "SecretSize %d", tc.size)
			continue
		}
		require.ErrorIs(t, err, ErrConfig, "SecretSize %d", tc.size)
		assert.Contains(t, err.Error(), "[16, 64]")
	}
	// The secret comes from crypto/rand: with its global source pinned,
	// two starts give the same secret.
	secretWithSeed := func() string {
		cryptotest.SetGlobalRandom(t, 42)
		ch, err := e.Start(ctx, &verify.EngineStart{Subject: verify.Subject{ID: "u1"}, MethodID: "totp|dev_1"})
		require.NoError(t, err)
		return ch.ManualInputCode
	}
	assert.Equal(t, secretWithSeed(), secretWithSeed())
}

// TO-03: a code is accepted only for a step after the last accepted one.
func TestReplayedCodeIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	s := f.step()
	id, k := f.enrolled(t)

	// (a) The method is confirmed with last step s.
	m, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, s, m.Counter)
	// (b) The enrollment code again, at sign-in: refused.
	err = f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s))
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	// (c) The code for s+1: accepted, and s+1 becomes the last step.
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s+1)))
	m, err = f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, s+1, m.Counter)
	// (d) Codes for s−1 and s, inside the window but not after the last
	// step: refused, and the counter does not move back.
	for _, old := range []int64{s - 1, s, s + 1} {
		err = f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, old))
		require.ErrorIs(t, err, verify.ErrInvalidProof, "step s%+d", old-s)
	}
	m, err = f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, s+1, m.Counter)
	// A new step later, a new code works again.
	f.clock.Add(30 * time.Second)
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s+2)))

	t.Run("one code for two steps", oneCodeForTwoSteps)
}

// oneCodeForTwoSteps: with the RFC 6238 SHA1 seed, steps 57766335 and
// 57766336 have the same code, 251166 (checked with oathtool --totp -b -N
// @1732990050 and @1732990080). Accepting it records the later step, so the
// same digits are not accepted again in the next step.
func oneCodeForTwoSteps(t *testing.T) {
	const (
		s    = 57766335
		code = "251166"
	)
	ctx := context.Background()
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	require.Equal(t, code, codeAt(t, k, s))
	require.Equal(t, code, codeAt(t, k, s+1))

	e := engineAt(t, TOTPConfig{}, time.Unix(s*30, 0))
	c, err := e.Confirm(ctx, confirmReq(t, k, code))
	require.NoError(t, err)
	assert.Equal(t, int64(s+1), c.Counter)

	f := newFixture(t, TOTPConfig{}, 0)
	f.clock.Set(time.Unix(s*30, 0))
	blob, err := k.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, f.store.Commit(ctx, store.Commit{SessionID: "s0", SessionExpires: f.clock.Now().Add(time.Minute), Method: store.Method{
		ID: "totp|dev_0", Subject: f.sub.ID, Type: "totp", CreatedAt: f.clock.Now(), Attrs: []byte(`{}`), Secret: blob, Counter: s - 1,
	}}))
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, "totp|dev_0", code))
	m, err := f.store.Get(ctx, f.sub.ID, "totp|dev_0")
	require.NoError(t, err)
	assert.Equal(t, int64(s+1), m.Counter)
	f.clock.Add(30 * time.Second)
	err = f.totpSignIn(ctx, f.sub.ID, "totp|dev_0", code)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	assert.Equal(t, "totp_replayed", verify.ReasonOf(err))
}

// TO-04: the accepted clock skew is at most one step.
func TestSkewIsBounded(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0)
	s := at.Unix() / 30
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	require.True(t, distinctCodes(t, k, s-3, s-2, s-1, s, s+1, s+2, s+3))
	for _, tc := range []struct {
		skew   int
		d      int64
		accept bool
	}{
		{0, -2, false}, {0, -1, true}, {0, 0, true}, {0, 1, true}, {0, 2, false}, // default skew 1; future step s+1 pinned as accepted
		{NoSkew, -1, false}, {NoSkew, 0, true}, {NoSkew, 1, false},
		{2, -3, false}, {2, -2, true}, {2, 2, true}, {2, 3, false},
	} {
		name := map[int]string{0: "default skew", NoSkew: "no skew", 2: "skew 2"}[tc.skew]
		t.Run(name+"/step s"+fmt.Sprintf("%+d", tc.d), func(t *testing.T) {
			e := engineAt(t, TOTPConfig{Skew: tc.skew}, at)
			c, err := e.Confirm(ctx, confirmReq(t, k, codeAt(t, k, s+tc.d)))
			if !tc.accept {
				require.ErrorIs(t, err, verify.ErrInvalidProof)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, s+tc.d, c.Counter)
		})
	}
	for _, bad := range []int{-2, 3, 5} {
		_, err := NewTOTP(TOTPConfig{Issuer: "x", Skew: bad})
		require.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), "[0, 2]")
	}
}

// TO-05: period and digits are bounded.
func TestPeriodAndDigitsAreBounded(t *testing.T) {
	ctx := context.Background()
	e := engineAt(t, TOTPConfig{}, time.Unix(1_700_000_000, 0))
	ch, err := e.Start(ctx, &verify.EngineStart{Subject: verify.Subject{ID: "u1"}})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(ch.BarcodeURI, "&algorithm=SHA1&digits=6&period=30"), ch.BarcodeURI)
	assert.Equal(t, SHA1, e.alg)
	assert.Equal(t, 6, e.digits)
	assert.Equal(t, 30*time.Second, e.period)
	assert.Equal(t, 1, e.skew)

	for _, tc := range []struct {
		name string
		cfg  TOTPConfig
		in   string // the range the error names
	}{
		{"digits 4", TOTPConfig{Digits: 4}, "{6, 8}"},
		{"digits 7", TOTPConfig{Digits: 7}, "{6, 8}"},
		{"digits 9", TOTPConfig{Digits: 9}, "{6, 8}"},
		{"period -30s", TOTPConfig{Period: -30 * time.Second}, "[15s, 2m0s]"},
		{"period 1s", TOTPConfig{Period: time.Second}, "[15s, 2m0s]"},
		{"period 121s", TOTPConfig{Period: 121 * time.Second}, "[15s, 2m0s]"},
		{"period 30.5s", TOTPConfig{Period: 30500 * time.Millisecond}, "whole seconds"},
		{"algorithm MD5", TOTPConfig{Algorithm: "MD5"}, "SHA1, SHA256, SHA512"},
		{"algorithm sha1", TOTPConfig{Algorithm: "sha1"}, "SHA1, SHA256, SHA512"},
		{"no issuer", TOTPConfig{Issuer: "-"}, ""},
		{"issuer with colon", TOTPConfig{Issuer: "a:b"}, "':'"},
		{"issuer with newline", TOTPConfig{Issuer: "a\nb"}, "control"},
		{"issuer too long", TOTPConfig{Issuer: strings.Repeat("x", 101)}, "[1, 100]"},
		{"issuer not UTF-8", TOTPConfig{Issuer: "\xff"}, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			switch cfg.Issuer {
			case "":
				cfg.Issuer = "x"
			case "-":
				cfg.Issuer = ""
			}
			_, err := NewTOTP(cfg)
			require.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.in)
			assert.True(t, strings.HasPrefix(err.Error(), "otp: "))
		})
	}
	// Zero means the default (house style), so Period 0 is 30 s, not an
	// error; and 8 digits, SHA256/SHA512 and 15 s…2 m are accepted.
	for _, cfg := range []TOTPConfig{
		{Period: 0}, {Period: 15 * time.Second}, {Period: 2 * time.Minute},
		{Digits: 8}, {Algorithm: SHA256}, {Algorithm: SHA512},
	} {
		cfg.Issuer = "x"
		_, err := NewTOTP(cfg)
		assert.NoError(t, err, "%+v", cfg)
	}
	// The parameters the app was given are sealed, so a later config change
	// does not break a pending enrollment: an 8-digit SHA256 60 s key
	// confirms on a default engine.
	at := time.Unix(1_700_000_000, 0)
	k := TOTPKey{Algorithm: SHA256, Digits: 8, Period: 60 * time.Second, Secret: rfcSeed(SHA256)}
	code, err := k.Code(at)
	require.NoError(t, err)
	c, err := e.Confirm(ctx, confirmReq(t, k, code))
	require.NoError(t, err)
	assert.Equal(t, at.Unix()/60, c.Counter)
}

// fullWidth returns s with ASCII digits replaced by full-width digits.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune { return r - '0' + '０' }, s)
}

// malformedVariants returns otp_code inputs derived from the correct code
// that must all fail (TO-06). Surrounding whitespace is pinned as invalid.
func malformedVariants(code string) map[string]string {
	return map[string]string{
		"inner space":     code[:3] + " " + code[3:],
		"surrounded":      " " + code + " ",
		"leading space":   " " + code,
		"trailing space":  code + " ",
		"trailing LF":     code + "\n",
		"tab":             "\t" + code,
		"too short":       code[:len(code)-1],
		"too long":        code + "0",
		"letter":          code[:len(code)-1] + "a",
		"full-width":      fullWidth(code),
		"empty":           "",
		"NUL":             code[:len(code)-1] + "\x00",
		"sign":            "+" + code[1:],
		"arabic-indic":    strings.Map(func(r rune) rune { return r - '0' + '٠' }, code),
		"very long":       strings.Repeat(code, 1000),
		"hyphen":          code[:3] + "-" + code[3:],
		"zero-width join": code[:3] + "\u200d" + code[3:],
	}
}

// TO-06: a code is exactly its ASCII digits, and every attempt is counted.
func TestCodeMustBeExactASCIIDigits(t *testing.T) {
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	code := codeAt(t, k, at.Unix()/30)
	e := engineAt(t, TOTPConfig{}, at)
	variants := malformedVariants(code)
	for name, in := range variants {
		t.Run("engine/"+name, func(t *testing.T) {
			c, err := e.Confirm(ctx, confirmReq(t, k, in))
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Nil(t, c)
			assert.Equal(t, "totp_code_format", verify.ReasonOf(err))
		})
	}
	// Through the service every malformed input is a counted attempt: with
	// as many attempts as variants, the correct code afterwards finds the
	// auth_session void.
	f := newFixture(t, TOTPConfig{}, len(variants))
	en, key := f.startTOTP(t)
	good := codeAt(t, key, f.step())
	for name, in := range malformedVariants(good) {
		_, err := f.verifyCode(en, in)
		require.ErrorIs(t, err, verify.ErrInvalidProof, name)
	}
	_, err := f.verifyCode(en, good)
	require.ErrorIs(t, err, verify.ErrTooManyAttempts)
	ms, err := f.store.List(ctx, f.sub.ID)
	require.NoError(t, err)
	assert.Empty(t, ms)
}

// TO-08: the replay check and the step update are atomic.
func TestReplayCheckAndUpdateAreAtomic(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	f.clock.Add(30 * time.Second)
	code := codeAt(t, k, f.step())
	wins, errs := race(20, func() error { return f.totpSignIn(ctx, f.sub.ID, id, code) })
	assert.Equal(t, 1, wins)
	require.Len(t, errs, 19)
	for _, err := range errs {
		// Refused by the engine (the record read had the step) or by the
		// store's conditional write (store.ErrStale).
		assert.True(t, stale(err), "%v", err)
	}
	m, err := f.store.Get(ctx, f.sub.ID, id)
	require.NoError(t, err)
	assert.Equal(t, f.step(), m.Counter)

	// Enrollment: 20 concurrent confirms of one auth_session with the valid
	// code store exactly one method.
	g := newFixture(t, TOTPConfig{}, 0)
	en, key := g.startTOTP(t)
	good := codeAt(t, key, g.step())
	wins, errs = race(20, func() error { _, err := g.verifyCode(en, good); return err })
	assert.Equal(t, 1, wins)
	for _, err := range errs {
		k := verify.Kind(err)
		assert.True(t, k == verify.ErrAlreadyUsed || k == verify.ErrTooManyAttempts, "%v", err)
	}
	ms, err := g.store.List(ctx, g.sub.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 1)
}

// TO-09: a pending TOTP never authenticates; the old secret stays until confirmation.
func TestPendingTOTPNeverAuthenticates(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	// (a) A pending enrollment is no method: its correct code does not
	// authenticate.
	en, k := f.startTOTP(t)
	err := f.totpSignIn(ctx, f.sub.ID, en.ID, codeAt(t, k, f.step()))
	require.ErrorIs(t, err, verify.ErrNotFound)
	// (c) Re-enrollment never confirmed: the old secret still works, the
	// new one does not.
	id, old := f.enrolled(t)
	en2, k2 := f.startTOTP(t)
	require.NotEqual(t, old.Secret, k2.Secret)
	f.clock.Add(30 * time.Second)
	err = f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k2, f.step()))
	if codeAt(t, k2, f.step()) != codeAt(t, old, f.step()) {
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, old, f.step()+1)))
	require.ErrorIs(t, f.totpSignIn(ctx, f.sub.ID, en2.ID, codeAt(t, k2, f.step())), verify.ErrNotFound)
	// Another user's method id, and a method of another type, are not found.
	require.ErrorIs(t, f.totpSignIn(ctx, "auth0|mallory", id, codeAt(t, old, f.step()+1)), verify.ErrNotFound)
	rcID, _ := f.enrollRecovery(t, f.sub)
	require.ErrorIs(t, f.totpSignIn(ctx, f.sub.ID, rcID, "123456"), verify.ErrNotFound)
}

// TO-10: no counter underflow near t = 0.
func TestNoCounterUnderflowNearTheEpoch(t *testing.T) {
	ctx := context.Background()
	seed := rfcSeed(SHA1)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: seed}
	// The code of counter "−1", that is 2^64−1 after a uint64 wrap, by
	// pquerna/otp as an independent generator.
	wrapped, err := photp.GenerateCodeCustom(b32.EncodeToString(seed), math.MaxUint64, photp.ValidateOpts{Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1})
	require.NoError(t, err)
	step0, step1 := codeAt(t, k, 0), codeAt(t, k, 1)
	require.NotEqual(t, wrapped, step0)
	require.NotEqual(t, wrapped, step1)

	for _, unix := range []int64{10, 0, 29} {
		e := engineAt(t, TOTPConfig{Skew: 1}, time.Unix(unix, 0))
		c, err := e.Confirm(ctx, confirmReq(t, k, step0))
		require.NoError(t, err, "t=%d", unix)
		assert.Equal(t, int64(0), c.Counter)
		c, err = e.Confirm(ctx, confirmReq(t, k, step1))
		require.NoError(t, err)
		assert.Equal(t, int64(1), c.Counter)
		_, err = e.Confirm(ctx, confirmReq(t, k, wrapped))
		require.ErrorIs(t, err, verify.ErrInvalidProof, "counter −1 at t=%d", unix)
	}
	// Before the epoch: steps below 0 do not exist, so only step 0 can be
	// in reach (from step −1 with skew 1); nothing panics, nothing wraps.
	for _, tc := range []struct {
		unix   int64
		accept string
	}{{-1, step0}, {-30, step0}, {-31, ""}, {-45, ""}, {math.MinInt64 / 2, ""}} {
		e := engineAt(t, TOTPConfig{Skew: 1}, time.Unix(tc.unix, 0))
		for _, code := range []string{step0, step1, wrapped} {
			c, err := e.Confirm(ctx, confirmReq(t, k, code))
			if code == tc.accept {
				require.NoError(t, err, "t=%d", tc.unix)
				assert.Equal(t, int64(0), c.Counter)
				continue
			}
			require.ErrorIs(t, err, verify.ErrInvalidProof, "t=%d", tc.unix)
		}
	}
	_, err = k.Code(time.Unix(-1, 0))
	assert.Error(t, err)
	// Sign-in near t = 0 after confirming at step 0: step 0 is used, step 1
	// is fresh, counter −1 never.
	f := newFixture(t, TOTPConfig{}, 0)
	f.clock.Set(time.Unix(10, 0))
	blob, err := k.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, f.store.Commit(ctx, store.Commit{SessionID: "s0", SessionExpires: time.Unix(600, 0), Method: store.Method{
		ID: "totp|dev_0", Subject: f.sub.ID, Type: "totp", CreatedAt: time.Unix(10, 0), Attrs: []byte(`{}`), Secret: blob, Counter: 0,
	}}))
	require.ErrorIs(t, f.totpSignIn(ctx, f.sub.ID, "totp|dev_0", wrapped), verify.ErrInvalidProof)
	require.ErrorIs(t, f.totpSignIn(ctx, f.sub.ID, "totp|dev_0", step0), verify.ErrInvalidProof)
	require.NoError(t, f.totpSignIn(ctx, f.sub.ID, "totp|dev_0", step1))
}

// checkKeyURI parses uri as a Google Key URI with net/url and with
// pquerna/otp and checks that the secret, issuer and parameters are
// exactly what was issued. It returns the parsed account label.
func checkKeyURI(t *testing.T, uri, issuer, secret string) string {
	t.Helper()
	u, err := url.Parse(uri)
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, "totp", u.Host)
	assert.Empty(t, u.Fragment)
	q := u.Query()
	assert.Equal(t, []string{secret}, q["secret"], "exactly one, intact secret")
	assert.Equal(t, []string{issuer}, q["issuer"])
	assert.Equal(t, []string{"SHA1"}, q["algorithm"])
	assert.Equal(t, []string{"6"}, q["digits"])
	assert.Equal(t, []string{"30"}, q["period"])
	assert.Len(t, q, 5)
	assert.NotContains(t, uri, "+", "spaces are %20, and '+' is escaped")
	label := strings.TrimPrefix(u.Path, "/")
	iss, account, ok := strings.Cut(label, ":")
	require.True(t, ok, "label %q has the issuer prefix", label)
	assert.Equal(t, issuer, iss)
	assert.NotContains(t, account, ":")

	key, err := potp.NewKeyFromURL(uri)
	require.NoError(t, err)
	assert.Equal(t, secret, key.Secret())
	assert.Equal(t, issuer, key.Issuer())
	assert.Equal(t, account, key.AccountName())
	assert.Equal(t, uint64(30), key.Period())
	return account
}

// TO-11: the otpauth URI is escaped.
func TestOtpauthURIIsEscaped(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		issuer  string
		sub     verify.Subject
		account string // the label as parsed back
	}{
		{"checklist vector", "Example", verify.Subject{ID: "u1", Email: "a@b.c:evil?secret=AAAA"}, "a@b.c_evil?secret=AAAA"},
		{"query injection", "Acme & Co", verify.Subject{ID: "u1", Email: "x&secret=AAAA&issuer=Evil"}, "x&secret=AAAA&issuer=Evil"},
		{"fragment", "Acme", verify.Subject{ID: "u1", Email: "x#secret=AAAA"}, "x#secret=AAAA"},
		{"percent", "100% Sure", verify.Subject{ID: "u1", Email: "%3Fsecret%3DAAAA"}, "%3Fsecret%3DAAAA"},
		{"encoded colon", "Acme", verify.Subject{ID: "u1", Email: "evil%3Aname"}, "evil%3Aname"},
		{"path", "Acme", verify.Subject{ID: "u1", Email: "a/../b"}, "a/../b"},
		{"control", "Acme", verify.Subject{ID: "u1", Email: "a\nissuer=Evil\r"}, "a_issuer=Evil_"},
		{"plus and space", "Acme Inc", verify.Subject{ID: "u1", Email: "a+b c@example.com"}, "a+b c@example.com"},
		{"unicode", "Société Générale", verify.Subject{ID: "u1", Email: "josé@müller.de"}, "josé@müller.de"},
		{"invalid UTF-8", "Acme", verify.Subject{ID: "u1", Email: "a\xffb"}, "a\uFFFDb"},
		{"username fallback", "Acme", verify.Subject{ID: "u1", Username: "alice"}, "alice"},
		{"id fallback", "Acme", verify.Subject{ID: "auth0|507f1f77bcf86cd799439011"}, "auth0|507f1f77bcf86cd799439011"},
		{"email first", "Acme", verify.Subject{ID: "u1", Username: "alice", Email: "alice@example.com"}, "alice@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engineAt(t, TOTPConfig{Issuer: tc.issuer}, time.Unix(1_700_000_000, 0))
			ch, err := e.Start(ctx, &verify.EngineStart{Subject: tc.sub, MethodID: "totp|dev_1"})
			require.NoError(t, err)
			assert.NotContains(t, ch.ManualInputCode, "=", "no padding")
			account := checkKeyURI(t, ch.BarcodeURI, tc.issuer, ch.ManualInputCode)
			assert.Equal(t, tc.account, account)
		})
	}
	// The exact form for a plain account.
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	assert.Equal(t,
		"otpauth://totp/Acme%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30",
		k.URI("Acme Co", "alice@example.com"))
}

// TO-13: wrong, expired and replayed codes answer alike.
func TestWrongMalformedAndReplayedCodesAnswerAlike(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, k := f.enrolled(t)
	s := f.step()
	e := engineAt(t, TOTPConfig{}, f.clock.Now())
	wrong := otherCode(t, k, s-1, s, s+1)
	errs := map[string]error{}
	_, errs["confirm wrong"] = e.Confirm(ctx, confirmReq(t, k, wrong))
	_, errs["confirm malformed"] = e.Confirm(ctx, confirmReq(t, k, "12a456"))
	errs["authenticate wrong"] = f.totpSignIn(ctx, f.sub.ID, id, wrong)
	errs["authenticate malformed"] = f.totpSignIn(ctx, f.sub.ID, id, "12345")
	errs["authenticate replayed"] = f.totpSignIn(ctx, f.sub.ID, id, codeAt(t, k, s))
	var first string
	for name, err := range errs {
		require.ErrorIs(t, err, verify.ErrInvalidProof, name)
		var ve *verify.Error
		require.True(t, errors.As(err, &ve), name)
		assert.Equal(t, detailInvalidCode, ve.Detail, name)
		assert.Nil(t, ve.Fields, name)
		if first == "" {
			first = err.Error()
		}
		assert.Equal(t, first, err.Error(), name)
		assert.NotContains(t, err.Error(), wrong)
		assert.NotContains(t, err.Error(), codeAt(t, k, s))
	}
	// Reasons differ, for logs only.
	assert.Equal(t, "totp_code", verify.ReasonOf(errs["authenticate wrong"]))
	assert.Equal(t, "totp_replayed", verify.ReasonOf(errs["authenticate replayed"]))
	assert.Equal(t, "totp_code_format", verify.ReasonOf(errs["authenticate malformed"]))
}

// AS-19: the auth_session carries no plaintext code.
//
// The design, pinned: the TOTP secret travels in the auth_session
// (pending enrollments have no table), encrypted by the sealer; the token
// shows it in no encoding, and an unsealed state holds the key and nothing
// else.
func TestTokenHoldsNoPlaintextCode(t *testing.T) {
	f := newFixture(t, TOTPConfig{}, 0)
	en, k := f.startTOTP(t)
	for _, enc := range []string{en.ManualInputCode, stateEncoding.EncodeToString(k.Secret), string(k.Secret)} {
		assert.NotContains(t, en.AuthSession, enc)
	}
	assert.True(t, strings.HasPrefix(en.AuthSession, "Fe26.2*"), "sealed by the real iron sealer")
}

// FZ-04: otp_code strings are fuzzed.
//
// This runs the FuzzTOTPCode seeds with their invariant; the fuzzer
// itself runs with go test -fuzz=FuzzTOTPCode.
func TestTOTPCodeFuzzSeedsHoldTheInvariant(t *testing.T) {
	at := time.Unix(1_111_111_109, 0)
	e := engineAt(t, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	for _, in := range fuzzSeeds(t, k, at) {
		checkFuzzedCode(t, e, k, at, in)
	}
}

func fuzzSeeds(t testing.TB, k TOTPKey, at time.Time) []string {
	good := codeAt(t, k, at.Unix()/30)
	seeds := []string{good, codeAt(t, k, at.Unix()/30-1), codeAt(t, k, at.Unix()/30+2), "000000", "", "\x00\x00\x00\x00\x00\x00", "99999999"}
	for _, v := range malformedVariants(good) {
		seeds = append(seeds, v)
	}
	return seeds
}

// checkFuzzedCode is FZ-04's invariant: Confirm never panics, fails only
// with ErrInvalidProof and no result, and accepts only exactly six ASCII
// digits that pquerna/otp computes for a step within the skew.
func checkFuzzedCode(t testing.TB, e *TOTP, k TOTPKey, at time.Time, in string) {
	c, err := e.Confirm(context.Background(), confirmReq(t, k, in))
	if err != nil {
		if !errors.Is(err, verify.ErrInvalidProof) || c != nil {
			t.Fatalf("input %q: %v, %v", in, c, err)
		}
		return
	}
	if len(in) != 6 || strings.Trim(in, "0123456789") != "" {
		t.Fatalf("accepted non-digits %q", in)
	}
	step := at.Unix() / 30
	for s := step - 1; s <= step+1; s++ {
		want, perr := photp.GenerateCodeCustom(b32.EncodeToString(k.Secret), uint64(s), photp.ValidateOpts{Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1})
		if perr != nil {
			t.Fatal(perr)
		}
		if in == want && c.Counter == s {
			return
		}
	}
	t.Fatalf("accepted %q with counter %d, which is no code of steps %d±1", in, c.Counter, step)
}

// Checklist: FZ-04.
func FuzzTOTPCode(f *testing.F) {
	at := time.Unix(1_111_111_109, 0)
	e := engineAt(f, TOTPConfig{}, at)
	k := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}
	for _, s := range fuzzSeeds(f, k, at) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkFuzzedCode(t, e, k, at, in) })
}

// TestTOTPService runs TOTP enrollments end to end through verify.Service
// with the memory store and the real session sealer.
func TestTOTPService(t *testing.T) {
	ctx := context.Background()
	t.Run("confirm then replay", func(t *testing.T) {
		f := newFixture(t, TOTPConfig{}, 0)
		en, k := f.startTOTP(t)
		assert.True(t, strings.HasPrefix(en.ID, "totp|dev_"))
		assert.True(t, strings.HasPrefix(en.BarcodeURI, "otpauth://totp/Example:alice@example.com?secret="+en.ManualInputCode+"&"))
		s := f.step()
		m, err := f.verifyCode(en, codeAt(t, k, s))
		require.NoError(t, err)
		assert.Equal(t, verify.TypeTOTP, m.Type)
		assert.Equal(t, en.ID, m.ID)
		assert.True(t, m.Confirmed)
		ms, err := f.store.List(ctx, f.sub.ID)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, s, ms[0].Counter)
		stored, err := parseTOTPKey(ms[0].Secret)
		require.NoError(t, err)
		assert.Equal(t, k, stored)
		// The same auth_session again: already used, nothing more stored.
		_, err = f.verifyCode(en, codeAt(t, k, s))
		require.ErrorIs(t, err, verify.ErrAlreadyUsed)
		ms, err = f.store.List(ctx, f.sub.ID)
		require.NoError(t, err)
		assert.Len(t, ms, 1)
	})
	t.Run("five wrong codes then the right one", func(t *testing.T) {
		f := newFixture(t, TOTPConfig{}, 0)
		en, k := f.startTOTP(t)
		s := f.step()
		wrong := otherCode(t, k, s-1, s, s+1)
		for i := 0; i < verify.DefaultMaxAttempts; i++ {
			_, err := f.verifyCode(en, wrong)
			require.ErrorIs(t, err, verify.ErrInvalidProof, "attempt %d", i+1)
		}
		_, err := f.verifyCode(en, codeAt(t, k, s))
		require.ErrorIs(t, err, verify.ErrTooManyAttempts)
	})
	t.Run("window", func(t *testing.T) {
		f := newFixture(t, TOTPConfig{}, 0)
		s := f.step()
		for _, tc := range []struct {
			d      int64
			accept bool
		}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
			var (
				en *verify.Enrollment
				k  TOTPKey
			)
			for en == nil || !distinctCodes(t, k, s-2, s-1, s, s+1, s+2) {
				en, k = f.startTOTP(t)
			}
			m, err := f.verifyCode(en, codeAt(t, k, s+tc.d))
			if !tc.accept {
				require.ErrorIs(t, err, verify.ErrInvalidProof, "step s%+d", tc.d)
				continue
			}
			require.NoError(t, err, "step s%+d", tc.d)
			sm, err := f.store.Get(ctx, f.sub.ID, m.ID)
			require.NoError(t, err)
			assert.Equal(t, s+tc.d, sm.Counter)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t, TOTPConfig{}, 0)
		en, k := f.startTOTP(t)
		f.clock.Add(verify.DefaultSessionTTL + time.Minute)
		_, err := f.verifyCode(en, codeAt(t, k, f.step()))
		require.ErrorIs(t, err, verify.ErrExpired)
	})
}

func TestTOTPKey(t *testing.T) {
	k := TOTPKey{Algorithm: SHA512, Digits: 8, Period: 45 * time.Second, Secret: rfcSeed(SHA512)}
	b, err := k.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 3, 8, 45}, b[:4])
	var got TOTPKey
	require.NoError(t, got.UnmarshalBinary(b))
	assert.Equal(t, k, got)
	b[4] ^= 1
	assert.Equal(t, rfcSeed(SHA512), got.Secret, "UnmarshalBinary copies the secret")

	for name, bad := range map[string]TOTPKey{
		"algorithm": {Algorithm: "MD5", Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)},
		"digits":    {Algorithm: SHA1, Digits: 7, Period: 30 * time.Second, Secret: rfcSeed(SHA1)},
		"period":    {Algorithm: SHA1, Digits: 6, Period: 10 * time.Second, Secret: rfcSeed(SHA1)},
		"fraction":  {Algorithm: SHA1, Digits: 6, Period: 30*time.Second + 1, Secret: rfcSeed(SHA1)},
		"short":     {Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: make([]byte, 15)},
		"long":      {Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: make([]byte, 65)},
	} {
		_, err := bad.MarshalBinary()
		assert.Error(t, err, name)
		_, err = bad.Code(time.Unix(59, 0))
		assert.Error(t, err, name)
	}
	good, err := TOTPKey{Algorithm: SHA1, Digits: 6, Period: 30 * time.Second, Secret: rfcSeed(SHA1)}.MarshalBinary()
	require.NoError(t, err)
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{2}, good[1:]...),
		"algorithm": append([]byte{1, 9}, good[2:]...),
		"digits":    append([]byte{1, 1, 7}, good[3:]...),
		"period":    append([]byte{1, 1, 6, 121}, good[4:]...),
		"short":     good[:4+15],
		"long":      append(append([]byte{}, good...), make([]byte, 45)...),
	} {
		var k TOTPKey
		assert.Error(t, k.UnmarshalBinary(bad), name)
	}
}

func TestTOTPConfirmState(t *testing.T) {
	ctx := context.Background()
	e := engineAt(t, TOTPConfig{}, time.Unix(59, 0))
	code := "287082"
	for name, st := range map[string]string{
		"not a string":  `{"k":"AQ"}`,
		"bad base64":    `"!!!"`,
		"bad key":       `"AQEGHg"`,
		"too long":      `"` + strings.Repeat("A", 200) + `"`,
		"missing state": ``,
	} {
		_, err := e.Confirm(ctx, &verify.EngineConfirm{State: jsontext.Value(st), Request: verify.VerifyRequest{OTPCode: &code}})
		require.ErrorIs(t, err, verify.ErrInvalidSession, name)
	}
	_, err := e.Confirm(ctx, &verify.EngineConfirm{Request: verify.VerifyRequest{}})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
}
