package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchPayload is shaped like verify's sealed auth_session of a TOTP
// enrollment.
type benchPayload struct {
	Version  int            `json:"v"`
	Purpose  string         `json:"p"`
	ID       string         `json:"sid"`
	Subject  string         `json:"sub"`
	Pending  string         `json:"mid"`
	Type     string         `json:"typ"`
	IssuedAt int64          `json:"iat"`
	Expires  int64          `json:"exp"`
	State    jsontext.Value `json:"st,omitzero"`
}

func newBenchPayload() benchPayload {
	return benchPayload{
		Version: 1, Purpose: "mfa-enroll", ID: "3q2-7wEAAAB0aGlzIGlzIGEgc2lk",
		Subject: "auth0|5f7c8ec7c33c6c004bbafe82", Pending: "totp|dev_0123456789abcdef", Type: "totp",
		IssuedAt: 1700000000000, Expires: 1700000300000,
		State: jsontext.Value(`{"secret":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP","digits":6,"period":30}`),
	}
}

func newBenchSealer(b *testing.B) *Sealer {
	s, err := NewSealer(Config{
		Keys: []Key{{ID: "k2", Password: testPassword}, {ID: "k1", Password: "another_password_of_32_characters"}},
		Now:  (&fixedClock{ms: 1700000000000}).Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchJSON is newBenchPayload's JSON, as verify encodes it.
func benchJSON(b *testing.B) []byte {
	pt, err := json.Marshal(newBenchPayload())
	if err != nil {
		b.Fatal(err)
	}
	return pt
}

// BenchmarkSeal seals the session-like payload with a 5-minute TTL.
func BenchmarkSeal(b *testing.B) {
	s := newBenchSealer(b)
	pt := benchJSON(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(pt, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen opens it.
func BenchmarkOpen(b *testing.B) {
	s := newBenchSealer(b)
	tok, err := s.Seal(benchJSON(b), 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealUnseal is one enrollment's worth of sealing: seal at start,
// open at verify. Compare with BenchmarkPrimitives.
func BenchmarkSealUnseal(b *testing.B) {
	s := newBenchSealer(b)
	pt := benchJSON(b)
	b.ReportAllocs()
	for b.Loop() {
		tok, err := s.Seal(pt, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Open(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealUnsealJSON adds what verify does around it: encode the
// payload struct, and decode it strictly after opening.
func BenchmarkSealUnsealJSON(b *testing.B) {
	s := newBenchSealer(b)
	p := newBenchPayload()
	b.ReportAllocs()
	for b.Loop() {
		pt, err := json.Marshal(&p)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := s.Seal(pt, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := s.Open(tok)
		if err != nil {
			b.Fatal(err)
		}
		var q benchPayload
		if err := json.Unmarshal(raw, &q, json.RejectUnknownMembers(true)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenBadMAC is the cost of refusing a forged token.
func BenchmarkOpenBadMAC(b *testing.B) {
	s := newBenchSealer(b)
	tok, err := s.Seal(benchJSON(b), 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	i := len(tok) - 10 // inside the MAC, away from its last character's unused bits
	forged := tok[:i] + string(flip(tok[i])) + tok[i+1:]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(forged); err == nil {
			b.Fatal("forged token opened")
		}
	}
}

// BenchmarkOpenTooLong is the cost of refusing a 1 MiB token
// (SECURITY-CHECKLIST AS-16).
func BenchmarkOpenTooLong(b *testing.B) {
	s := newBenchSealer(b)
	huge := strings.Repeat("A", 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(huge); err == nil {
			b.Fatal("huge token opened")
		}
	}
}

// BenchmarkPrimitives is the floor under BenchmarkSealUnseal: the bare
// standard-library primitives one seal and one unseal need, called the
// plain way — 4 × PBKDF2-SHA1 (1 iteration, 32 bytes), one AES-256-CBC
// encryption and one decryption of the payload's size, 2 × HMAC-SHA256
// over a token-sized message. No JSON, no encoding, no parsing.
func BenchmarkPrimitives(b *testing.B) {
	pt, err := json.Marshal(newBenchPayload())
	if err != nil {
		b.Fatal(err)
	}
	n := len(pad(pt))
	msg := make([]byte, 64+22+4*n/3+30)
	salt := []byte(hex.EncodeToString(make([]byte, saltBytes)))
	iv := make([]byte, aes.BlockSize)
	rand.Read(iv)
	buf := make([]byte, n)
	b.ReportAllocs()
	for b.Loop() {
		var keys [4][]byte
		for i := range keys {
			if keys[i], err = pbkdf2.Key(sha1.New, testPassword, salt, 1, keyBytes); err != nil {
				b.Fatal(err)
			}
		}
		block, _ := aes.NewCipher(keys[0])
		copy(buf, pt)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
		block, _ = aes.NewCipher(keys[2])
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
		for _, i := range []int{1, 3} {
			m := hmac.New(sha256.New, keys[i])
			m.Write(msg)
			m.Sum(nil)
		}
	}
}

// TestBenchPayloadMatchesNode: bench/node/iron.js seals the object of
// bench/testdata/auth-session-payload.json, and BenchmarkSealUnseal seals
// newBenchPayload: bench/run compares the two, so they must be the same
// JSON, byte for byte.
func TestBenchPayloadMatchesNode(t *testing.T) {
	want, err := os.ReadFile("../bench/testdata/auth-session-payload.json")
	require.NoError(t, err)
	got, err := json.Marshal(newBenchPayload())
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(want)), string(got))
}
