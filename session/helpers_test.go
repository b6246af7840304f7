package session

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
)

// ironVectors is testdata/iron-vectors.json: known answers of @hapi/iron
// 7.0.1 (see its _source field).
type ironVectors struct {
	Password   string `json:"password"`
	EncSaltHex string `json:"encSaltHex"`
	IVHex      string `json:"ivHex"`
	MacSaltHex string `json:"macSaltHex"`
	RawKeyHex  string `json:"rawKeyHex"`
	Now        int64  `json:"now"`
	Vectors    []struct {
		Name      string `json:"name"`
		Token     string `json:"token"`
		KeyID     string `json:"keyId"`
		TTLMs     int64  `json:"ttlMs"`
		RawKey    bool   `json:"rawKey"`
		Plaintext string `json:"plaintext"`
	} `json:"vectors"`
	Invalid []struct {
		Name  string `json:"name"`
		Token string `json:"token"`
	} `json:"invalid"`
	ExpiredBase    string `json:"expiredBase"`
	ExpiredMacSalt string `json:"expiredMacSalt"`
	BadIVMacSalt   string `json:"badIVMacSalt"`
}

func loadVectors(tb testing.TB) *ironVectors {
	tb.Helper()
	b, err := os.ReadFile("testdata/iron-vectors.json")
	require.NoError(tb, err)
	var v ironVectors
	require.NoError(tb, json.Unmarshal(b, &v))
	require.NotEmpty(tb, v.Vectors)
	return &v
}

// vector returns the named known-answer vector.
func (v *ironVectors) vector(tb testing.TB, name string) string {
	tb.Helper()
	for _, x := range v.Vectors {
		if x.Name == name {
			return x.Token
		}
	}
	tb.Fatalf("no vector %s", name)
	return ""
}

// fixedRandom returns the bytes the vectors' seals drew: encryption salt,
// IV, integrity salt.
func (v *ironVectors) fixedRandom(tb testing.TB) []byte {
	tb.Helper()
	b, err := hex.DecodeString(v.EncSaltHex + v.IVHex + v.MacSaltHex)
	require.NoError(tb, err)
	require.Len(tb, b, 2*saltBytes+aes.BlockSize)
	// The hex strings in the tokens are these bytes encoded.
	require.Equal(tb, v.EncSaltHex, hex.EncodeToString(b[:saltBytes]))
	return b
}

// testPassword is the iron test-suite password (also in the vectors).
const testPassword = "some_not_random_password_that_is_also_long_enough"

// fixedClock is a clock pinned at ms epoch milliseconds that tests move.
type fixedClock struct{ ms int64 }

func (c *fixedClock) Now() time.Time { return time.UnixMilli(c.ms) }

// newTestSealer returns a Sealer over keys with a clock at the vectors'
// time; rnd, when not nil, replaces crypto/rand.
func newTestSealer(tb testing.TB, keys []Key, clock *fixedClock, rnd []byte) *Sealer {
	tb.Helper()
	if clock == nil {
		clock = &fixedClock{ms: 1700000000000}
	}
	s, err := NewSealer(Config{Keys: keys, Now: clock.Now})
	require.NoError(tb, err)
	if rnd != nil {
		s.rand = &repeatReader{b: rnd}
	}
	return s
}

// repeatReader yields b over and over: every seal draws the same salts and IV.
type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b[r.off]
		r.off = (r.off + 1) % len(r.b)
	}
	return len(p), nil
}

// reasonOf returns the internal reason of an Open error.
func reasonOf(err error) string {
	var oe *openError
	if errors.As(err, &oe) {
		return oe.reason
	}
	return ""
}

// requireRefused asserts err is an Open refusal for reason want (nil: any
// reason), with the one generic text; an expired one also reports expiry
// through ErrExpired and through its Expired method, as verify reads it.
func requireRefused(t *testing.T, err error, want *openError) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, ErrInvalid)
	if want != nil {
		require.Equal(t, want.reason, reasonOf(err))
		require.Equal(t, want.expired, errors.Is(err, ErrExpired))
		var exp interface{ Expired() bool }
		require.True(t, errors.As(err, &exp))
		require.Equal(t, want.expired, exp.Expired())
	}
	require.Contains(t, []string{ErrInvalid.Error(), ErrExpired.Error()}, err.Error())
}

// refuse asserts s refuses token for reason want (nil: any reason) and
// returns no payload.
func refuse(t *testing.T, s *Sealer, token string, want *openError) {
	t.Helper()
	pt, err := s.Open(token)
	requireRefused(t, err, want)
	require.Nil(t, pt)
}

// derivations records the salts s derives keys from.
func derivations(s *Sealer) *[]string {
	var salts []string
	s.derived = func(salt string) { salts = append(salts, salt) }
	return &salts
}

// The reference recipe for crafting tickets, written with crypto/pbkdf2 and
// crypto/hmac independently of the code under test (TEST-VECTORS.md §6):
// macBase = prefix*pwdId*encSalt*iv*ciphertext*exp; hmac =
// base64url(HMAC-SHA256(PBKDF2-SHA1(password, hmacSalt, 1, 32), macBase)).

func refKey(tb testing.TB, password, salt string) []byte {
	tb.Helper()
	k, err := pbkdf2.Key(sha1.New, password, []byte(salt), 1, keyBytes)
	require.NoError(tb, err)
	return k
}

// craft completes macBase (six components) with macSalt and a valid HMAC
// under password.
func craft(tb testing.TB, password, macBase, macSalt string) string {
	tb.Helper()
	m := hmac.New(sha256.New, refKey(tb, password, macSalt))
	m.Write([]byte(macBase))
	return macBase + "*" + macSalt + "*" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// refEncryptRaw encrypts whole blocks with AES-256-CBC and no padding, so
// tests can choose the padding bytes.
func refEncryptRaw(tb testing.TB, password, encSalt string, iv, blocks []byte) []byte {
	tb.Helper()
	require.Zero(tb, len(blocks)%aes.BlockSize)
	block, err := aes.NewCipher(refKey(tb, password, encSalt))
	require.NoError(tb, err)
	ct := make([]byte, len(blocks))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, blocks)
	return ct
}

// pkcs7 pads pt the standard way.
func pkcs7(pt []byte) []byte {
	n := aes.BlockSize - len(pt)%aes.BlockSize
	return append(bytes.Clone(pt), bytes.Repeat([]byte{byte(n)}, n)...)
}

// craftPlain seals raw plaintext bytes (already padded) into a ticket with
// a valid MAC under testPassword, with no expiration.
func craftPlain(tb testing.TB, id string, ivBytes, padded []byte) string {
	tb.Helper()
	encSalt := strings.Repeat("0123456789abcdef", 4)
	ct := refEncryptRaw(tb, testPassword, encSalt, ivBytes, padded)
	base := strings.Join([]string{ironPrefix, id, encSalt, b64.EncodeToString(ivBytes), b64.EncodeToString(ct), ""}, "*")
	return craft(tb, testPassword, base, strings.Repeat("fedcba9876543210", 4))
}

// splitToken splits a token into its components.
func splitToken(tok string) []string { return strings.Split(tok, "*") }

// nodeOrSkip returns the node binary and the iron driver script, skipping
// the test when node or interop/node_modules is missing, or failing it when
// CI=true (a missing peer must fail CI).
func nodeOrSkip(t *testing.T) (node, script string) {
	t.Helper()
	missing := func(why string) { peer.Missing(t, "interop peer missing: %s", why) }
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not in PATH")
	}
	if _, err := os.Stat("../interop/node_modules/@hapi/iron/package.json"); err != nil {
		missing("run `npm ci` in interop/ (" + err.Error() + ")")
	}
	return node, "../interop/iron/iron.js"
}
