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
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVectors reproduces every @hapi/iron known answer byte for byte from
// the same salts and IV, and unseals each to its exact plaintext.
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

			tok, err := s.Seal(json.RawMessage(x.Plaintext), time.Duration(x.TTLMs)*time.Millisecond)
			require.NoError(t, err)
			assert.Equal(t, x.Token, tok)

			var raw json.RawMessage
			require.NoError(t, s.Unseal(x.Token, &raw))
			assert.Equal(t, x.Plaintext, string(raw))
		})
	}

	t.Run("Go values", func(t *testing.T) {
		// The same tokens from Go values, not pre-encoded JSON: Go's
		// encoding must equal JSON.stringify's for these (no HTML escaping).
		s := newTestSealer(t, []Key{{Password: v.Password}}, &fixedClock{ms: v.Now}, v.fixedRandom(t))
		for name, val := range map[string]any{
			"V1": map[string]any{"a": 1, "b": 2, "c": []int{3, 4, 5}, "d": map[string]string{"e": "f"}},
			"V5": struct {
				UserID string `json:"user_id"`
				S      string `json:"s"`
			}{"auth0|123", "héllo ✓ <&>"},
			"V6": "just a string",
		} {
			tok, err := s.Seal(val, 0)
			require.NoError(t, err)
			assert.Equal(t, v.vector(t, name), tok, name)
		}
	})

	t.Run("V2 key ids", func(t *testing.T) {
		v2 := v.vector(t, "V2")
		var raw json.RawMessage
		requireRefused(t, newTestSealer(t, []Key{{ID: "k2", Password: v.Password}}, nil, nil).Unseal(v2, &raw), errUnknownKey)
		requireRefused(t, newTestSealer(t, []Key{{Password: v.Password}}, nil, nil).Unseal(v2, &raw), errUnknownKey)
		require.NoError(t, newTestSealer(t, []Key{{ID: "k2", Password: v.Password}, {ID: "k1", Password: v.Password}}, nil, nil).Unseal(v2, &raw))
		assert.NoError(t, newTestSealer(t, []Key{{ID: "k1", Password: v.Password}}, nil, nil).Unseal(v2, &raw))
	})

	t.Run("V3 expiry boundary", func(t *testing.T) {
		v3 := v.vector(t, "V3")
		const exp = 1700000300000
		for _, c := range []struct {
			now     int64
			expired bool
		}{{v.Now, false}, {exp, false}, {exp + 59_999, false}, {exp + 60_000, true}, {exp + 1e9, true}} {
			var raw json.RawMessage
			err := newTestSealer(t, []Key{{Password: v.Password}}, &fixedClock{ms: c.now}, nil).Unseal(v3, &raw)
			if c.expired {
				requireRefused(t, err, errExpired)
				assert.Nil(t, raw)
			} else {
				require.NoError(t, err, "now %d", c.now)
			}
		}
	})

	t.Run("another password", func(t *testing.T) {
		s := newTestSealer(t, []Key{{Password: "another_password_of_32_characters"}}, nil, nil)
		var raw json.RawMessage
		requireRefused(t, s.Unseal(v.vector(t, "V1"), &raw), errMAC)
	})

	t.Run("static negatives", func(t *testing.T) {
		s := newTestSealer(t, []Key{{Password: v.Password}}, nil, nil)
		// H3 is a valid token with its MAC's last character changed to one
		// whose unused bits are set: not canonical base64url, refused before
		// the MAC is even computed.
		want := map[string]*unsealError{"H3 integrity failure": errMACSyntax, "9 components": errParts, "wrong prefix": errPrefix}
		for _, x := range v.Invalid {
			var raw json.RawMessage
			requireRefused(t, s.Unseal(x.Token, &raw), want[x.Name])
		}
	})
}

// TestVectorRawKey reproduces V4, sealed by iron with a raw 32-byte key (no
// PBKDF2, empty salts), with this package's AES-CBC, HMAC and base64url
// layers; a Sealer, which holds passwords only, refuses that form.
func TestVectorRawKey(t *testing.T) {
	v := loadVectors(t)
	v4 := v.vector(t, "V4")
	rawKey, err := hex.DecodeString(v.RawKeyHex)
	require.NoError(t, err)
	iv, err := hex.DecodeString(v.IVHex)
	require.NoError(t, err)
	var key [keyBytes]byte
	copy(key[:], rawKey)
	pt := v.Vectors[0].Plaintext

	ct, err := encryptCBC(make([]byte, paddedLen(len(pt))), &key, iv, []byte(pt))
	require.NoError(t, err)
	base := ironPrefix + "***" + b64.EncodeToString(iv) + "*" + b64.EncodeToString(ct) + "*"
	var mac [32]byte
	newScratch().macSum(&key, []byte(base), &mac)
	assert.Equal(t, v4, base+"**"+b64.EncodeToString(mac[:]))

	got, uerr := decryptCBC(make([]byte, len(ct)), &key, iv, ct)
	require.Nil(t, uerr)
	assert.Equal(t, pt, string(got))

	var raw json.RawMessage
	requireRefused(t, newTestSealer(t, []Key{{Password: v.Password}}, nil, nil).Unseal(v4, &raw), errSalt)
}

// TestPBKDF2 checks the precomputed-state PBKDF2 against crypto/pbkdf2 for
// passwords around SHA-1's block size and salts of many lengths.
func TestPBKDF2(t *testing.T) {
	s := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
	sc := s.get()
	defer s.put(sc)
	for _, pwLen := range []int{32, 63, 64, 65, 200} {
		pw := strings.Repeat("abcdefghij", 21)[:pwLen]
		k, err := newPRFKey([]byte(pw))
		require.NoError(t, err)
		for _, saltLen := range []int{0, 1, 55, 56, 63, 64, 65, 119, 128, 200} {
			salt := []byte(strings.Repeat("0123456789abcdef", 13)[:saltLen])
			want, err := pbkdf2.Key(sha1.New, pw, salt, 1, keyBytes)
			require.NoError(t, err)
			var got [keyBytes]byte
			require.NoError(t, k.pbkdf2(sc, salt, &got))
			assert.Equal(t, want, got[:], "password %d bytes, salt %d bytes", pwLen, saltLen)
		}
	}
}

// TestMacSum checks the written-out HMAC-SHA256 against crypto/hmac for
// messages around SHA-256's block size, reusing one scratch as Seal and
// Unseal do.
func TestMacSum(t *testing.T) {
	sc := newScratch()
	msg := []byte(strings.Repeat("Fe26.2*k1*0123456789abcdef*", 20))
	for i, msgLen := range []int{0, 1, 55, 56, 63, 64, 65, 119, 128, 330, len(msg)} {
		var key [keyBytes]byte
		for j := range key {
			key[j] = byte(i*31 + j*7)
		}
		m := hmac.New(sha256.New, key[:])
		m.Write(msg[:msgLen])
		var got [sha256.Size]byte
		sc.macSum(&key, msg[:msgLen], &got)
		assert.Equal(t, m.Sum(nil), got[:], "message %d bytes", msgLen)
	}
	assert.Equal(t, [sha256.BlockSize]byte{}, sc.pad, "no key material left in the scratch")
	assert.Equal(t, [sha256.Size]byte{}, sc.inner)
}

// TestDecryptCBC checks sizes and padding are refused without panicking,
// whatever the caller passes (AES-CBC's CryptBlocks panics on bad sizes).
func TestDecryptCBC(t *testing.T) {
	var key [keyBytes]byte
	iv := make([]byte, 16)
	for name, c := range map[string]struct {
		iv, ct []byte
		dst    int
		want   *unsealError
	}{
		"iv 15":        {iv[:15], make([]byte, 16), 16, errBlocks},
		"iv 17":        {make([]byte, 17), make([]byte, 16), 16, errBlocks},
		"ct 0":         {iv, nil, 16, errBlocks},
		"ct 17":        {iv, make([]byte, 17), 32, errBlocks},
		"ct 15":        {iv, make([]byte, 15), 32, errBlocks},
		"dst short":    {iv, make([]byte, 32), 16, errBlocks},
		"random block": {iv, make([]byte, 16), 16, nil},
	} {
		t.Run(name, func(t *testing.T) {
			require.NotPanics(t, func() {
				pt, err := decryptCBC(make([]byte, c.dst), &key, c.iv, c.ct)
				if c.want != nil {
					assert.Equal(t, c.want, err)
					assert.Nil(t, pt)
				} else {
					// A zero block under a zero key decrypts to noise: its
					// padding is almost surely wrong, and never a panic.
					assert.True(t, err == nil || err == errPadding)
				}
			})
		})
	}
	t.Run("round trip", func(t *testing.T) {
		for n := 0; n <= 48; n++ {
			pt := []byte(strings.Repeat("x", n))
			ct, err := encryptCBC(make([]byte, paddedLen(n)), &key, iv, pt)
			require.NoError(t, err)
			require.Len(t, ct, paddedLen(n))
			got, uerr := decryptCBC(make([]byte, len(ct)), &key, iv, ct)
			require.Nil(t, uerr)
			assert.Equal(t, pt, got)
		}
	})
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
			tok, err := s.Seal("x", c.ttl)
			if c.want != "" {
				require.ErrorContains(t, err, c.want)
				assert.Empty(t, tok)
				continue
			}
			require.NoError(t, err)
			assert.Equal(t, c.exp, splitToken(tok)[5], "ttl %v", c.ttl)
			var got string
			require.NoError(t, s.Unseal(tok, &got))
			assert.Equal(t, "x", got)
		}
	})

	t.Run("clock out of range", func(t *testing.T) {
		for _, ms := range []int64{-5, 0, 1e16 - 60_000} {
			odd := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: ms}, nil)
			_, err := odd.Seal("x", time.Minute)
			require.ErrorContains(t, err, "outside [1, 9999999999999999] ms")
			_, err = odd.Seal("x", 0)
			require.NoError(t, err)
		}
		edge := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: 1e16 - 60_001}, nil)
		tok, err := edge.Seal("x", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, "9999999999999999", splitToken(tok)[5])
	})

	t.Run("no HTML escaping", func(t *testing.T) {
		tok, err := s.Seal(map[string]string{"s": "<a href='x'>&amp;</a>"}, 0)
		require.NoError(t, err)
		var raw json.RawMessage
		require.NoError(t, s.Unseal(tok, &raw))
		assert.Equal(t, `{"s":"<a href='x'>&amp;</a>"}`, string(raw))
	})

	t.Run("unencodable", func(t *testing.T) {
		tok, err := s.Seal(make(chan int), 0)
		require.ErrorContains(t, err, "session: encode payload")
		assert.Empty(t, tok)
	})

	t.Run("too long", func(t *testing.T) {
		tok, err := s.Seal(strings.Repeat("a", 4000), 0)
		require.ErrorContains(t, err, "more than MaxTokenLen 4096")
		assert.Empty(t, tok)
		big, err := NewSealer(Config{Keys: []Key{{Password: testPassword}}, MaxTokenLen: 8192})
		require.NoError(t, err)
		tok, err = big.Seal(strings.Repeat("a", 4000), 0)
		require.NoError(t, err)
		assert.Greater(t, len(tok), 4096)
		var got string
		require.NoError(t, big.Unseal(tok, &got))
		assert.Len(t, got, 4000)
	})

	t.Run("largest token fits exactly", func(t *testing.T) {
		// Find the largest payload whose token fits, and check the length
		// computed before sealing is the real one.
		for n := 3000; n < 3200; n++ {
			tok, err := s.Seal(strings.Repeat("a", n), 0)
			if err != nil {
				require.ErrorContains(t, err, "MaxTokenLen")
				break
			}
			require.LessOrEqual(t, len(tok), DefaultMaxTokenLen)
		}
	})

	t.Run("random source fails", func(t *testing.T) {
		broken := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
		broken.rand = strings.NewReader("short")
		tok, err := broken.Seal("x", 0)
		require.ErrorContains(t, err, "session: read random")
		assert.Empty(t, tok)
	})
}

func TestUnsealTargets(t *testing.T) {
	s := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
	type payload struct {
		Sub string `json:"sub"`
		N   int    `json:"n"`
	}
	tok, err := s.Seal(payload{Sub: "auth0|1", N: 3}, time.Minute)
	require.NoError(t, err)

	t.Run("struct", func(t *testing.T) {
		var p payload
		require.NoError(t, s.Unseal(tok, &p))
		assert.Equal(t, payload{Sub: "auth0|1", N: 3}, p)
	})
	t.Run("replaces wholly", func(t *testing.T) {
		m := map[string]any{"old": true}
		require.NoError(t, s.Unseal(tok, &m))
		assert.Equal(t, map[string]any{"sub": "auth0|1", "n": float64(3)}, m)
	})
	t.Run("any", func(t *testing.T) {
		var a any
		require.NoError(t, s.Unseal(tok, &a))
		assert.Equal(t, map[string]any{"sub": "auth0|1", "n": float64(3)}, a)
	})
	t.Run("raw message", func(t *testing.T) {
		raw := json.RawMessage("previous")
		require.NoError(t, s.Unseal(tok, &raw))
		assert.JSONEq(t, `{"sub":"auth0|1","n":3}`, string(raw))
	})
	t.Run("wrong type leaves target untouched", func(t *testing.T) {
		var wrong struct {
			Sub int `json:"sub"`
		}
		wrong.Sub = 7
		requireRefused(t, s.Unseal(tok, &wrong), errPayload)
		assert.Equal(t, 7, wrong.Sub)
	})
	t.Run("unknown field", func(t *testing.T) {
		var fewer struct {
			Sub string `json:"sub"`
		}
		requireRefused(t, s.Unseal(tok, &fewer), errPayload)
		assert.Empty(t, fewer.Sub)
	})
	t.Run("not a pointer", func(t *testing.T) {
		var nilRaw *json.RawMessage
		var nilStruct *payload
		for _, v := range []any{nil, payload{}, nilRaw, nilStruct, "x"} {
			requireRefused(t, s.Unseal(tok, v), errTarget)
		}
	})
}

// TestConcurrent seals and unseals from many goroutines on one Sealer (run
// under -race): the pooled scratch memory is never shared.
func TestConcurrent(t *testing.T) {
	s := newTestSealer(t, []Key{{Password: testPassword}}, nil, nil)
	const workers, rounds = 8, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range rounds {
				want := strings.Repeat("v", w*rounds+i)
				tok, err := s.Seal(want, time.Minute)
				if err == nil {
					var got string
					err = s.Unseal(tok, &got)
					if err == nil && got != want {
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

// TestCharClass checks the lookup tables against the regular expressions
// they stand for, on every byte.
func TestCharClass(t *testing.T) {
	for c := range 256 {
		b := []byte{byte(c)}
		assert.Equal(t, regexp.MustCompile(`^[A-Za-z0-9_-]$`).Match(b), isB64URL(b), "b64url %q", c)
		assert.Equal(t, regexp.MustCompile(`^\w$`).Match(b), isKeyID(string(b)), "word %q", c)
		assert.Equal(t, regexp.MustCompile(`^[0-9a-f]$`).Match(b), allIn(b, classHex), "hex %q", c)
	}
	assert.True(t, isB64URL(nil))
	assert.False(t, isKeyID(""))
	assert.True(t, isSalt([]byte(strings.Repeat("0123456789abcdef", 4))))
	assert.False(t, isSalt([]byte(strings.Repeat("0123456789abcdeF", 4))))
}

// TestUnsealPayload: UnsealPayload opens what Unseal opens, to the same
// bytes, and refuses what Unseal refuses before the JSON check, with the
// same error; a payload that is not JSON is returned as it is, for the
// caller's own strict decoder.
func TestUnsealPayload(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: v.Password}}, clock, nil)
	iv := make([]byte, aes.BlockSize)

	tok, err := s.Seal(map[string]string{"sub": "héllo <&>"}, time.Minute)
	require.NoError(t, err)
	pt, err := s.UnsealPayload(tok)
	require.NoError(t, err)
	assert.Equal(t, `{"sub":"héllo <&>"}`, string(pt))
	pt[0] = 'X' // the caller's bytes: the next open is not affected
	again, err := s.UnsealPayload(tok)
	require.NoError(t, err)
	assert.Equal(t, `{"sub":"héllo <&>"}`, string(again))

	v2 := v.vector(t, "V2")
	pt, err = s.UnsealPayload(v2)
	require.NoError(t, err)
	var raw json.RawMessage
	require.NoError(t, s.Unseal(v2, &raw))
	assert.Equal(t, []byte(raw), pt)

	notJSON := craftPlain(t, "", iv, pkcs7([]byte("{asdasd")))
	pt, err = s.UnsealPayload(notJSON)
	require.NoError(t, err)
	assert.Equal(t, "{asdasd", string(pt))
	requireRefused(t, s.Unseal(notJSON, &raw), errPayload)

	for name, c := range map[string]struct {
		token string
		want  *unsealError
	}{
		"invalid utf-8": {craftPlain(t, "", iv, pkcs7([]byte("{\"sub\":\"\xff\"}"))), errPayload},
		"tampered mac":  {tok[:len(tok)-10] + string(flip(tok[len(tok)-10])) + tok[len(tok)-9:], errMAC},
		"too long":      {strings.Repeat("A", DefaultMaxTokenLen+1), errTooLong},
		"seven parts":   {"Fe26.2******", errParts},
		"unknown id":    {strings.Replace(tok, "Fe26.2**", "Fe26.2*k9*", 1), errUnknownKey},
	} {
		t.Run(name, func(t *testing.T) {
			pt, err := s.UnsealPayload(c.token)
			requireRefused(t, err, c.want)
			assert.Nil(t, pt)
			requireRefused(t, s.Unseal(c.token, &raw), c.want)
		})
	}
	t.Run("expired", func(t *testing.T) {
		clock.ms += (time.Minute + DefaultSkew).Milliseconds()
		defer func() { clock.ms = v.Now }()
		_, err := s.UnsealPayload(tok)
		requireRefused(t, err, errExpired)
	})
}

// TestCBCMatchesCipher holds the written-out CBC loops of encryptCBC and
// decryptCBC to crypto/cipher's CBC modes, for random keys, IVs and every
// payload length up to six blocks.
func TestCBCMatchesCipher(t *testing.T) {
	for n := 0; n <= 6*aes.BlockSize; n++ {
		var key [keyBytes]byte
		iv := make([]byte, aes.BlockSize)
		pt := make([]byte, n)
		for _, b := range [][]byte{key[:], iv, pt} {
			_, err := rand.Read(b)
			require.NoError(t, err)
		}
		block, err := aes.NewCipher(key[:])
		require.NoError(t, err)

		padded := append(bytes.Clone(pt), bytes.Repeat([]byte{byte(paddedLen(n) - n)}, paddedLen(n)-n)...)
		want := make([]byte, len(padded))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, padded)
		ct, err := encryptCBC(make([]byte, paddedLen(n)), &key, iv, pt)
		require.NoError(t, err)
		require.Equal(t, want, ct, "encrypt, %d bytes", n)

		plain := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
		require.Equal(t, padded, plain)
		got, uerr := decryptCBC(make([]byte, len(ct)), &key, iv, ct)
		require.Nil(t, uerr)
		require.Equal(t, pt, got, "decrypt, %d bytes", n)
	}
}

// TestSealPayload checks SealPayload makes exactly Seal's token of the
// value whose JSON it is given (same salts, IV and clock), applies Seal's
// ttl rules and leaves the payload as it was.
func TestSealPayload(t *testing.T) {
	rnd := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	for _, v := range []any{
		"x", 42, []int{1, 2}, nil,
		map[string]any{"v": 1, "sub": "auth0|<user>&\u2028", "st": "AAECAw"},
		struct {
			A string `json:"a"`
			B []byte `json:"b"`
		}{"é\x01\"", []byte{0, 255}},
	} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(v))
		payload := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		kept := bytes.Clone(payload)

		want, err := newTestSealer(t, []Key{{ID: "k1", Password: testPassword}}, nil, rnd).Seal(v, 5*time.Minute)
		require.NoError(t, err)
		s := newTestSealer(t, []Key{{ID: "k1", Password: testPassword}}, nil, rnd)
		got, err := s.SealPayload(payload, 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s", payload)
		assert.Equal(t, kept, payload, "SealPayload changed its payload")
		opened, err := s.UnsealPayload(got)
		require.NoError(t, err)
		assert.Equal(t, payload, opened)
	}

	// Bytes that are not JSON are sealed as they are, trusted; Unseal then
	// refuses the token, as iron's unseal would.
	s := newTestSealer(t, []Key{{ID: "k1", Password: testPassword}}, nil, nil)
	for _, bad := range []string{"", "{", `{"a":1}x`, "nul", `{"a":1,}`} {
		tok, err := s.SealPayload([]byte(bad), time.Minute)
		require.NoError(t, err)
		var v any
		assert.ErrorIs(t, s.Unseal(tok, &v), ErrInvalid, "%q", bad)
	}
	for ttl, want := range map[time.Duration]string{-time.Second: "negative ttl", 500 * time.Microsecond: "below 1ms"} {
		_, err := s.SealPayload([]byte(`"x"`), ttl)
		require.ErrorContains(t, err, want)
	}
}
