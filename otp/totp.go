package otp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verifykit/verifykit/internal/keyuri"
	"github.com/verifykit/verifykit/verify"
)

// Algorithm is the HMAC hash of a TOTP key, spelled as in the otpauth URI's
// algorithm parameter.
type Algorithm string

// The algorithms of RFC 6238 §1.2.
const (
	SHA1   Algorithm = "SHA1"
	SHA256 Algorithm = "SHA256"
	SHA512 Algorithm = "SHA512"
)

// NoSkew, as TOTPConfig.Skew, accepts a code for the current time step
// only (the zero value of Skew means the default, one step either side).
const NoSkew = -1

// Limits and defaults of TOTPConfig (each field's comment states its range
// and default).
const (
	// defaultTOTPDigits is the code length authenticator apps expect.
	defaultTOTPDigits = 6
	// defaultTOTPPeriod is the time step of RFC 6238 §5.2.
	defaultTOTPPeriod = 30 * time.Second
	minTOTPPeriod     = 15 * time.Second
	maxTOTPPeriod     = 120 * time.Second
	// defaultTOTPSkew is how many steps either side of the current one are
	// accepted: RFC 6238 §5.2 recommends at most one for network delay.
	defaultTOTPSkew = 1
	maxTOTPSkew     = 2
	// defaultTOTPSecretSize is 160 bits, the length RFC 4226 §4 R6
	// recommends and the SHA-1 output size.
	defaultTOTPSecretSize = 20
	// minTOTPSecretSize is 128 bits, RFC 4226 §4 R6's minimum.
	minTOTPSecretSize = 16
	// maxTOTPSecretSize is the SHA-512 seed length of RFC 6238 App. B.
	maxTOTPSecretSize = 64
	// maxIssuerLen bounds TOTPConfig.Issuer in bytes.
	maxIssuerLen = 100
)

// TOTPConfig configures a TOTP engine. The zero value of each optional field
// is its default; out-of-range values are errors, never clamped.
type TOTPConfig struct {
	// Issuer names the service in the user's authenticator app (the Key URI
	// issuer). Required: 1 to 100 bytes of UTF-8, without ':' (the
	// label separator) or control characters.
	Issuer string
	// Algorithm is the HMAC hash. Default SHA1, the only one every
	// authenticator app supports; SHA256 and SHA512 are allowed.
	Algorithm Algorithm
	// Digits is the code length: 6 (default) or 8. Each digit multiplies the
	// guesses an attacker needs by ten.
	Digits int
	// Period is the time step. Default 30s; range [15s, 2m], whole seconds.
	// Many apps ignore any other value than 30s.
	Period time.Duration
	// Skew is how many time steps either side of the current one a code may
	// be from: default 1; range [0, 2], where 0 is written
	// NoSkew because the zero value means the default. Every accepted step
	// widens the window an attacker's guess can hit.
	Skew int
	// SecretSize is the length of the generated secret in bytes. Default 20
	// (160 bits); range [16, 64] (RFC 4226 §4 R6: at least 128 bits).
	SecretSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TOTP is the engine of verify.TypeTOTP: enrollment of an authenticator app
// (RFC 6238), and the sign-in check of a confirmed TOTP method
// (verify.Engine, in signin.go). It is immutable and safe for concurrent use.
type TOTP struct {
	issuer     string
	alg        Algorithm
	digits     int
	period     time.Duration
	skew       int
	secretSize int
	now        func() time.Time
}

var _ verify.Engine = (*TOTP)(nil)

// NewTOTP validates cfg and returns a TOTP engine.
func NewTOTP(cfg TOTPConfig) (*TOTP, error) {
	e := &TOTP{
		issuer: cfg.Issuer, alg: cfg.Algorithm, digits: cfg.Digits, period: cfg.Period,
		skew: cfg.Skew, secretSize: cfg.SecretSize, now: cfg.Now,
	}
	if err := checkIssuer(e.issuer); err != nil {
		return nil, err
	}
	if e.alg == "" {
		e.alg = SHA1
	}
	if e.alg.id() == 0 {
		return nil, configErrorf("Algorithm %q is not one of SHA1, SHA256, SHA512", string(e.alg))
	}
	if e.digits == 0 {
		e.digits = defaultTOTPDigits
	}
	if e.digits != 6 && e.digits != 8 {
		return nil, configErrorf("Digits %d out of range {6, 8}", e.digits)
	}
	if e.period == 0 {
		e.period = defaultTOTPPeriod
	}
	if e.period < minTOTPPeriod || e.period > maxTOTPPeriod || e.period%time.Second != 0 {
		return nil, configErrorf("Period %v out of range [%v, %v] in whole seconds", e.period, minTOTPPeriod, maxTOTPPeriod)
	}
	switch e.skew {
	case 0:
		e.skew = defaultTOTPSkew
	case NoSkew:
		e.skew = 0
	}
	if e.skew < 0 || e.skew > maxTOTPSkew {
		return nil, configErrorf("Skew %d out of range [0, %d] (0 is written otp.NoSkew)", cfg.Skew, maxTOTPSkew)
	}
	if e.secretSize == 0 {
		e.secretSize = defaultTOTPSecretSize
	}
	if e.secretSize < minTOTPSecretSize || e.secretSize > maxTOTPSecretSize {
		return nil, configErrorf("SecretSize %d out of range [%d, %d] bytes", e.secretSize, minTOTPSecretSize, maxTOTPSecretSize)
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

func checkIssuer(s string) error {
	if len(s) == 0 || len(s) > maxIssuerLen {
		return configErrorf("Issuer length %d out of range [1, %d] bytes", len(s), maxIssuerLen)
	}
	if !utf8.ValidString(s) {
		return configErrorf("Issuer is not valid UTF-8")
	}
	for _, r := range s {
		if r == ':' || unicode.IsControl(r) {
			return configErrorf("Issuer contains %q; ':' and control characters are not allowed", r)
		}
	}
	return nil
}

// Type returns verify.TypeTOTP.
func (e *TOTP) Type() verify.Type { return verify.TypeTOTP }

// Start creates a fresh secret of SecretSize bytes from crypto/rand and
// returns it to the client twice: in BarcodeURI, a Google Key URI
//
//	otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
//
// and in ManualInputCode, the base32 secret without padding. The account
// label is the subject's Email, else its Username, else its ID. The secret
// and its parameters are the sealed state: no store write happens.
func (e *TOTP) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	account := keyuri.Account(req.Subject)
	if account == "" {
		return nil, verify.NewError(verify.ErrUnauthenticated, "no_subject", "No authenticated user")
	}
	// The secret and its binary form live on the stack, wiped on return;
	// what leaves is their encodings.
	var key [maxKeyLen]byte
	defer clear(key[:])
	secret := key[keyHeaderLen : keyHeaderLen+e.secretSize]
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("otp: random: %w", err)
	}
	k := TOTPKey{Algorithm: e.alg, Digits: e.digits, Period: e.period, Secret: secret}
	if err := k.check(); err != nil {
		return nil, err
	}
	blob := k.appendBinary(key[:0])
	manual := b32.EncodeToString(secret)
	return &verify.Challenge{
		State:           encodeState(blob),
		BarcodeURI:      k.uri(e.issuer, account, manual),
		ManualInputCode: manual,
	}, nil
}

// Confirm checks the otp_code against the secret sealed at Start, with the
// digits, algorithm and period the app was given then and the engine's
// current Skew. It returns the secret (TOTPKey.MarshalBinary form) in
// Confirmation.Secret and the matched time step in Confirmation.Counter,
// which the store keeps as the method's last used step (RFC 6238 §5.2).
//
// A code that is not exactly Digits ASCII digits, or matches no step,
// fails with verify.ErrInvalidProof; the service has counted the attempt.
func (e *TOTP) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if req.Request.OTPCode == nil {
		return nil, verify.InvalidField("otp_code", "/otp_code", "totp requires otp_code")
	}
	blob, err := decodeState(req.State, maxKeyLen)
	if err != nil {
		return nil, invalidState("totp_state")
	}
	k, err := parseKey(blob)
	if err != nil {
		return nil, invalidState("totp_state")
	}
	var in [8]byte
	if !readDigits(in[:], *req.Request.OTPCode, k.digits) {
		return nil, invalidProof("totp_code_format")
	}
	step, ok, _ := e.match(&k, in[:k.digits], -1)
	if !ok {
		return nil, invalidProof("totp_code")
	}
	return &verify.Confirmation{Secret: blob, Counter: step}, nil
}

// match compares in with the code of every time step in
// [now−skew, now+skew] that is ≥ 0, with no early exit: all candidates are
// computed and each is compared with subtle.ConstantTimeCompare, and the
// results are combined without branching on them. It returns the greatest
// matching step that is after last (-1: none used yet), whether there is
// one, and whether in matched only steps at or before last (a replay).
func (e *TOTP) match(k *key, in []byte, last int64) (step int64, ok, replayed bool) {
	cur := floorDiv(e.now().Unix(), k.period)
	mac := hmac.New(k.hash, k.secret)
	var (
		want    [8]byte
		found   int
		stale   int
		matched uint64
	)
	for d := -int64(e.skew); d <= int64(e.skew); d++ {
		s := cur + d
		if s < 0 {
			// Before the Unix epoch: no such step (RFC 6238 T0 = 0). Never
			// wrapped to a huge counter (pquerna/otp issue #97).
			continue
		}
		hotp(mac, uint64(s), k.digits, &want)
		eq := subtle.ConstantTimeCompare(want[:k.digits], in)
		fresh := 0
		if s > last { // last and s are public; only eq depends on the secret
			fresh = 1
		}
		hit := eq & fresh
		mask := -uint64(hit)
		matched = matched&^mask | uint64(s)&mask
		found |= hit
		stale |= eq &^ fresh
	}
	return int64(matched), found == 1, found == 0 && stale == 1
}

// floorDiv returns ⌊t / p⌋ for p > 0, also for negative t.
func floorDiv(t, p int64) int64 {
	q := t / p
	if t%p != 0 && t < 0 {
		q--
	}
	return q
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// hotp writes the RFC 4226 §5.3 HOTP value of counter, as digits ASCII
// digits, into out. mac is an HMAC (crypto/hmac) keyed with the secret; it
// is reset first, so one mac serves every candidate step of a check.
func hotp(mac hash.Hash, counter uint64, digits int, out *[8]byte) {
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	mac.Reset()
	mac.Write(c[:])
	h := mac.Sum(nil)
	// Dynamic truncation (RFC 4226 §5.3), the same for every hash size
	// (RFC 6238 App. A).
	off := h[len(h)-1] & 0x0f
	v := binary.BigEndian.Uint32(h[off:off+4]) & 0x7fffffff
	v %= pow10[digits]
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
}

// b32 is the secret encoding of Key URIs and manual entry: RFC 4648 base32,
// upper case, without padding (as authenticator apps expect).
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPKey is a TOTP secret with the parameters its authenticator app was
// given. Its MarshalBinary form is what the TOTP engine stores as the
// method's secret (store.Method.Secret); build one to import a TOTP secret
// enrolled elsewhere.
type TOTPKey struct {
	Algorithm Algorithm     // SHA1, SHA256 or SHA512
	Digits    int           // 6 or 8
	Period    time.Duration // [15s, 2m], whole seconds
	Secret    []byte        // [16, 64] bytes
}

// The binary form of a TOTPKey (version 1), 4+len(Secret) bytes:
//
//	[0] version, 1
//	[1] algorithm: 1 SHA1, 2 SHA256, 3 SHA512
//	[2] digits: 6 or 8
//	[3] period in seconds: 15…120
//	[4:] secret, 16…64 bytes
const (
	keyVersion   = 1
	keyHeaderLen = 4
	maxKeyLen    = keyHeaderLen + maxTOTPSecretSize
)

func (a Algorithm) id() byte {
	switch a {
	case SHA1:
		return 1
	case SHA256:
		return 2
	case SHA512:
		return 3
	}
	return 0
}

func algorithmOf(id byte) (Algorithm, func() hash.Hash) {
	switch id {
	case 1:
		return SHA1, sha1.New
	case 2:
		return SHA256, sha256.New
	case 3:
		return SHA512, sha512.New
	}
	return "", nil
}

// MarshalBinary returns k in the versioned binary form the engine stores,
// or an error if a parameter is out of range.
func (k TOTPKey) MarshalBinary() ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return k.appendBinary(make([]byte, 0, keyHeaderLen+len(k.Secret))), nil
}

// appendBinary appends the MarshalBinary form of k, which check accepts,
// to b. b may be the memory of k.Secret shifted by keyHeaderLen (Start
// draws the secret where its binary form goes).
func (k TOTPKey) appendBinary(b []byte) []byte {
	b = append(b, keyVersion, k.Algorithm.id(), byte(k.Digits), byte(k.Period/time.Second))
	return append(b, k.Secret...)
}

func (k TOTPKey) check() error {
	switch {
	case k.Algorithm.id() == 0:
		return fmt.Errorf("otp: TOTP key algorithm %q is not one of SHA1, SHA256, SHA512", string(k.Algorithm))
	case k.Digits != 6 && k.Digits != 8:
		return fmt.Errorf("otp: TOTP key digits %d out of range {6, 8}", k.Digits)
	case k.Period < minTOTPPeriod || k.Period > maxTOTPPeriod || k.Period%time.Second != 0:
		return fmt.Errorf("otp: TOTP key period %v out of range [%v, %v] in whole seconds", k.Period, minTOTPPeriod, maxTOTPPeriod)
	case len(k.Secret) < minTOTPSecretSize || len(k.Secret) > maxTOTPSecretSize:
		return fmt.Errorf("otp: TOTP key secret of %d bytes out of range [%d, %d]", len(k.Secret), minTOTPSecretSize, maxTOTPSecretSize)
	}
	return nil
}

// UnmarshalBinary decodes into k the binary form made by MarshalBinary
// (a stored method's secret), copying the secret. A malformed form or a
// parameter out of range is an error, and k is left unchanged.
func (k *TOTPKey) UnmarshalBinary(b []byte) error {
	p, err := parseTOTPKey(b)
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// parseTOTPKey is UnmarshalBinary returning the key.
func parseTOTPKey(b []byte) (TOTPKey, error) {
	k, err := parseKey(b)
	if err != nil {
		return TOTPKey{}, err
	}
	alg, _ := algorithmOf(b[1])
	return TOTPKey{Algorithm: alg, Digits: k.digits, Period: time.Duration(k.period) * time.Second, Secret: bytes.Clone(k.secret)}, nil
}

// key is a parsed TOTPKey that aliases the bytes it was parsed from.
type key struct {
	hash   func() hash.Hash
	digits int
	period int64 // seconds
	secret []byte
}

var errKeyFormat = errors.New("otp: malformed TOTP key")

func parseKey(b []byte) (key, error) {
	if len(b) < keyHeaderLen+minTOTPSecretSize || len(b) > maxKeyLen || b[0] != keyVersion {
		return key{}, errKeyFormat
	}
	_, h := algorithmOf(b[1])
	d, p := int(b[2]), int64(b[3])
	if h == nil || (d != 6 && d != 8) || p < int64(minTOTPPeriod/time.Second) || p > int64(maxTOTPPeriod/time.Second) {
		return key{}, errKeyFormat
	}
	return key{hash: h, digits: d, period: p, secret: b[keyHeaderLen:]}, nil
}

// Code returns the code of k at time t (RFC 6238 §4), for tests, examples
// and tools; the engine never needs it.
func (k TOTPKey) Code(t time.Time) (string, error) {
	if err := k.check(); err != nil {
		return "", err
	}
	step := floorDiv(t.Unix(), int64(k.Period/time.Second))
	if step < 0 {
		return "", fmt.Errorf("otp: time %v is before the Unix epoch", t)
	}
	_, h := algorithmOf(k.Algorithm.id())
	var out [8]byte
	hotp(hmac.New(h, k.Secret), uint64(step), k.Digits, &out)
	return string(out[:k.Digits]), nil
}

// URI returns k as a Google Key URI (the format authenticator apps scan):
//
//	otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=…&digits=…&period=…
//
// issuer and account are percent-encoded (RFC 3986: everything but
// letters, digits, "-._~" and "@"; a space is %20, never "+"). A ':' in
// account, which the format forbids because apps split the label at the
// first (even percent-encoded) colon, and control characters become '_';
// invalid UTF-8 becomes U+FFFD. The label is for display only: the secret
// parameter cannot be altered through it. k must be valid.
func (k TOTPKey) URI(issuer, account string) string {
	return k.uri(issuer, account, b32.EncodeToString(k.Secret))
}

// uri is URI with the secret's base32 form already made (Start hands it
// out twice).
func (k TOTPKey) uri(issuer, account, secret string) string {
	var b strings.Builder
	b.Grow(64 + len(issuer)*3 + len(account)*3 + len(secret))
	b.WriteString("otpauth://totp/")
	keyuri.WriteLabel(&b, issuer, account)
	b.WriteString("?secret=")
	b.WriteString(secret)
	b.WriteString("&issuer=")
	keyuri.Escape(&b, issuer)
	b.WriteString("&algorithm=")
	b.WriteString(string(k.Algorithm))
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(k.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.FormatInt(int64(k.Period/time.Second), 10))
	return b.String()
}
