package session

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of Config and Key.
const (
	// MinPasswordLen is iron's minPasswordlength: a Key.Password has at
	// least this many characters.
	MinPasswordLen = 32
	// minDistinct is the fewest distinct bytes a password may have: a
	// tripwire for placeholders such as 32 × "x" or a repeated word, not an
	// entropy estimate.
	minDistinct = 8

	DefaultMaxTokenLen = 4096
	MinMaxTokenLen     = 256 // a one-block, id-less, no-expiry token is 228 bytes
	MaxMaxTokenLen     = 64 << 10

	DefaultSkew = 60 * time.Second // iron timestampSkewSec
	MaxSkew     = 60 * time.Second
	MinSkew     = time.Millisecond
)

// Key is one sealing password and the id that names it in tokens.
type Key struct {
	// ID names the key in the token's pwdId component so Unseal can pick
	// it. It matches iron's ^\w+$ (ASCII letters, digits, underscore). An
	// empty ID is iron's id-less form: tokens with an empty pwdId; such a
	// token is also opened by a key with ID "default", as iron does.
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
	// unseals tokens carrying its id. Required; ids are unique. Rotate by
	// first adding the new key last on every process, then moving it first,
	// then removing the old key once the tokens it sealed have expired.
	Keys []Key
	// Now is the clock for expirations; nil means time.Now. Give the
	// verify.Service the same clock.
	Now func() time.Time
	// MaxTokenLen bounds the length of a token in bytes. Unseal refuses a
	// longer token before any decoding or key derivation; Seal refuses to
	// produce one. Default 4096; range [256, 65536].
	MaxTokenLen int
	// Skew is the clock skew Unseal allows past a token's expiration: a
	// token is expired once now ≥ expiration + Skew. Default 60s (iron's
	// timestampSkewSec); range [1ms, 60s], whole milliseconds.
	Skew time.Duration
}

// Sealer seals values into iron Fe26.2 tokens and opens them. It is safe for
// concurrent use.
type Sealer struct {
	keys   []sealKey // keys[0] seals
	now    func() time.Time
	maxLen int
	skewMs int64
	pool   sync.Pool // *scratch

	// Test seams, nil in production: rand replaces crypto/rand for the
	// salts and IV (known-answer tests); trace observes the expensive steps
	// ("pbkdf2", "decrypt") so tests can prove what is not reached.
	rand  io.Reader
	trace func(step string)
}

type sealKey struct {
	id  string
	prf prfKey
}

// scratch is the per-call working memory, pooled per Sealer so a seal or
// unseal allocates little. Secrets in it are cleared before it is pooled.
type scratch struct {
	sha1           sha1State
	mid            []byte
	u, t           [sha1.Size]byte
	ctr            [4]byte
	encKey, macKey [keyBytes]byte
	mac            [sha256.Size]byte
	rnd            [randBytes]byte
	iv             [aes.BlockSize]byte
	macIn          [sha256.Size]byte
	sha256         hash.Hash              // for macSum
	pad            [sha256.BlockSize]byte // K ⊕ ipad, then K ⊕ opad
	inner          [sha256.Size]byte      // the inner hash of macSum
	tok            []byte                 // the token being built or parsed
	buf            []byte                 // plaintext or ciphertext
	json           bytes.Buffer
}

// NewSealer validates cfg and returns a Sealer.
func NewSealer(cfg Config) (*Sealer, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("session: Config.Keys is empty")
	}
	s := &Sealer{now: cfg.Now, maxLen: cfg.MaxTokenLen}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxLen == 0 {
		s.maxLen = DefaultMaxTokenLen
	}
	if s.maxLen < MinMaxTokenLen || s.maxLen > MaxMaxTokenLen {
		return nil, fmt.Errorf("session: MaxTokenLen %d out of range [%d, %d]", s.maxLen, MinMaxTokenLen, MaxMaxTokenLen)
	}
	skew := cfg.Skew
	if skew == 0 {
		skew = DefaultSkew
	}
	if skew < MinSkew || skew > MaxSkew || skew%time.Millisecond != 0 {
		return nil, fmt.Errorf("session: Skew %v out of range [%v, %v] or not whole milliseconds", cfg.Skew, MinSkew, MaxSkew)
	}
	s.skewMs = skew.Milliseconds()
	seen := make(map[string]bool, len(cfg.Keys))
	for i, k := range cfg.Keys {
		if k.ID != "" && !isKeyID(k.ID) {
			return nil, fmt.Errorf("session: Keys[%d].ID %q does not match ^\\w+$", i, k.ID)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("session: Keys[%d].ID %q is a duplicate", i, k.ID)
		}
		seen[k.ID] = true
		if err := checkPassword(k.Password); err != nil {
			return nil, fmt.Errorf("session: Keys[%d] (id %q): %w", i, k.ID, err)
		}
		prf, err := newPRFKey([]byte(k.Password))
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, sealKey{id: k.ID, prf: prf})
	}
	s.pool.New = func() any { return newScratch() }
	return s, nil
}

// newScratch returns fresh working memory. crypto/sha1's state can be
// marshaled (newPRFKey checks it when a Sealer is made).
func newScratch() *scratch {
	h, _ := sha1.New().(sha1State)
	return &scratch{sha1: h, sha256: sha256.New(), mid: make([]byte, 0, sha1MarshaledSize)}
}

// checkPassword refuses passwords iron would refuse (shorter than 32
// characters) and obvious placeholders. Its errors never quote the password.
func checkPassword(p string) error {
	if !utf8.ValidString(p) {
		return errors.New("password is not valid UTF-8")
	}
	// Runes never outnumber JavaScript's UTF-16 length, so iron accepts
	// every password accepted here.
	if n := utf8.RuneCountInString(p); n < MinPasswordLen {
		return fmt.Errorf("password has %d characters, fewer than %d; use 32 random bytes, encoded", n, MinPasswordLen)
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

func (s *Sealer) get() *scratch { return s.pool.Get().(*scratch) }

// put clears the secrets in sc (derived keys, plaintext; tokens are not
// secret) and pools it unless it grew oversized.
func (s *Sealer) put(sc *scratch) {
	clear(sc.encKey[:])
	clear(sc.macKey[:])
	clear(sc.buf[:cap(sc.buf)])
	clear(sc.json.Bytes())
	sc.json.Reset()
	if cap(sc.tok) > 2*s.maxLen || sc.json.Cap() > 2*s.maxLen {
		return // an oversized payload; let the GC have it
	}
	s.pool.Put(sc)
}

func (s *Sealer) traceStep(step string) {
	if s.trace != nil {
		s.trace(step)
	}
}

// Seal encodes v as JSON (as JSON.stringify would: no HTML escaping) and
// seals it with the first key into an Fe26.2 token that expires ttl from now.
// A ttl of 0 makes iron's no-expiry form (an empty expiration component);
// a negative ttl, or one below a millisecond, is an error. Each token has
// fresh random salts and IV. A token longer than MaxTokenLen is an error.
func (s *Sealer) Seal(v any, ttl time.Duration) (string, error) {
	exp, err := s.expiration(ttl)
	if err != nil {
		return "", err
	}
	sc := s.get()
	defer s.put(sc)

	enc := json.NewEncoder(&sc.json)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("session: encode payload: %w", err)
	}
	pt := sc.json.Bytes()
	return s.seal(sc, pt[:len(pt)-1], exp) // without Encode's trailing newline
}

// SealPayload seals payload as it is: the token Seal makes of a value
// whose JSON is payload. It is for callers that encode their payload
// themselves (verify.Service writes its session object by hand, as
// verify.PayloadSealer, and holds that encoder to encoding/json by tests),
// and it trusts them: it does not check that payload is JSON, which would
// cost as much as the encoding it saves. A token sealed over anything else
// opens with UnsealPayload as those bytes, and fails Unseal and iron's
// unseal (JSON.parse); it is never another valid payload. SealPayload
// does not keep or change payload.
func (s *Sealer) SealPayload(payload []byte, ttl time.Duration) (string, error) {
	exp, err := s.expiration(ttl)
	if err != nil {
		return "", err
	}
	sc := s.get()
	defer s.put(sc)
	return s.seal(sc, payload, exp)
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

// seal seals the plaintext pt with the first key, expiring at exp (Unix
// milliseconds, 0 for none), using sc.
func (s *Sealer) seal(sc *scratch, pt []byte, exp int64) (string, error) {
	key := &s.keys[0]
	ctLen := paddedLen(len(pt))
	var expBuf [maxExpDigits]byte
	expStr := expBuf[:0]
	if exp > 0 {
		expStr = strconv.AppendInt(expStr, exp, 10)
	}
	n := len(ironPrefix) + len(key.id) + saltHexLen + ivB64Len +
		base64.RawURLEncoding.EncodedLen(ctLen) + len(expStr) + saltHexLen + macB64Len + numParts - 1
	if n > s.maxLen {
		return "", fmt.Errorf("session: sealed token would be %d bytes, more than MaxTokenLen %d", n, s.maxLen)
	}

	r := s.rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, sc.rnd[:]); err != nil {
		return "", fmt.Errorf("session: read random: %w", err)
	}
	encSalt, iv, macSalt := sc.rnd[:saltBytes], sc.rnd[saltBytes:saltBytes+aes.BlockSize], sc.rnd[saltBytes+aes.BlockSize:]

	tok := sc.tok[:0]
	if cap(tok) < n {
		tok = make([]byte, 0, n)
	}
	tok = append(tok, ironPrefix+"*"...)
	tok = append(tok, key.id...)
	tok = append(tok, '*')
	start := len(tok)
	tok = hex.AppendEncode(tok, encSalt)
	hexEncSalt := tok[start:]
	tok = append(tok, '*')
	tok = b64.AppendEncode(tok, iv)
	tok = append(tok, '*')

	s.traceStep("pbkdf2")
	if err := key.prf.pbkdf2(sc, hexEncSalt, &sc.encKey); err != nil {
		return "", fmt.Errorf("session: derive key: %w", err)
	}
	if cap(sc.buf) < ctLen {
		sc.buf = make([]byte, ctLen)
	}
	ct, err := encryptCBC(sc.buf[:ctLen], &sc.encKey, iv, pt)
	if err != nil {
		return "", fmt.Errorf("session: encrypt: %w", err)
	}
	tok = b64.AppendEncode(tok, ct)
	tok = append(tok, '*')
	tok = append(tok, expStr...)
	macBase := tok

	tok = append(tok, '*')
	start = len(tok)
	tok = hex.AppendEncode(tok, macSalt)
	s.traceStep("pbkdf2")
	if err := key.prf.pbkdf2(sc, tok[start:], &sc.macKey); err != nil {
		return "", fmt.Errorf("session: derive key: %w", err)
	}
	sc.macSum(&sc.macKey, macBase, &sc.mac)
	tok = append(tok, '*')
	tok = b64.AppendEncode(tok, sc.mac[:])
	sc.tok = tok
	return string(tok), nil
}

// Unseal opens token and decodes its JSON payload into v, which must be a
// non-nil pointer; *json.RawMessage receives the payload as is. On success
// *v is replaced wholly; on failure it is left untouched. Every failure
// matches ErrInvalid, and an expired token (expiration + Skew ≤ now) also
// ErrExpired; a token without expiration is accepted (the caller enforces
// its own lifetime, as verify.Service does).
//
// The checks follow iron's unseal, stricter where iron is lenient: length
// cap, 8 components, prefix, expiration, password id, then the syntax of
// salts, iv, ciphertext and mac, all before any key derivation; then the
// HMAC, compared in constant time; only then decryption, padding and JSON.
func (s *Sealer) Unseal(token string, v any) error {
	raw, isRaw := v.(*json.RawMessage)
	var target reflect.Value
	if isRaw {
		if raw == nil {
			return errTarget
		}
	} else {
		target = reflect.ValueOf(v)
		if target.Kind() != reflect.Pointer || target.IsNil() {
			return errTarget
		}
	}
	sc := s.get()
	defer s.put(sc)
	pt, err := s.open(sc, token)
	if err != nil {
		return err
	}
	if isRaw {
		if !json.Valid(pt) {
			return errPayload
		}
		*raw = append(json.RawMessage(nil), pt...)
		return nil
	}
	return decodeStrict(pt, target)
}

// UnsealPayload opens token with every check of Unseal but the JSON ones
// and returns its payload bytes as they are: valid UTF-8, not checked to
// be JSON. It is for callers that decode the payload strictly themselves,
// such as verify.Service (through verify.PayloadUnsealer), which would
// otherwise pay for a second JSON check. The bytes are the caller's. Its
// errors are Unseal's.
func (s *Sealer) UnsealPayload(token string) ([]byte, error) {
	sc := s.get()
	defer s.put(sc)
	pt, err := s.open(sc, token)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(pt), nil
}

// open runs Unseal's checks up to the UTF-8 check of the plaintext, which
// it returns in sc's memory. Its errors are *unsealError values.
func (s *Sealer) open(sc *scratch, token string) ([]byte, error) {
	if len(token) > s.maxLen {
		return nil, errTooLong
	}
	tok := append(sc.tok[:0], token...)
	sc.tok = tok

	var parts [numParts][]byte
	var ends [numParts]int // ends[i] is the offset just past part i
	n, from := 0, 0
	for i, c := range tok {
		if c != '*' {
			continue
		}
		if n == numParts-1 {
			return nil, errParts
		}
		parts[n], ends[n] = tok[from:i], i
		n++
		from = i + 1
	}
	if n != numParts-1 {
		return nil, errParts
	}
	parts[n] = tok[from:]
	prefix, id, encSalt, ivB64, ctB64, expStr, macSalt, macB64 :=
		parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7]

	if string(prefix) != ironPrefix {
		return nil, errPrefix
	}
	if len(expStr) > 0 {
		exp, ok := parseExp(expStr)
		if !ok {
			return nil, errExpSyntax
		}
		if exp <= s.now().UnixMilli()-s.skewMs {
			return nil, errExpired
		}
	}
	key := s.lookup(id)
	if key == nil {
		return nil, errUnknownKey
	}
	if !isSalt(encSalt) || !isSalt(macSalt) {
		return nil, errSalt
	}
	if len(ivB64) != ivB64Len || !isB64URL(ivB64) {
		return nil, errIV
	}
	if k, err := b64.Decode(sc.iv[:], ivB64); err != nil || k != aes.BlockSize {
		return nil, errIV
	}
	if len(macB64) != macB64Len || !isB64URL(macB64) {
		return nil, errMACSyntax
	}
	if k, err := b64.Decode(sc.macIn[:], macB64); err != nil || k != sha256.Size {
		return nil, errMACSyntax
	}
	if !isB64URL(ctB64) {
		return nil, errCiphertext
	}
	ctLen := b64.DecodedLen(len(ctB64))
	if cap(sc.buf) < 2*ctLen {
		sc.buf = make([]byte, 2*ctLen)
	}
	ct := sc.buf[:ctLen]
	k, err := b64.Decode(ct, ctB64)
	if err != nil || k == 0 || k%aes.BlockSize != 0 {
		return nil, errCiphertext
	}
	ct = ct[:k]

	// Integrity first (encrypt-then-MAC): nothing is decrypted unless the
	// HMAC over the first six components matches (AS-05, AS-06).
	s.traceStep("pbkdf2")
	if key.prf.pbkdf2(sc, macSalt, &sc.macKey) != nil {
		return nil, errInternal
	}
	sc.macSum(&sc.macKey, tok[:ends[5]], &sc.mac)
	if !hmac.Equal(sc.mac[:], sc.macIn[:]) {
		return nil, errMAC
	}

	s.traceStep("pbkdf2")
	if key.prf.pbkdf2(sc, encSalt, &sc.encKey) != nil {
		return nil, errInternal
	}
	s.traceStep("decrypt")
	pt, uerr := decryptCBC(sc.buf[ctLen:], &sc.encKey, sc.iv[:], ct)
	if uerr != nil {
		return nil, uerr
	}
	if !utf8.Valid(pt) {
		return nil, errPayload
	}
	return pt, nil
}

// decodeStrict decodes one JSON value from pt into a fresh value of
// target's element type, refusing unknown object fields and trailing data,
// and stores it in *target only on success.
func decodeStrict(pt []byte, target reflect.Value) error {
	fresh := reflect.New(target.Type().Elem())
	dec := json.NewDecoder(bytes.NewReader(pt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(fresh.Interface()); err != nil {
		return errPayload
	}
	if _, err := dec.Token(); err != io.EOF {
		return errPayload
	}
	target.Elem().Set(fresh.Elem())
	return nil
}

// lookup finds the key for a token's pwdId: the key with that id, and for
// an empty pwdId the key with an empty id or else "default" (iron looks up
// password[passwordId || 'default']).
func (s *Sealer) lookup(id []byte) *sealKey {
	for i := range s.keys {
		if s.keys[i].id == string(id) {
			return &s.keys[i]
		}
	}
	if len(id) == 0 {
		for i := range s.keys {
			if s.keys[i].id == "default" {
				return &s.keys[i]
			}
		}
	}
	return nil
}
