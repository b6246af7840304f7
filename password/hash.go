package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Algorithm is the algorithm a Hasher hashes new passwords with.
type Algorithm string

// Hash algorithms for new passwords. Hasher.Compare verifies more.
const (
	// Argon2id (RFC 9106), the default: memory-hard, no input limit.
	Argon2id Algorithm = "argon2id"
	// Bcrypt, for deployments that must stay with it: cost ≥ 10, and
	// passwords longer than 72 bytes are refused, never truncated.
	Bcrypt Algorithm = "bcrypt"
)

// Argon2Params are the argon2id parameters of new hashes. Salts are 16
// bytes from crypto/rand and tags 32 bytes.
type Argon2Params struct {
	// Memory in KiB. Default 19456 (19 MiB, OWASP Password Storage Cheat
	// Sheet); ASVS 5.0 Appendix C suggests 47104 (46 MiB) with Time 1.
	// At least 7168, and Memory × Time at least 35840 (the weakest entry of
	// OWASP's table, 7 MiB × 5); at most Limits.MemoryKiB.
	Memory uint32
	// Time is the number of passes. Default 2; range [1, Limits.Time].
	Time uint32
	// Threads is the number of lanes. Default 1; range [1, Limits.Threads].
	Threads uint8
}

// defaultArgon2 are the argon2id parameters of a zero HashConfig: m=19 MiB,
// t=2, p=1 (OWASP Password Storage Cheat Sheet).
var defaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	minArgon2Memory = 7 * 1024
	minArgon2Work   = 7 * 1024 * 5
	argon2SaltLen   = 16
	argon2KeyLen    = 32
	// defaultBcryptCost is the default bcrypt cost; minBcryptCost the
	// lowest accepted for new hashes (ASVS 5.0 Appendix C, checklist PW-12).
	defaultBcryptCost = 12
	minBcryptCost     = 10
	// bcryptMaxInput is the longest password bcrypt verifies whole.
	bcryptMaxInput = 72
	// maxHashInput is the longest normalised password, in bytes, a Hasher
	// hashes or compares: the spec's 256 code points grow at most 11-fold
	// in UTF-8 under NFKC (UAX #15), to 11264 bytes.
	maxHashInput = 16 << 10
	// maxEncodedHash bounds the encoded hashes this package parses.
	maxEncodedHash = 512
)

// Limits bound the parameters read from a stored hash, so that a planted
// or corrupted hash cannot make a comparison exhaust memory or CPU: a hash
// beyond them fails with ErrHashTooCostly before anything is computed.
// Zero fields take their defaults.
type Limits struct {
	// MemoryKiB bounds argon2's m and scrypt's 128·N·r bytes. Default
	// 131072 (128 MiB); range [7168, 4194304].
	MemoryKiB uint32
	// Time bounds argon2's passes t, and scrypt's work 128·N·r·p as
	// MemoryKiB × Time. Default 10; range [1, 1000].
	Time uint32
	// Threads bounds argon2's lanes p and scrypt's p. Default 16; range
	// [1, 255].
	Threads uint8
	// BcryptCost bounds bcrypt's cost (2^cost rounds). Default 16; range
	// [10, 31].
	BcryptCost int
	// PBKDF2Iterations bounds PBKDF2's iterations times its output blocks.
	// Default 5,000,000; range [1000, 100,000,000].
	PBKDF2Iterations int
}

// defaultLimits are the limits of a Hasher whose HashConfig.Limits is zero:
// 128 MiB, 10 passes, 16 lanes, bcrypt cost 16, 5,000,000 PBKDF2
// iterations.
var defaultLimits = Limits{MemoryKiB: 128 << 10, Time: 10, Threads: 16, BcryptCost: 16, PBKDF2Iterations: 5_000_000}

func (l Limits) withDefaults() (Limits, error) {
	d := defaultLimits
	if l.MemoryKiB == 0 {
		l.MemoryKiB = d.MemoryKiB
	}
	if l.Time == 0 {
		l.Time = d.Time
	}
	if l.Threads == 0 {
		l.Threads = d.Threads
	}
	if l.BcryptCost == 0 {
		l.BcryptCost = d.BcryptCost
	}
	if l.PBKDF2Iterations == 0 {
		l.PBKDF2Iterations = d.PBKDF2Iterations
	}
	switch {
	case l.MemoryKiB < minArgon2Memory || l.MemoryKiB > 4<<20:
		return l, fmt.Errorf("password: Limits.MemoryKiB %d out of range [%d, %d]", l.MemoryKiB, minArgon2Memory, 4<<20)
	case l.Time > 1000:
		return l, fmt.Errorf("password: Limits.Time %d out of range [1, 1000]", l.Time)
	case l.BcryptCost < minBcryptCost || l.BcryptCost > bcrypt.MaxCost:
		return l, fmt.Errorf("password: Limits.BcryptCost %d out of range [%d, %d]", l.BcryptCost, minBcryptCost, bcrypt.MaxCost)
	case l.PBKDF2Iterations < 1000 || l.PBKDF2Iterations > 100_000_000:
		return l, fmt.Errorf("password: Limits.PBKDF2Iterations %d out of range [1000, 100000000]", l.PBKDF2Iterations)
	}
	return l, nil
}

// HashConfig configures a Hasher. The zero value is argon2id at m=19 MiB,
// t=2, p=1 (OWASP Password Storage Cheat Sheet), with the default Limits.
type HashConfig struct {
	// Algorithm of new hashes. Default Argon2id.
	Algorithm Algorithm
	// Argon2 parameters when Algorithm is Argon2id; zero fields take their
	// defaults (m=19 MiB, t=2, p=1).
	Argon2 Argon2Params
	// BcryptCost when Algorithm is Bcrypt. Default 12; range
	// [10, Limits.BcryptCost].
	BcryptCost int
	// MaxConcurrent caps the hash computations (hashing and comparing, of
	// every algorithm) running at once; further calls wait, or fail with
	// their context. It bounds the memory argon2 takes to MaxConcurrent ×
	// the largest m admitted (checklist PW-13). Default GOMAXPROCS; range
	// [1, 4096].
	MaxConcurrent int
	// Limits bound the parameters of stored hashes compared.
	Limits Limits
}

// Hasher hashes new passwords and compares passwords with stored hashes,
// at most MaxConcurrent at a time. It is safe for concurrent use; share
// one between enrollment (Engine) and sign-in so they share the cap.
type Hasher struct {
	alg    Algorithm
	argon  Argon2Params
	cost   int
	limits Limits
	sem    chan struct{}

	inflight, peak atomic.Int32 // observed concurrency, for tests
	computed       atomic.Int64 // computations started (hash or compare), for tests
}

// NewHasher validates cfg and returns a Hasher.
func NewHasher(cfg HashConfig) (*Hasher, error) {
	lim, err := cfg.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Hasher{alg: cfg.Algorithm, argon: cfg.Argon2, cost: cfg.BcryptCost, limits: lim}
	if h.alg == "" {
		h.alg = Argon2id
	}
	switch h.alg {
	case Argon2id:
		if h.cost != 0 {
			return nil, errors.New("password: BcryptCost set with Algorithm argon2id")
		}
		a := &h.argon
		if a.Memory == 0 {
			a.Memory = defaultArgon2.Memory
		}
		if a.Time == 0 {
			a.Time = defaultArgon2.Time
		}
		if a.Threads == 0 {
			a.Threads = defaultArgon2.Threads
		}
		if a.Memory < minArgon2Memory || a.Memory > lim.MemoryKiB {
			return nil, fmt.Errorf("password: Argon2.Memory %d KiB out of range [%d, %d]", a.Memory, minArgon2Memory, lim.MemoryKiB)
		}
		if a.Time > lim.Time {
			return nil, fmt.Errorf("password: Argon2.Time %d out of range [1, %d]", a.Time, lim.Time)
		}
		if uint64(a.Memory)*uint64(a.Time) < minArgon2Work {
			return nil, fmt.Errorf("password: Argon2.Memory × Argon2.Time = %d KiB below %d KiB (OWASP minimum)", uint64(a.Memory)*uint64(a.Time), minArgon2Work)
		}
		if a.Threads > lim.Threads {
			return nil, fmt.Errorf("password: Argon2.Threads %d out of range [1, %d]", a.Threads, lim.Threads)
		}
		if a.Memory < 8*uint32(a.Threads) {
			return nil, fmt.Errorf("password: Argon2.Memory %d KiB below 8 KiB per thread", a.Memory)
		}
	case Bcrypt:
		if cfg.Argon2 != (Argon2Params{}) {
			return nil, errors.New("password: Argon2 parameters set with Algorithm bcrypt")
		}
		if h.cost == 0 {
			h.cost = defaultBcryptCost
		}
		if h.cost < minBcryptCost || h.cost > lim.BcryptCost {
			return nil, fmt.Errorf("password: BcryptCost %d out of range [%d, %d]", h.cost, minBcryptCost, lim.BcryptCost)
		}
	default:
		return nil, fmt.Errorf("password: Algorithm %q is not argon2id or bcrypt", h.alg)
	}
	n := cfg.MaxConcurrent
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if n < 1 || n > 4096 {
		return nil, fmt.Errorf("password: MaxConcurrent %d out of range [1, 4096]", n)
	}
	h.sem = make(chan struct{}, n)
	return h, nil
}

// Algorithm returns the algorithm of h's new hashes.
func (h *Hasher) Algorithm() Algorithm { return h.alg }

// MaxInput returns the longest normalised password, in bytes, h hashes:
// 72 for bcrypt, 16 KiB for argon2id (the spec's 256 code points grow at
// most 11-fold in UTF-8 under NFKC).
func (h *Hasher) MaxInput() int {
	if h.alg == Bcrypt {
		return bcryptMaxInput
	}
	return maxHashInput
}

// acquire takes a computation slot, or fails with ctx.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("password: waiting to hash: %w", ctx.Err())
	}
	h.computed.Add(1)
	n := h.inflight.Add(1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return nil
}

func (h *Hasher) release() {
	h.inflight.Add(-1)
	<-h.sem
}

// Hash returns the hash of the NFKC-normalised password: a PHC string
// "$argon2id$v=19$m=…,t=…,p=…$salt$tag" (unpadded standard base64), or a
// bcrypt "$2a$" string. A password over MaxInput bytes fails with
// ErrPasswordTooLong; Hash never returns an empty hash without an error.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	pw := normalize(password)
	if pw == "" {
		return "", errors.New("password: refusing to hash an empty password")
	}
	if len(pw) > h.MaxInput() {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrPasswordTooLong, len(pw), h.MaxInput())
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	var out string
	switch h.alg {
	case Bcrypt:
		b, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
		if err != nil {
			return "", fmt.Errorf("password: bcrypt: %w", err)
		}
		out = string(b)
	default:
		salt := make([]byte, argon2SaltLen)
		if _, err := rand.Read(salt); err != nil {
			return "", fmt.Errorf("password: random salt: %w", err)
		}
		a := h.argon
		key := argon2.IDKey([]byte(pw), salt, a.Time, a.Memory, a.Threads, argon2KeyLen)
		out = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.Memory, a.Time, a.Threads,
			b64.EncodeToString(salt), b64.EncodeToString(key))
	}
	if out == "" {
		return "", errors.New("password: empty hash")
	}
	return out, nil
}

var b64 = base64.RawStdEncoding

// Compare compares password, NFKC-normalised, with the encoded hash. It
// returns nil on a match, ErrMismatch on a well-formed hash that does not
// match, ErrMalformedHash or ErrHashTooCostly for a hash it cannot or will
// not compute (never computed, so never slow), and a context error when
// ctx ends while it waits for a slot.
//
// Formats: bcrypt $2a$, $2b$, $2y$; argon2id and argon2i PHC strings
// (v=19); PBKDF2-SHA256 and -SHA512 as PHC strings
// ("$pbkdf2-sha256$i=N$salt$hash", or passlib's "$pbkdf2-sha256$N$…" with
// its '.' base64 alphabet) and Django's "pbkdf2_sha256$N$salt$hash";
// scrypt as passlib's "$scrypt$ln=…,r=…,p=…$salt$hash" and Django's
// "scrypt$salt$N$r$p$hash".
//
// bcrypt verifies only 72 bytes: a longer password never matches a bcrypt
// hash, since the rest of it would go unverified (checklist PW-03).
func (h *Hasher) Compare(ctx context.Context, encoded, password string) error {
	return compare(ctx, h, &h.limits, encoded, password)
}

func compare(ctx context.Context, h *Hasher, lim *Limits, encoded, plain string) error {
	ph, err := parseHash(encoded, lim)
	if err != nil {
		return err
	}
	if len(plain) > maxHashInput {
		return ErrMismatch
	}
	pw := []byte(normalize(plain))
	if ph.alg == "bcrypt" && len(pw) > bcryptMaxInput {
		return ErrMismatch
	}
	if h != nil {
		if err := h.acquire(ctx); err != nil {
			return err
		}
		defer h.release()
	} else if err := ctx.Err(); err != nil {
		return err
	}
	return ph.compare(pw)
}

// NeedsRehash reports whether encoded should be replaced by a new hash of
// the same password at h's parameters: it is another algorithm or
// variant, or weaker (argon2id: lower memory, passes, lanes, shorter salt
// or tag; bcrypt: lower cost), or cannot be parsed within h's limits.
// Check it after a successful Compare, when the password is at hand.
func (h *Hasher) NeedsRehash(encoded string) bool {
	ph, err := parseHash(encoded, &h.limits)
	if err != nil {
		return true
	}
	switch h.alg {
	case Bcrypt:
		return ph.alg != "bcrypt" || ph.cost < h.cost
	default:
		a := h.argon
		return ph.alg != "argon2id" || ph.m < a.Memory || ph.t < a.Time || ph.p < a.Threads ||
			len(ph.salt) < argon2SaltLen || len(ph.sum) < argon2KeyLen
	}
}

// ctEqual compares two digests in constant time.
func ctEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
