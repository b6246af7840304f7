package session

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVectors reproduces every @hapi/iron known answer byte for byte from
// the same salts and IV, and opens each to its exact plaintext.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	for _, x := range v.Vectors {
		if x.RawKey {
			continue // V4: TestVectorRawKey
		}
		t.Run(x.Name, func(t *testing.T) {
			parts := splitToken(x.Token)
			require.Len(t, parts, numParts)
			// The salts and IV are in the token: draw exactly those.
			iv, err := b64.DecodeString(parts[3])
			require.NoError(t, err)
			encSalt, err := hex.DecodeString(parts[2])
			require.NoError(t, err)
			macSalt, err := hex.DecodeString(parts[6])
			require.NoError(t, err)
			rnd := append(append(encSalt, iv...), macSalt...)
			if x.Name != "H1" {
				require.Equal(t, v.fixedRandom(t), rnd)
			}
			clock := &fixedClock{ms: v.Now}
			s := newTestSealer(t, []Key{{ID: x.KeyID, Password: v.Password}}, clock, rnd)

			tok, err := s.Seal([]byte(x.Plaintext), time.Duration(x.TTLMs)*time.Millisecond)
			require.NoError(t, err)
			assert.Equal(t, x.Token, tok)

			pt, err := s.Open(x.Token)
			require.NoError(t, err)
			assert.Equal(t, x.Plaintext, string(pt))
		})
	}

	t.Run("V2 key ids", func(t *testing.T) {
		v2 := v.vector(t, "V2")
		refuse(t, newTestSealer(t, []Key{{ID: "k2", Password: v.Password}}, nil, nil), v2, errUnknownKey)
		refuse(t, newTestSealer(t, []Key{{Password: v.Password}}, nil, nil), v2, errUnknownKey)
		_, err := newTestSealer(t, []Key{{ID: "k2", Password: v.Password}, {ID: "k1", Password: v.Password}}, nil, nil).Open(v2)
		require.NoError(t, err)
		_, err = newTestSealer(t, []Key{{ID: "k1", Password: v.Password}}, nil, nil).Open(v2)
		assert.NoError(t, err)
	})

	t.Run("V3 expiry boundary", func(t *testing.T) {
		v3 := v.vector(t, "V3")
		const exp = 1700000300000
		for _, c := range []struct {
			now     int64
			expired bool
		}{{v.Now, false}, {exp, false}, {exp + 59_999, false}, {exp + 60_000, true}, {exp + 1e9, true}} {
			s := newTestSealer(t, []Key{{Password: v.Password}}, &fixedClock{ms: c.now}, nil)
			if c.expired {
				refuse(t, s, v3, errExpired)
			} else {
				_, err := s.Open(v3)
				require.NoError(t, err, "now %d", c.now)
			}
		}
	})

	t.Run("another password", func(t *testing.T) {
		s := newTestSealer(t, []Key{{Password: "another_password_of_32_characters"}}, nil, nil)
		refuse(t, s, v.vector(t, "V1"), errMAC)
	})

	t.Run("static negatives", func(t *testing.T) {
		s := newTestSealer(t, []Key{{Password: v.Password}}, nil, nil)
		// H3 is a valid token with its MAC's last character changed to one
		// whose unused bits are set: not canonical base64url, refused before
		// the MAC is even computed.
		want := map[string]*openError{"H3 integrity failure": errMACSyntax, "9 components": errParts, "wrong prefix": errPrefix}
		for _, x := range v.Invalid {
			refuse(t, s, x.Token, want[x.Name])
		}
	})
}

// TestVectorRawKey reproduces V4, sealed by iron with a raw 32-byte key (no
// PBKDF2, empty salts), from this package's padding and the standard
// AES-CBC and HMAC; a Sealer, which holds passwords only, refuses that form.
func TestVectorRawKey(t *testing.T) {
	v := loadVectors(t)
	v4 := v.vector(t, "V4")
	key, err := hex.DecodeString(v.RawKeyHex)
	require.NoError(t, err)
	iv, err := hex.DecodeString(v.IVHex)
	require.NoError(t, err)
	pt := v.Vectors[0].Plaintext

	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	ct := pad([]byte(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	base := ironPrefix + "***" + b64.EncodeToString(iv) + "*" + b64.EncodeToString(ct) + "*"
	m := hmac.New(sha256.New, key)
	m.Write([]byte(base))
	assert.Equal(t, v4, base+"**"+b64.EncodeToString(m.Sum(nil)))

	refuse(t, newTestSealer(t, []Key{{Password: v.Password}}, nil, nil), v4, errSalt)
}

// TestPadding: unpad undoes pad for every length up to three blocks, and pad
// always adds 1 to 16 bytes, to a whole number of blocks.
func TestPadding(t *testing.T) {
	for n := 0; n <= 3*aes.BlockSize; n++ {
		b := bytes.Repeat([]byte{'x'}, n)
		p := pad(b)
		require.Zero(t, len(p)%aes.BlockSize)
		require.Greater(t, len(p), n)
		require.LessOrEqual(t, len(p), n+aes.BlockSize)
		got, err := unpad(p)
		require.NoError(t, err)
		require.Equal(t, b, got)
	}
}

func TestNewSealer(t *testing.T) {
	good := "0123456789abcdef0123456789abcdefXYZ"
	for _, c := range []struct {
		name string
		cfg  Config
		want string // error substring; empty means valid
	}{
		{"valid", Config{Keys: []Key{{ID: "k2", Password: good}, {ID: "k1", Password: testPassword}}}, ""},
		{"id-less", Config{Keys: []Key{{Password: good}}}, ""},
		{"32 characters", Config{Keys: []Key{{Password: good[:32]}}}, ""},
		{"32 runes", Config{Keys: []Key{{Password: "ééééé" + good[:27]}}}, ""},
		{"no keys", Config{}, "Keys is empty"},
		{"31 characters", Config{Keys: []Key{{Password: good[:31]}}}, "31 characters, fewer than 32"},
		{"invalid utf-8", Config{Keys: []Key{{Password: good + "\xff"}}}, "not valid UTF-8"},
		{"repeated", Config{Keys: []Key{{Password: strings.Repeat("x", 64)}}}, "1 distinct characters"},
		{"repeated word", Config{Keys: []Key{{Password: strings.Repeat("password", 4)}}}, "7 distinct characters"},
		{"id with dash", Config{Keys: []Key{{ID: "k-1", Password: good}}}, `"k-1" does not match`},
		{"id non-ascii", Config{Keys: []Key{{ID: "clé", Password: good}}}, "does not match"},
		{"id space", Config{Keys: []Key{{ID: "k 1", Password: good}}}, "does not match"},
		{"id newline", Config{Keys: []Key{{ID: "k1\n", Password: good}}}, "does not match"},
		{"duplicate id", Config{Keys: []Key{{ID: "k1", Password: good}, {ID: "k1", Password: testPassword}}}, "duplicate"},
		{"duplicate empty id", Config{Keys: []Key{{Password: good}, {Password: testPassword}}}, "duplicate"},
		{"bad second key", Config{Keys: []Key{{ID: "a", Password: good}, {ID: "b", Password: "short"}}}, "Keys[1]"},
		{"MaxTokenLen low", Config{Keys: []Key{{Password: good}}, MaxTokenLen: 255}, "MaxTokenLen 255 out of range [256, 65536]"},
		{"MaxTokenLen high", Config{Keys: []Key{{Password: good}}, MaxTokenLen: 65537}, "out of range"},
		{"MaxTokenLen negative", Config{Keys: []Key{{Password: good}}, MaxTokenLen: -1}, "out of range"},
		{"MaxTokenLen bounds", Config{Keys: []Key{{Password: good}}, MaxTokenLen: 256}, ""},
		{"Skew high", Config{Keys: []Key{{Password: good}}, Skew: 61 * time.Second}, "Skew 1m1s out of range [1ms, 1m0s]"},
		{"Skew fraction", Config{Keys: []Key{{Password: good}}, Skew: 1500 * time.Microsecond}, "whole milliseconds"},
		{"Skew negative", Config{Keys: []Key{{Password: good}}, Skew: -time.Second}, "out of range"},
		{"Skew 1ms", Config{Keys: []Key{{Password: good}}, Skew: time.Millisecond}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSealer(c.cfg)
			if c.want == "" {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.ErrorContains(t, err, c.want)
			assert.Nil(t, s)
			for _, k := range c.cfg.Keys {
				assert.NotContains(t, err.Error(), k.Password, "error quotes a password")
			}
		})
	}
}

func TestSeal(t *testing.T) {
	clock := &fixedClock{ms: 1700000000000}
	s := newTestSealer(t, []Key{{ID: "k1", Password: testPassword}}, clock, nil)
	x := []byte(`"x"`)

	t.Run("ttl", func(t *testing.T) {
		for _, c := range []struct {
			ttl  time.Duration
			exp  string
			want string
		}{
			{0, "", ""},
			{time.Millisecond, "1700000000001", ""},
			{5 * time.Minute, "1700000300000", ""},
			{1500 * time.Microsecond, "1700000000001", ""},
			{-time.Second, "", "negative ttl"},
			{500 * time.Microsecond, "", "below 1ms"},
			{time.Duration(math.MaxInt64), strconv.FormatInt(1700000000000+math.MaxInt64/int64(time.Millisecond), 10), ""}, // 292 years
		} {
			tok, err := s.Seal(x, c.ttl)
			if c.want != "" {
				require.ErrorContains(t, err, c.want)
				assert.Empty(t, tok)
				continue
			}
			require.NoError(t, err)
			assert.Equal(t, c.exp, splitToken(tok)[5], "ttl %v", c.ttl)
			got, err := s.Open(tok)
			require.NoError(t, err)
			assert.Equal(t, x, got)
		}
	})

	t.Run("clock out of range", func(t *testing.T) {
		for _, ms := range []int64{-5, 0, 1e16 - 60_000} {
			odd := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: ms}, nil)
			_, err := odd.Seal(x, time.Minute)
			require.ErrorContains(t, err, "outside [1, 9999999999999999] ms")
			_, err = odd.Seal(x, 0)
			require.NoError(t, err)
		}
		edge := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: 1e16 - 60_001}, nil)
		tok, err := edge.Seal(x, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, "9999999999999999", splitToken(tok)[5])
	})

	t.Run("payload as it is", func(t *testing.T) {
		// A pure cipher: any bytes, JSON or not, come back unchanged, and
		// Seal leaves its argument as it was.
		for _, in := range []string{"", "{", `{"s":"<a href='x'>&amp;</a>"}`, "\xff\x00", strings.Repeat("é", 100)} {
			payload := []byte(in)
			tok, err := s.Seal(payload, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, in, string(payload))
			got, err := s.Open(tok)
			require.NoError(t, err)
			assert.Equal(t, in, string(got))
		}
	})

	t.Run("too long", func(t *testing.T) {
		long := []byte(strings.Repeat("a", 4000))
		tok, err := s.Seal(long, 0)
		require.ErrorContains(t, err, "more than MaxTokenLen 4096")
		assert.Empty(t, tok)
		big, err := NewSealer(Config{Keys: []Key{{Password: testPassword}}, MaxTokenLen: 8192})
		require.NoError(t, err)
		tok, err = big.Seal(long, 0)
		require.NoError(t, err)
		assert.Greater(t, len(tok), 4096)
		got, err := big.Open(tok)
		require.NoError(t, err)
		assert.Equal(t, long, got)
	})

	t.Run("largest token fits exactly", func(t *testing.T) {
		// The largest payload whose token fits seals; one more block does
		// not.
		fits := 0
		for n := 2900; n < 3200; n++ {
			tok, err := s.Seal(bytes.Repeat([]byte{'a'}, n), 0)
			if err != nil {
				require.ErrorContains(t, err, "MaxTokenLen")
				break
			}
			require.LessOrEqual(t, len(tok), DefaultMaxTokenLen)
			fits = n
		}
		assert.Greater(t, fits, 2900)
		assert.Less(t, fits, 3199)
	})

	t.Run("random source fails", func(t *testing.T) {
		broken := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
		broken.rand = strings.NewReader("short")
		tok, err := broken.Seal(x, 0)
		require.ErrorContains(t, err, "session: read random")
		assert.Empty(t, tok)
	})
}

// TestOpenReportsExpiryOnlyWhenExpired: a refused token's error has an
// Expired method, the way verify learns of expiry without importing this
// package; it is true for an expired token and false for every other
// refusal.
func TestOpenReportsExpiryOnlyWhenExpired(t *testing.T) {
	clock := &fixedClock{ms: 1700000000000}
	s := newTestSealer(t, []Key{{Password: testPassword}}, clock, nil)
	tok, err := s.Seal([]byte(`"x"`), time.Minute)
	require.NoError(t, err)
	expired := func(tok string) bool {
		_, err := s.Open(tok)
		var e interface{ Expired() bool }
		require.True(t, errors.As(err, &e), "%v", err)
		return e.Expired()
	}
	assert.False(t, expired(tok[:len(tok)-10]+string(flip(tok[len(tok)-10]))+tok[len(tok)-9:]))
	assert.False(t, expired("Fe26.2"))
	clock.ms += (time.Minute + DefaultSkew).Milliseconds()
	assert.True(t, expired(tok))
}

// TestConcurrent seals and opens from many goroutines on one Sealer (run
// under -race).
func TestConcurrent(t *testing.T) {
	s := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
	const workers, rounds = 8, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range rounds {
				want := strings.Repeat("v", w*rounds+i)
				tok, err := s.Seal([]byte(want), time.Minute)
				if err == nil {
					var got []byte
					got, err = s.Open(tok)
					if err == nil && string(got) != want {
						err = assert.AnError
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
}
