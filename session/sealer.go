package session

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of Config and Key.
const (
	// minPasswordLen is iron's minPasswordlength: a Key.Password has at
	// least this many characters.
	minPasswordLen = 32
	// minDistinct is the fewest distinct bytes a password may have: a
	// tripwire for placeholders such as 32 × "x" or a repeated word, not an
	// entropy estimate.
	minDistinct = 8

	DefaultMaxTokenLen = 4096
	minMaxTokenLen     = 256 // a one-block, id-less, no-expiry token is 228 bytes
	maxMaxTokenLen     = 64 << 10

	DefaultSkew = 60 * time.Second // iron timestampSkewSec
	maxSkew     = 60 * time.Second
	minSkew     = time.Millisecond
)

// The Fe26.2 format with @hapi/iron 7.0.1 defaults (see the package doc).
const (
	ironPrefix   = "Fe26.2"
	numParts     = 8
	saltBytes    = 32       // iron saltBits 256; the salt is the hex string of these bytes
	keyBytes     = 32       // AES-256 and HMAC-SHA256 keys (iron keyBits 256)
	maxExpDigits = 16       // 9999999999999999 ms fits int64 and is year ~318857
	maxExp       = 1e16 - 1 // largest expiration of maxExpDigits digits
)

// b64 is iron's base64url: URL alphabet, no padding, canonical.
var b64 = base64.RawURLEncoding.Strict()

// keyID is iron's password id pattern (JavaScript's \w without the u flag
// is ASCII, as Go's is).
var keyID = regexp.MustCompile(`^\w+$`)

// Key is one sealing password and the id that names it in tokens.
type Key struct {
	// ID names the key in the token's pwdId component so Open can pick it.
	// It matches iron's ^\w+$ (ASCII letters, digits, underscore). An empty
	// ID is iron's id-less form: tokens with an empty pwdId; such a token is
	// also opened by a key with ID "default", as iron does.
	ID string
	// Password is the secret both keys of a token are derived from. It must
	// be a random secret of at least 32 characters, best 32 random bytes
	// encoded (for example 43 base64url characters): iron's PBKDF2-SHA1
	// with one iteration does no key stretching, so a guessable password is
	// an offline-guessable key. NewSealer refuses fewer than 32 characters,
	// invalid UTF-8 and passwords of fewer than 8 distinct characters.
	Password string
}

// Config configures a Sealer. It is validated once by NewSealer and not
// used afterwards.
type Config struct {
	// Keys are the passwords, current first: the first key seals, every key
	// opens tokens carrying its id. Required; ids are unique. Rotate by
	// first adding the new key last on every process, then moving it first,
	// then removing the old key once the tokens it sealed have expired.
	Keys []Key
	// Now is the clock for expirations; nil means time.Now. Give the
	// verify.Service the same clock.
	Now func() time.Time
	// MaxTokenLen bounds the length of a token in bytes. Open refuses a
	// longer token before any decoding or key derivation; Seal refuses to
	// produce one. Default 4096; range [256, 65536].
	MaxTokenLen int
	// Skew is the clock skew Open allows past a token's expiration: a token
	// is expired once now ≥ expiration + Skew. Default 60s (iron's
	// timestampSkewSec); range [1ms, 60s], whole milliseconds.
	Skew time.Duration
}

// Sealer seals payloads into iron Fe26.2 tokens and opens them. It is safe
// for concurrent use.
type Sealer struct {
	keys   []Key // keys[0] seals
	now    func() time.Time
	maxLen int
	skew   time.Duration

	// Test seams, nil in production: rand replaces crypto/rand for the
	// salts and IV (known-answer tests); derived sees the salt of every key
	// derivation, so tests can prove which checks come before any PBKDF2
	// work and that no decryption key is derived before the MAC matches.
	rand    io.Reader
	derived func(salt string)
}

// NewSealer validates cfg and returns a Sealer.
func NewSealer(cfg Config) (*Sealer, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("session: Config.Keys is empty")
	}
	s := &Sealer{now: cfg.Now, maxLen: cfg.MaxTokenLen, skew: cfg.Skew}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxLen == 0 {
		s.maxLen = DefaultMaxTokenLen
	}
	if s.maxLen < minMaxTokenLen || s.maxLen > maxMaxTokenLen {
		return nil, fmt.Errorf("session: MaxTokenLen %d out of range [%d, %d]", s.maxLen, minMaxTokenLen, maxMaxTokenLen)
	}
	if s.skew == 0 {
		s.skew = DefaultSkew
	}
	if s.skew < minSkew || s.skew > maxSkew || s.skew%time.Millisecond != 0 {
		return nil, fmt.Errorf("session: Skew %v out of range [%v, %v] or not whole milliseconds", cfg.Skew, minSkew, maxSkew)
	}
	seen := make(map[string]bool, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if k.ID != "" && !keyID.MatchString(k.ID) {
			return nil, fmt.Errorf("session: Keys[%d].ID %q does not match ^\\w+$", i, k.ID)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("session: Keys[%d].ID %q is a duplicate", i, k.ID)
		}
		seen[k.ID] = true
		if err := checkPassword(k.Password); err != nil {
			return nil, fmt.Errorf("session: Keys[%d] (id %q): %w", i, k.ID, err)
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// checkPassword refuses passwords iron would refuse (shorter than 32
// characters) and obvious placeholders. Its errors never quote the password.
func checkPassword(p string) error {
	if !utf8.ValidString(p) {
		return errors.New("password is not valid UTF-8")
	}
	// Runes never outnumber JavaScript's UTF-16 length, so iron accepts
	// every password accepted here.
	if n := utf8.RuneCountInString(p); n < minPasswordLen {
		return fmt.Errorf("password has %d characters, fewer than %d; use 32 random bytes, encoded", n, minPasswordLen)
	}
	var seen [256]bool
	distinct := 0
	for i := 0; i < len(p); i++ {
		if !seen[p[i]] {
			seen[p[i]] = true
			distinct++
		}
	}
	if distinct < minDistinct {
		return fmt.Errorf("password has %d distinct characters, fewer than %d: not a random secret", distinct, minDistinct)
	}
	return nil
}

// Seal seals payload with the first key into an Fe26.2 token that expires
// ttl from now. The payload is sealed as it is: Seal neither checks nor
// changes it (iron seals JSON; a payload that is not JSON opens here but
// fails iron's unseal). A ttl of 0 makes iron's no-expiry form (an empty
// expiration component); a negative ttl, or one below a millisecond, is an
// error. Each token has fresh random salts and IV. A token longer than
// MaxTokenLen is an error.
func (s *Sealer) Seal(payload []byte, ttl time.Duration) (string, error) {
	exp, err := s.expiration(ttl)
	if err != nil {
		return "", err
	}
	r := s.rand
	if r == nil {
		r = rand.Reader
	}
	random := make([]byte, 2*saltBytes+aes.BlockSize)
	if _, err := io.ReadFull(r, random); err != nil {
		return "", fmt.Errorf("session: read random: %w", err)
	}
	// iron draws them in this order: encryption salt, IV, integrity salt;
	// a salt is the hex string of its random bytes.
	encSalt := hex.EncodeToString(random[:saltBytes])
	iv := random[saltBytes : saltBytes+aes.BlockSize]
	macSalt := hex.EncodeToString(random[saltBytes+aes.BlockSize:])

	key := &s.keys[0]
	block, err := s.blockCipher(key.Password, []byte(encSalt))
	if err != nil {
		return "", fmt.Errorf("session: derive key: %w", err)
	}
	ct := pad(payload)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)

	expStr := ""
	if exp > 0 {
		expStr = strconv.FormatInt(exp, 10)
	}
	macBase := strings.Join([]string{ironPrefix, key.ID, encSalt, b64.EncodeToString(iv), b64.EncodeToString(ct), expStr}, "*")
	mac, err := s.mac(key.Password, []byte(macSalt), []byte(macBase))
	if err != nil {
		return "", fmt.Errorf("session: derive key: %w", err)
	}
	token := macBase + "*" + macSalt + "*" + b64.EncodeToString(mac)
	if len(token) > s.maxLen {
		return "", fmt.Errorf("session: sealed token would be %d bytes, more than MaxTokenLen %d", len(token), s.maxLen)
	}
	return token, nil
}

// expiration is the expiration component of a token sealed now with ttl,
// in Unix milliseconds, 0 for none.
func (s *Sealer) expiration(ttl time.Duration) (int64, error) {
	switch {
	case ttl < 0:
		return 0, fmt.Errorf("session: negative ttl %v", ttl)
	case ttl > 0 && ttl < time.Millisecond:
		return 0, fmt.Errorf("session: ttl %v below 1ms would seal without expiry", ttl)
	case ttl > 0:
		now, ms := s.now().UnixMilli(), ttl.Milliseconds()
		if now <= 0 || now > maxExp-ms {
			return 0, fmt.Errorf("session: expiration of now %d ms + ttl %v outside [1, %d] ms", now, ttl, int64(maxExp))
		}
		return now + ms, nil
	}
	return 0, nil
}

// Open checks token and returns the payload it was sealed with. Every
// failure matches ErrInvalid, and an expired token (expiration + Skew ≤
// now) also ErrExpired, and its error has a method Expired() bool that
// returns true; a token without expiration is accepted (the caller enforces
// its own lifetime, as verify.Service does).
//
// The checks follow iron's unseal, stricter where iron is lenient: length
// cap, 8 components, prefix, expiration, password id, then the syntax of
// salts, iv, mac and ciphertext, all before any key derivation; then the
// HMAC, compared with hmac.Equal; only then decryption and the padding.
// The payload is not interpreted: the caller decodes it.
func (s *Sealer) Open(token string) ([]byte, error) {
	if len(token) > s.maxLen {
		return nil, errTooLong
	}
	// One copy of the token: the components, the salts and the MAC base are
	// slices of it.
	raw := []byte(token)
	parts := bytes.SplitN(raw, []byte("*"), numParts+1)
	if len(parts) != numParts {
		return nil, errParts
	}
	prefix, id, encSalt, ivB64, ctB64, expStr, macSalt, macB64 :=
		parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7]
	if string(prefix) != ironPrefix {
		return nil, errPrefix
	}
	if len(expStr) > 0 {
		exp, ok := parseExp(string(expStr))
		if !ok {
			return nil, errExpSyntax
		}
		if exp <= s.now().UnixMilli()-s.skew.Milliseconds() {
			return nil, errExpired
		}
	}
	key := s.lookup(string(id))
	if key == nil {
		return nil, errUnknownKey
	}
	// Salts are attacker-chosen PBKDF2 inputs: checked before any
	// derivation (AS-16), like every other component (AS-08).
	if !isSalt(encSalt) || !isSalt(macSalt) {
		return nil, errSalt
	}
	iv, ok := decodeB64(ivB64)
	if !ok || len(iv) != aes.BlockSize {
		return nil, errIV
	}
	got, ok := decodeB64(macB64)
	if !ok || len(got) != sha256.Size {
		return nil, errMACSyntax
	}
	ct, ok := decodeB64(ctB64)
	if !ok || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errCiphertext
	}

	// Integrity first (encrypt-then-MAC): nothing is decrypted unless the
	// HMAC over the first six components matches (AS-05, AS-06).
	macBase := raw[:len(raw)-len(macSalt)-len(macB64)-2]
	want, err := s.mac(key.Password, macSalt, macBase)
	if err != nil {
		return nil, errDerive
	}
	if !hmac.Equal(want, got) {
		return nil, errMAC
	}
	block, err := s.blockCipher(key.Password, encSalt)
	if err != nil {
		return nil, errDerive
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
	return unpad(ct)
}

// lookup finds the key for a token's pwdId: the key with that id, and for
// an empty pwdId the key with an empty id or else "default" (iron looks up
// password[passwordId || 'default']).
func (s *Sealer) lookup(id string) *Key {
	for i := range s.keys {
		if s.keys[i].ID == id {
			return &s.keys[i]
		}
	}
	if id == "" {
		for i := range s.keys {
			if s.keys[i].ID == "default" {
				return &s.keys[i]
			}
		}
	}
	return nil
}

// deriveKey is iron's key derivation: PBKDF2-HMAC-SHA1 of password with
// the salt's hex string itself as salt, one iteration, 32 bytes.
func (s *Sealer) deriveKey(password string, salt []byte) ([]byte, error) {
	if s.derived != nil {
		s.derived(string(salt))
	}
	return pbkdf2.Key(sha1.New, password, salt, 1, keyBytes)
}

// blockCipher returns AES-256 keyed with the encryption key of salt.
func (s *Sealer) blockCipher(password string, salt []byte) (cipher.Block, error) {
	k, err := s.deriveKey(password, salt)
	if err != nil {
		return nil, err
	}
	return aes.NewCipher(k)
}

// mac returns HMAC-SHA256 of macBase keyed with the integrity key of salt.
func (s *Sealer) mac(password string, salt, macBase []byte) ([]byte, error) {
	k, err := s.deriveKey(password, salt)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, k)
	h.Write(macBase)
	return h.Sum(nil), nil
}

// pad returns a copy of b with PKCS#7 padding, as Node's createCipheriv
// adds it: 1 to 16 bytes, to a whole number of blocks.
func pad(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	padded := bytes.Repeat([]byte{byte(n)}, len(b)+n)
	copy(padded, b)
	return padded
}

// unpad removes and checks PKCS#7 padding (AS-07). Open calls it only after
// the MAC has passed, so its error is no padding oracle (AS-05).
func unpad(b []byte) ([]byte, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errPadding
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errPadding
		}
	}
	return b[:len(b)-n], nil
}

// decodeB64 decodes strict base64url. encoding/base64 skips '\r' and '\n'
// even when strict; iron's decoder refuses them, and so does this.
func decodeB64(s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '\r') >= 0 || bytes.IndexByte(s, '\n') >= 0 {
		return nil, false
	}
	b, err := b64.AppendDecode(nil, s)
	return b, err == nil
}

// isSalt reports whether s is a salt iron 7.0.1 can have produced: the
// lowercase hex of 32 bytes.
func isSalt(s []byte) bool {
	return len(s) == 2*saltBytes && len(bytes.Trim(s, "0123456789abcdef")) == 0
}

// parseExp parses a non-empty expiration: 1 to 16 ASCII digits (iron's
// /^\d+$/, bounded so it never overflows). "+1", "-1", "1e3" and 25 digits
// are refused.
func parseExp(s string) (int64, bool) {
	if len(s) > maxExpDigits || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
