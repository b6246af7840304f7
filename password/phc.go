package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/bits"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// parsedHash is a stored hash, parsed and checked against Limits, ready to
// compute. Nothing is computed while parsing.
type parsedHash struct {
	alg     string // bcrypt, argon2id, argon2i, pbkdf2-sha256, pbkdf2-sha512, scrypt
	encoded string // bcrypt: the whole hash
	cost    int    // bcrypt
	m, t    uint32 // argon2
	p       uint8  // argon2
	iter    int    // pbkdf2
	newHash func() hash.Hash
	n, r    int // scrypt
	sp      int // scrypt p
	salt    []byte
	sum     []byte
}

// Bounds on the byte strings of a stored hash.
const (
	minSalt, maxSalt = 8, 256
	minSum, maxSum   = 16, 128
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedHash}, args...)...)
}

func tooCostly(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHashTooCostly}, args...)...)
}

// parseHash parses encoded, refusing anything malformed, unsupported or
// beyond lim. Errors name the format and the parameter, never the salt or
// digest.
func parseHash(encoded string, lim *Limits) (*parsedHash, error) {
	if len(encoded) > maxEncodedHash {
		return nil, malformed("hash of %d bytes exceeds %d", len(encoded), maxEncodedHash)
	}
	switch {
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return parseBcrypt(encoded, lim)
	case strings.HasPrefix(encoded, "$argon2id$"), strings.HasPrefix(encoded, "$argon2i$"):
		return parseArgon2(encoded, lim)
	case strings.HasPrefix(encoded, "$pbkdf2-sha256$"), strings.HasPrefix(encoded, "$pbkdf2-sha512$"):
		return parsePBKDF2PHC(encoded, lim)
	case strings.HasPrefix(encoded, "pbkdf2_sha256$"):
		return parsePBKDF2Django(encoded, lim)
	case strings.HasPrefix(encoded, "$scrypt$"):
		return parseScryptPHC(encoded, lim)
	case strings.HasPrefix(encoded, "scrypt$"):
		return parseScryptDjango(encoded, lim)
	}
	if i := strings.IndexByte(encoded[min(1, len(encoded)):], '$'); i > 0 && encoded[0] == '$' {
		return nil, malformed("unsupported hash scheme %q", encoded[1:1+i])
	}
	return nil, malformed("unrecognised hash format")
}

// parseBcrypt checks a 60-byte modular-crypt bcrypt hash.
func parseBcrypt(encoded string, lim *Limits) (*parsedHash, error) {
	if len(encoded) != 60 || encoded[3] != '$' || encoded[6] != '$' {
		return nil, malformed("bcrypt hash must be 60 bytes $2x$NN$…")
	}
	for _, c := range []byte(encoded[7:]) {
		if !strings.ContainsRune("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", rune(c)) {
			return nil, malformed("bcrypt hash has a byte outside its base64 alphabet")
		}
	}
	cost, ok := parseDecimal(encoded[4:6], 2)
	if !ok {
		return nil, malformed("bcrypt cost is not two digits")
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, malformed("bcrypt cost %d out of range [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cost > lim.BcryptCost {
		return nil, tooCostly("bcrypt cost %d exceeds %d", cost, lim.BcryptCost)
	}
	return &parsedHash{alg: "bcrypt", encoded: encoded, cost: cost}, nil
}

// parseArgon2 parses "$argon2id$v=19$m=M,t=T,p=P$salt$tag" (or argon2i).
// Only version 19 (0x13) is supported: x/crypto/argon2 implements no
// other, and a hash without "v=" is version 16.
func parseArgon2(encoded string, lim *Limits) (*parsedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, malformed("argon2 hash must have 5 $-separated fields")
	}
	ph := &parsedHash{alg: parts[1]}
	if parts[2] != "v=19" {
		return nil, malformed("argon2 version %q unsupported (want v=19)", parts[2])
	}
	kv, err := params(parts[3], "m", "t", "p")
	if err != nil {
		return nil, malformed("argon2 parameters: %v", err)
	}
	m, t, p := kv[0], kv[1], kv[2]
	if t < 1 || p < 1 || p > 255 || m < 8*p || uint64(m) > math.MaxUint32 || uint64(t) > math.MaxUint32 {
		return nil, malformed("argon2 parameters m=%d,t=%d,p=%d out of the algorithm's range", m, t, p)
	}
	if m > int(lim.MemoryKiB) {
		return nil, tooCostly("argon2 memory %d KiB exceeds %d", m, lim.MemoryKiB)
	}
	if t > int(lim.Time) {
		return nil, tooCostly("argon2 passes %d exceed %d", t, lim.Time)
	}
	if p > int(lim.Threads) {
		return nil, tooCostly("argon2 lanes %d exceed %d", p, lim.Threads)
	}
	ph.m, ph.t, ph.p = uint32(m), uint32(t), uint8(p)
	if ph.salt, ph.sum, err = saltAndSum(parts[4], parts[5], phcB64); err != nil {
		return nil, malformed("argon2: %v", err)
	}
	return ph, nil
}

// parsePBKDF2PHC parses "$pbkdf2-sha256$i=N$salt$hash" (PHC, as
// @phc/pbkdf2 writes it) and "$pbkdf2-sha256$N$salt$hash" (passlib).
func parsePBKDF2PHC(encoded string, lim *Limits) (*parsedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, malformed("pbkdf2 hash must have 4 $-separated fields")
	}
	rounds := strings.TrimPrefix(parts[2], "i=")
	iter, ok := parseDecimal(rounds, 10)
	if !ok {
		return nil, malformed("pbkdf2 iterations %q are not a decimal number", parts[2])
	}
	salt, sum, err := saltAndSum(parts[3], parts[4], phcB64)
	if err != nil {
		return nil, malformed("pbkdf2: %v", err)
	}
	return pbkdf2Hash(parts[1], iter, salt, sum, lim)
}

// parsePBKDF2Django parses Django's "pbkdf2_sha256$N$salt$hash": the salt
// is used as its bytes, the hash is padded standard base64.
func parsePBKDF2Django(encoded string, lim *Limits) (*parsedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 {
		return nil, malformed("django pbkdf2 hash must have 4 $-separated fields")
	}
	iter, ok := parseDecimal(parts[1], 10)
	if !ok {
		return nil, malformed("django pbkdf2 iterations are not a decimal number")
	}
	salt, err := djangoSalt(parts[2])
	if err != nil {
		return nil, err
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(parts[3])
	if err != nil {
		return nil, malformed("django pbkdf2 hash is not base64")
	}
	return pbkdf2Hash("pbkdf2-sha256", iter, salt, sum, lim)
}

func pbkdf2Hash(alg string, iter int, salt, sum []byte, lim *Limits) (*parsedHash, error) {
	ph := &parsedHash{alg: alg, iter: iter, salt: salt, sum: sum}
	size := sha256.Size
	ph.newHash = sha256.New
	if alg == "pbkdf2-sha512" {
		size, ph.newHash = sha512.Size, sha512.New
	}
	if iter < 1 {
		return nil, malformed("pbkdf2 iterations must be at least 1")
	}
	if len(sum) < minSum || len(sum) > maxSum {
		return nil, malformed("pbkdf2 hash of %d bytes out of range [%d, %d]", len(sum), minSum, maxSum)
	}
	if len(salt) < minSalt || len(salt) > maxSalt {
		return nil, malformed("pbkdf2 salt of %d bytes out of range [%d, %d]", len(salt), minSalt, maxSalt)
	}
	// Each block of output costs all the iterations again.
	blocks := (len(sum) + size - 1) / size
	if iter > lim.PBKDF2Iterations/blocks {
		return nil, tooCostly("pbkdf2 iterations %d × %d blocks exceed %d", iter, blocks, lim.PBKDF2Iterations)
	}
	return ph, nil
}

// parseScryptPHC parses passlib's "$scrypt$ln=L,r=R,p=P$salt$hash", N = 2^L.
func parseScryptPHC(encoded string, lim *Limits) (*parsedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, malformed("scrypt hash must have 4 $-separated fields")
	}
	kv, err := params(parts[2], "ln", "r", "p")
	if err != nil {
		return nil, malformed("scrypt parameters: %v", err)
	}
	if kv[0] < 1 || kv[0] > 62 {
		return nil, malformed("scrypt ln %d out of range [1, 62]", kv[0])
	}
	salt, sum, err := saltAndSum(parts[3], parts[4], phcB64)
	if err != nil {
		return nil, malformed("scrypt: %v", err)
	}
	return scryptHash(1<<kv[0], kv[1], kv[2], salt, sum, lim)
}

// parseScryptDjango parses Django's "scrypt$salt$N$r$p$hash".
func parseScryptDjango(encoded string, lim *Limits) (*parsedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		return nil, malformed("django scrypt hash must have 6 $-separated fields")
	}
	salt, err := djangoSalt(parts[1])
	if err != nil {
		return nil, err
	}
	var nrp [3]int
	for i, s := range parts[2:5] {
		v, ok := parseDecimal(s, 19)
		if !ok {
			return nil, malformed("django scrypt parameter %d is not a decimal number", i+1)
		}
		nrp[i] = v
	}
	sum, err := base64.StdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return nil, malformed("django scrypt hash is not base64")
	}
	return scryptHash(nrp[0], nrp[1], nrp[2], salt, sum, lim)
}

func scryptHash(n, r, p int, salt, sum []byte, lim *Limits) (*parsedHash, error) {
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || r > 1<<20 || p > 1<<20 || uint64(r)*uint64(p) >= 1<<30 {
		return nil, malformed("scrypt parameters N=%d,r=%d,p=%d out of the algorithm's range", n, r, p)
	}
	if len(sum) < minSum || len(sum) > maxSum {
		return nil, malformed("scrypt hash of %d bytes out of range [%d, %d]", len(sum), minSum, maxSum)
	}
	if len(salt) < minSalt || len(salt) > maxSalt {
		return nil, malformed("scrypt salt of %d bytes out of range [%d, %d]", len(salt), minSalt, maxSalt)
	}
	// Memory is 128·N·r bytes; work is that times p. Both in KiB, with
	// overflow checks (N ≤ 2^62 and r < 2^20).
	hi, memBytes := bits.Mul64(uint64(n), 128*uint64(r))
	if hi != 0 || memBytes/1024 > uint64(lim.MemoryKiB) {
		return nil, tooCostly("scrypt memory 128·N·r exceeds %d KiB", lim.MemoryKiB)
	}
	if p > int(lim.Threads) {
		return nil, tooCostly("scrypt p %d exceeds %d", p, lim.Threads)
	}
	if memBytes/1024*uint64(p) > uint64(lim.MemoryKiB)*uint64(lim.Time) {
		return nil, tooCostly("scrypt work 128·N·r·p exceeds %d KiB × %d", lim.MemoryKiB, lim.Time)
	}
	return &parsedHash{alg: "scrypt", n: n, r: r, sp: p, salt: salt, sum: sum}, nil
}

// djangoSalt checks a Django salt, which is used as its bytes.
func djangoSalt(s string) ([]byte, error) {
	if len(s) < minSalt || len(s) > maxSalt {
		return nil, malformed("django salt of %d bytes out of range [%d, %d]", len(s), minSalt, maxSalt)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return nil, malformed("django salt has a byte outside printable ASCII")
		}
	}
	return []byte(s), nil
}

// phcB64 decodes the unpadded base64 of PHC strings, in the standard
// alphabet or passlib's, which writes '.' for '+'.
func phcB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.Strict().DecodeString(strings.ReplaceAll(s, ".", "+"))
}

func saltAndSum(salt, sum string, dec func(string) ([]byte, error)) ([]byte, []byte, error) {
	s, err := dec(salt)
	if err != nil {
		return nil, nil, errors.New("salt is not base64")
	}
	d, err := dec(sum)
	if err != nil {
		return nil, nil, errors.New("hash is not base64")
	}
	if len(s) < minSalt || len(s) > maxSalt {
		return nil, nil, fmt.Errorf("salt of %d bytes out of range [%d, %d]", len(s), minSalt, maxSalt)
	}
	if len(d) < minSum || len(d) > maxSum {
		return nil, nil, fmt.Errorf("hash of %d bytes out of range [%d, %d]", len(d), minSum, maxSum)
	}
	return s, d, nil
}

// params parses "k1=v1,k2=v2,…" with exactly the keys given, in order,
// and decimal values.
func params(s string, keys ...string) ([]int, error) {
	fields := strings.Split(s, ",")
	if len(fields) != len(keys) {
		return nil, fmt.Errorf("want %s", strings.Join(keys, ","))
	}
	out := make([]int, len(keys))
	for i, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != keys[i] {
			return nil, fmt.Errorf("want %s", strings.Join(keys, ","))
		}
		n, ok := parseDecimal(v, 10)
		if !ok {
			return nil, fmt.Errorf("%s is not a decimal number", k)
		}
		out[i] = n
	}
	return out, nil
}

// parseDecimal parses 1 to maxDigits ASCII digits, without sign or space.
func parseDecimal(s string, maxDigits int) (int, bool) {
	if len(s) == 0 || len(s) > maxDigits || maxDigits > 19 {
		return 0, false
	}
	n := uint64(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<62 {
		return 0, false
	}
	return int(n), true
}

// compare computes the hash of pw with ph's parameters and compares it
// with the stored digest in constant time.
func (ph *parsedHash) compare(pw []byte) error {
	var got []byte
	switch ph.alg {
	case "bcrypt":
		err := bcrypt.CompareHashAndPassword([]byte(ph.encoded), pw)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return ErrMismatch
		default:
			return malformed("bcrypt: %v", err)
		}
	case "argon2id":
		got = argon2.IDKey(pw, ph.salt, ph.t, ph.m, ph.p, uint32(len(ph.sum)))
	case "argon2i":
		got = argon2.Key(pw, ph.salt, ph.t, ph.m, ph.p, uint32(len(ph.sum)))
	case "pbkdf2-sha256", "pbkdf2-sha512":
		var err error
		if got, err = pbkdf2.Key(ph.newHash, string(pw), ph.salt, ph.iter, len(ph.sum)); err != nil {
			return malformed("pbkdf2: %v", err)
		}
	case "scrypt":
		var err error
		if got, err = scrypt.Key(pw, ph.salt, ph.n, ph.r, ph.sp, len(ph.sum)); err != nil {
			return malformed("scrypt: %v", err)
		}
	default:
		return malformed("unsupported algorithm %q", ph.alg)
	}
	if !ctEqual(got, ph.sum) {
		return ErrMismatch
	}
	return nil
}
