package session

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sealing rows of SECURITY-CHECKLIST (AS-*), one test each. AS-09's
// library max-TTL rule and AS-10's refusal of expiry-less sessions for
// enrollment are verify.Service's too (it checks the exp in the payload
// against MaxSessionTTL); this package pins the sealing side.

// AS-01: seals are byte-for-byte compatible with @hapi/iron.
//
// The hapi/iron "unseals a ticket" vector; the Go → node round
// trip is TestInteropIron.
func TestHapiIronTicketUnsealsByteForByte(t *testing.T) {
	v, _, _, unseal := vectorSealer(t)
	raw, err := unseal(v.vector(t, "H1"))
	require.NoError(t, err)
	assert.Equal(t, `{"a":1,"b":2,"c":[3,4,5],"d":{"e":"f"}}`, string(raw))
}

// AS-02: a token has exactly 8 parts.
func TestTokenWithoutEightPartsIsRefused(t *testing.T) {
	v, _, _, unseal := vectorSealer(t)
	v1 := v.vector(t, "V1")
	p := splitToken(v1)
	for name, tok := range map[string]string{
		"empty":            "",
		"7 parts":          strings.Join(p[:7], "*"),
		"9 parts":          v1 + "*",
		"x*Fe26.2 vector":  v.Invalid[1].Token,
		"6 stars":          "******",
		"1 part":           "Fe26.2",
		"15 parts":         v1 + "*" + strings.Join(p[1:], "*"),
		"7 parts, no hmac": strings.Join(p[:6], "*") + "*" + p[7],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := unseal(tok)
			requireRefused(t, err, errParts)
		})
	}
	_, err := unseal("*******") // 8 empty components: counted, then the prefix fails
	requireRefused(t, err, errPrefix)
}

// AS-03: the prefix is exactly "Fe26.2".
func TestTokenWithAnotherPrefixIsRefused(t *testing.T) {
	v, _, _, unseal := vectorSealer(t)
	v1 := v.vector(t, "V1")
	rest := strings.TrimPrefix(v1, ironPrefix)
	for _, prefix := range []string{"Fe26.1", "fe26.2", "Fe27.2", "Fe26.2 ", " Fe26.2", "", "Fe26.22", "FE26.2"} {
		_, err := unseal(prefix + rest)
		requireRefused(t, err, errPrefix)
	}
	_, err := unseal(v.Invalid[2].Token) // iron's "Fe27.2" vector
	requireRefused(t, err, errPrefix)
}

// AS-04: any change to a token fails its MAC.
//
// Flip every character of V2 and V3 (an id, an expiration, all
// eight parts) to another character of the same alphabet: each
// mutation fails, and from part 2 on it fails at the MAC (or at
// strict decoding for a base64url character's unused bits).
func TestAnyMutationOfATokenFailsTheMAC(t *testing.T) {
	v, clock, _, unseal := vectorSealer(t)
	v1 := v.vector(t, "V1")
	v3 := v.vector(t, "V3")
	sk := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}, {ID: "k2", Password: testPassword}}, clock, nil)
	for _, tok := range []string{v.vector(t, "V2"), v3} {
		macStart := strings.LastIndexByte(tok, '*') + 1
		for i := range len(tok) {
			if tok[i] == '*' {
				continue
			}
			mutated := tok[:i] + string(flip(tok[i])) + tok[i+1:]
			raw, err := sk.Open(mutated)
			requireRefused(t, err, nil)
			assert.Nil(t, raw)
			part := strings.Count(tok[:i], "*")
			switch {
			case part == 0:
				assert.Equal(t, errPrefix.reason, reasonOf(err))
			case part == 1:
				// k1 → k2 (same password!) or an unknown id: the id is
				// under the MAC.
				assert.Contains(t, []string{errMAC.reason, errUnknownKey.reason}, reasonOf(err), "id %q", mutated)
			case i >= macStart-1 || part == 3 || part == 4:
				assert.Contains(t, []string{errMAC.reason, errMACSyntax.reason, errIV.reason, errCiphertext.reason}, reasonOf(err), "offset %d", i)
			default:
				assert.Equal(t, errMAC.reason, reasonOf(err), "offset %d (part %d)", i, part)
			}
		}
	}

	// Forge an expiration onto a no-TTL ticket, or strip or change it.
	p := splitToken(v1)
	p[5] = "1700000300000"
	_, err := unseal(strings.Join(p, "*"))
	requireRefused(t, err, errMAC)
	p = splitToken(v3)
	p[5] = ""
	_, err = unseal(strings.Join(p, "*"))
	requireRefused(t, err, errMAC)
	p[5] = "9999999999999999"
	_, err = unseal(strings.Join(p, "*"))
	requireRefused(t, err, errMAC)

	// iron's "integrity check fails" static vector.
	_, err = unseal(v.Invalid[0].Token)
	requireRefused(t, err, nil)
}

// AS-05: the MAC is checked before any decryption (no padding oracle).
func TestMACIsCheckedBeforeDecryption(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	encSalt := strings.Repeat("0123456789abcdef", 4)
	macSalt := strings.Repeat("fedcba9876543210", 4)
	iv16 := make([]byte, 16)
	for i := range iv16 {
		iv16[i] = byte(i)
	}
	v1 := v.vector(t, "V1")
	spy := newTestSealer(t, []Key{{Password: testPassword}}, clock, nil)
	salts := derivations(spy)

	// Mangled ciphertext and MAC: refused at the MAC, never decrypted:
	// the encryption key is not even derived.
	p := splitToken(v1)
	p[4] = "A" + p[4][1:]
	p[7] = "A" + p[7][1:]
	_, macErr := spy.Open(strings.Join(p, "*"))
	requireRefused(t, macErr, errMAC)
	assert.Equal(t, []string{macSalt}, *salts, "only the integrity key is derived")

	// Bad padding behind a valid MAC: decrypted, refused with the
	// same error text.
	*salts = nil
	_, padErr := spy.Open(craftPlain(t, "", iv16, []byte("0123456789abcdef")))
	requireRefused(t, padErr, errPadding)
	assert.Equal(t, []string{macSalt, encSalt}, *salts, "the integrity key first, then the encryption key")

	assert.Equal(t, macErr.Error(), padErr.Error())
	for _, err := range []error{macErr, padErr} {
		for _, word := range []string{"padding", "decrypt", "pkcs", "cipher", "mac"} {
			assert.NotContains(t, strings.ToLower(err.Error()), word)
		}
	}
}

// AS-06: the MAC is compared in constant time.
//
// A MAC of another length is refused without panicking.
func TestMACIsComparedInConstantTime(t *testing.T) {
	v, _, _, unseal := vectorSealer(t)
	v1 := v.vector(t, "V1")
	p := splitToken(v1)
	mac := p[7]
	for _, m := range []string{"", mac[:42], mac + "A", mac + mac, mac[:22], strings.Repeat("A", 44)} {
		p[7] = m
		_, err := unseal(strings.Join(p, "*"))
		requireRefused(t, err, errMACSyntax)
	}
	// Static check: MAC values are compared only with hmac.Equal.
	checkMACComparisons(t)
}

// AS-07: bad CBC sizes and padding behind a valid MAC are refused without a panic.
func TestBadCiphertextBehindAValidMACIsRefused(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	iv16 := make([]byte, 16)
	for i := range iv16 {
		iv16[i] = byte(i)
	}
	unseal := func(tok string) (string, error) {
		pt, err := s.Open(tok)
		return string(pt), err
	}
	block := []byte("0123456789abcdef")
	for _, c := range []struct {
		name string
		tok  string
		want *openError
	}{
		{"iv 15 bytes", craftIV(t, iv16[:15]), errIV},
		{"iv 17 bytes", craftIV(t, append(iv16, 16)), errIV},
		{"iv empty", craftIV(t, nil), errIV},
		{"ciphertext 17 bytes", craftCT(t, make([]byte, 17)), errCiphertext},
		{"ciphertext 15 bytes", craftCT(t, make([]byte, 15)), errCiphertext},
		{"ciphertext empty", craftCT(t, nil), errCiphertext},
		{"padding 0x00", craftPlain(t, "", iv16, append([]byte("0123456789abcde"), 0x00)), errPadding},
		{"padding 0x11", craftPlain(t, "", iv16, append([]byte("0123456789abcde"), 0x11)), errPadding},
		{"padding 0xff", craftPlain(t, "", iv16, append(block, append([]byte("0123456789abcde"), 0xff)...)), errPadding},
		{"padding inconsistent", craftPlain(t, "", iv16, append([]byte("0123456789abc"), 0x03, 0x02, 0x03)), errPadding},
		{"padding inconsistent far", craftPlain(t, "", iv16, append(block[:1], 0x01, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15)), errPadding},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NotPanics(t, func() {
				_, err := unseal(c.tok)
				requireRefused(t, err, c.want)
			})
		})
	}
	// The valid twins of the crafted tickets open, so the MACs above
	// were valid and the failures are the CBC checks; a whole block of
	// padding opens to an empty payload.
	raw, err := unseal(craftPlain(t, "", iv16, pkcs7([]byte(`{"ok":true}`))))
	require.NoError(t, err)
	assert.Equal(t, `{"ok":true}`, raw)
	raw, err = unseal(craftPlain(t, "", iv16, pkcs7(nil)))
	require.NoError(t, err)
	assert.Empty(t, raw)
}

// AS-08: every part is strict, unpadded base64url.
func TestNonCanonicalBase64URLIsRefused(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	macSalt := strings.Repeat("fedcba9876543210", 4)
	unseal := func(tok string) (string, error) {
		pt, err := s.Open(tok)
		return string(pt), err
	}
	v1 := v.vector(t, "V1")
	p := splitToken(v1)
	base := func(iv, ct string) string { return strings.Join([]string{p[0], p[1], p[2], iv, ct, ""}, "*") }
	for _, c := range []struct {
		name string
		tok  string
		want *openError
	}{
		// iron's "iv base64 decoding fails" / "decryption fails" constructions.
		{"iv with ??", craft(t, testPassword, base(p[3]+"??", p[4]), v.BadIVMacSalt), errIV},
		{"ciphertext with ??", craft(t, testPassword, base(p[3], p[4]+"??"), v.BadIVMacSalt), errCiphertext},
		{"ciphertext with +", craft(t, testPassword, base(p[3], strings.Replace(p[4], "-", "+", 1)), macSalt), errCiphertext},
		{"ciphertext with /", craft(t, testPassword, base(p[3], strings.Replace(p[4], "_", "/", 1)), macSalt), errCiphertext},
		{"ciphertext padded", craft(t, testPassword, base(p[3], p[4]+"=="), macSalt), errCiphertext},
		{"ciphertext with newline", craft(t, testPassword, base(p[3], p[4][:10]+"\n"+p[4][10:]), macSalt), errCiphertext},
		{"ciphertext with CR", craft(t, testPassword, base(p[3], p[4][:10]+"\r"+p[4][10:]), macSalt), errCiphertext},
		{"iv padded", craft(t, testPassword, base(p[3][:20]+"==", p[4]), macSalt), errIV},
		{"iv std alphabet", craft(t, testPassword, base("AAECAwQFBgcICQoLDA0O+w", p[4]), macSalt), errIV},
		{"iv unused bits set", craft(t, testPassword, base(p[3][:21]+"x", p[4]), macSalt), errIV},
		{"mac with + ", strings.Join(append(p[:7:7], strings.Replace(p[7], "e", "+", 1)), "*"), errMACSyntax},
		{"mac padded", strings.Join(append(p[:7:7], p[7]+"="), "*"), errMACSyntax},
		{"salt uppercase", craft(t, testPassword, strings.Join([]string{p[0], p[1], strings.ToUpper(p[2]), p[3], p[4], ""}, "*"), macSalt), errSalt},
		{"salt not hex", craft(t, testPassword, strings.Join([]string{p[0], p[1], strings.Repeat("g", 64), p[3], p[4], ""}, "*"), macSalt), errSalt},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := unseal(c.tok)
			requireRefused(t, err, c.want)
		})
	}
}

// AS-09: the expiry is well-formed and enforced with bounded skew.
//
// iron's "expired" and "exp NaN" constructions, MAC'd with the
// test password.
func TestExpiredTokenIsRefused(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	macSalt := strings.Repeat("fedcba9876543210", 4)
	unseal := func(tok string) (string, error) {
		pt, err := s.Open(tok)
		return string(pt), err
	}
	v3 := v.vector(t, "V3")
	expired := craft(t, testPassword, v.ExpiredBase, v.ExpiredMacSalt)
	_, err := unseal(expired)
	requireRefused(t, err, errExpired)
	require.ErrorIs(t, err, ErrExpired)

	p := splitToken(v.ExpiredBase)
	for _, exp := range []string{"a", "+1", "-1", "1e3", " 1", "1 ", "0x10", "1.5", "١٢٣", strings.Repeat("9", 17), strings.Repeat("9", 25)} {
		p[5] = exp
		_, err := unseal(craft(t, testPassword, strings.Join(p, "*"), v.ExpiredMacSalt))
		requireRefused(t, err, errExpSyntax)
		assert.NotErrorIs(t, err, ErrExpired)
	}

	// Boundary, pinned: expired once now ≥ exp + skew.
	const exp = 1700000300000
	at := func(ms int64, tok string) error {
		_, err := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: ms}, nil).Open(tok)
		return err
	}
	require.NoError(t, at(exp+59_999, v3))
	requireRefused(t, at(exp+60_000, v3), errExpired)
	// A configured skew of 1 s.
	tight, err := NewSealer(Config{Keys: []Key{{Password: testPassword}}, Now: (&fixedClock{ms: exp + 999}).Now, Skew: time.Second})
	require.NoError(t, err)
	_, err = tight.Open(v3)
	require.NoError(t, err)
	tight, err = NewSealer(Config{Keys: []Key{{Password: testPassword}}, Now: (&fixedClock{ms: exp + 1000}).Now, Skew: time.Second})
	require.NoError(t, err)
	refuse(t, tight, v3, errExpired)

	// The largest expiration is accepted, not overflowed.
	p = splitToken(v3)
	p[5] = "9999999999999999"
	raw, err := unseal(craft(t, testPassword, strings.Join(p[:6], "*"), macSalt))
	require.NoError(t, err)
	assert.NotEmpty(t, raw)
}

// AS-10: a token without a TTL is not accepted for enrollment; the TTL cannot be stripped.
//
// Seal with ttl 0 makes iron's no-expiry form, which Open
// accepts (verify.Service refuses a payload without its own exp);
// the expiration is under the MAC, so a TTL cannot be stripped.
func TestTTLIsUnderTheMAC(t *testing.T) {
	v, _, s, unseal := vectorSealer(t)
	v3 := v.vector(t, "V3")
	tok, err := s.Seal([]byte(`{"exp":0}`), 0)
	require.NoError(t, err)
	assert.Empty(t, splitToken(tok)[5])
	_, err = unseal(tok)
	require.NoError(t, err)
	p := splitToken(v3)
	p[5] = ""
	_, err = unseal(strings.Join(p, "*"))
	requireRefused(t, err, errMAC)
}

// AS-11: sealing keys are at least 32 characters and not placeholders.
func TestShortOrPlaceholderSealingKeysAreRefused(t *testing.T) {
	for _, pw := range []string{"", "short", strings.Repeat("k", 31), strings.Repeat("abcd", 8), "0123456" + strings.Repeat("0", 40)} {
		_, err := NewSealer(Config{Keys: []Key{{Password: pw}}})
		require.Error(t, err, "password %q", pw)
		if pw != "" {
			assert.NotContains(t, err.Error(), pw)
		}
	}
	_, err := NewSealer(Config{Keys: []Key{{Password: "kR3x9vQ2mL7pW4tZ8nB6cF1hJ5dS0gYa"}}})
	require.NoError(t, err)
}

// AS-12: key ids allow rotation; an unknown key id is refused.
func TestKeyRotationOpensOldTokensAndRefusesUnknownKeyIDs(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	pw24, pw25 := "k2024_password_0123456789abcdefgh", "k2025_password_0123456789abcdefgh"
	s24 := newTestSealer(t, []Key{{ID: "k2024", Password: pw24}}, clock, nil)
	tok, err := s24.Seal([]byte(`"x"`), time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "k2024", splitToken(tok)[1])
	refuse(t, newTestSealer(t, []Key{{ID: "k2025", Password: pw25}}, clock, nil), tok, errUnknownKey)
	both := newTestSealer(t, []Key{{ID: "k2025", Password: pw25}, {ID: "k2024", Password: pw24}}, clock, nil)
	got, err := both.Open(tok)
	require.NoError(t, err)
	assert.Equal(t, `"x"`, string(got))
	tok25, err := both.Seal([]byte(`"y"`), time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "k2025", splitToken(tok25)[1], "the first key seals")
	// A retired key is gone: its tokens are refused.
	refuse(t, newTestSealer(t, []Key{{ID: "k2025", Password: pw25}}, clock, nil), tok, errUnknownKey)
	// The same password under another id does not open it either.
	refuse(t, newTestSealer(t, []Key{{ID: "k2023", Password: pw24}}, clock, nil), tok, errUnknownKey)

	_, err = NewSealer(Config{Keys: []Key{{ID: "k-1", Password: pw24}}})
	require.ErrorContains(t, err, "does not match ^\\w+$")

	// An id-less token resolves to the key "" or else "default",
	// and to no other.
	idless, err := newTestSealer(t, []Key{{Password: pw24}}, clock, nil).Seal([]byte(`"z"`), 0)
	require.NoError(t, err)
	_, err = newTestSealer(t, []Key{{ID: "default", Password: pw24}}, clock, nil).Open(idless)
	require.NoError(t, err)
	refuse(t, newTestSealer(t, []Key{{ID: "k2024", Password: pw24}}, clock, nil), idless, errUnknownKey)
	// A "default" token does not fall back to the id-less key.
	deflt, err := newTestSealer(t, []Key{{ID: "default", Password: pw24}}, clock, nil).Seal([]byte(`"z"`), 0)
	require.NoError(t, err)
	refuse(t, newTestSealer(t, []Key{{Password: pw24}}, clock, nil), deflt, errUnknownKey)
}

// AS-16: the token length is capped before any key derivation.
func TestOversizedTokenIsRefusedBeforeKeyDerivation(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	encSalt := strings.Repeat("0123456789abcdef", 4)
	macSalt := strings.Repeat("fedcba9876543210", 4)
	v1 := v.vector(t, "V1")
	spy := newTestSealer(t, []Key{{Password: testPassword}}, clock, nil)
	salts := derivations(spy)
	p := splitToken(v1)
	withSalt := func(salt string) string {
		q := append([]string(nil), p...)
		q[6] = salt
		return strings.Join(q, "*")
	}
	for _, c := range []struct {
		name string
		tok  string
		want *openError
	}{
		{"1 MiB token", strings.Repeat("A", 1<<20), errTooLong},
		{"1 MiB valid-looking token", v1 + strings.Repeat("A", 1<<20), errTooLong},
		{"4097 bytes", v1 + strings.Repeat("A", 4097-len(v1)), errTooLong},
		{"100 KiB hmac salt", withSalt(strings.Repeat("a", 100<<10)), errTooLong},
		{"65-char hmac salt", withSalt(macSalt + "a"), errSalt},
		{"63-char hmac salt", withSalt(macSalt[:63]), errSalt},
		{"empty hmac salt", withSalt(""), errSalt},
		{"long enc salt", strings.Replace(v1, encSalt, encSalt+encSalt, 1), errSalt},
	} {
		*salts = nil
		refuse(t, spy, c.tok, c.want)
		assert.Empty(t, *salts, "%s: no key derived", c.name)
	}
	// Under a larger cap, a 60 KiB salt is still refused before PBKDF2.
	big, err := NewSealer(Config{Keys: []Key{{Password: testPassword}}, MaxTokenLen: maxMaxTokenLen})
	require.NoError(t, err)
	salts = derivations(big)
	refuse(t, big, withSalt(strings.Repeat("a", 60<<10)), errSalt)
	assert.Empty(t, *salts)
}

// AS-17: the payload is returned, and parsed, only after the MAC verifies.
//
// Behind a valid MAC the payload comes back as it was sealed,
// undecoded, whatever it is; parsing it strictly is the caller's,
// once (verify TestSessionPayloadStrict). Behind a bad MAC nothing
// comes back.
func TestPayloadComesBackOnlyBehindAValidMAC(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	iv16 := make([]byte, 16)
	for i := range iv16 {
		iv16[i] = byte(i)
	}
	unseal := func(tok string) (string, error) {
		pt, err := s.Open(tok)
		return string(pt), err
	}
	for _, pt := range []string{"{asdasd", `{"sub":1}`, `{"sub":"a","x":1}`, `{"sub":"a"} {}`, "{\"sub\":\"\xff\"}", ""} {
		tok := craftPlain(t, "", iv16, pkcs7([]byte(pt)))
		got, err := unseal(tok)
		require.NoError(t, err)
		assert.Equal(t, pt, got)
		refuse(t, s, tok[:len(tok)-10]+string(flip(tok[len(tok)-10]))+tok[len(tok)-9:], errMAC)
	}
}

// AS-18: every seal uses fresh salts and a fresh IV.
func TestEverySealHasFreshSaltsAndIV(t *testing.T) {
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	seen := map[string]map[string]bool{}
	for range 20 {
		tok, err := s.Seal([]byte(`{"same":"payload"}`), time.Minute)
		require.NoError(t, err)
		p := splitToken(tok)
		for _, i := range []int{2, 3, 4, 6, 7} {
			key := string(rune('0' + i))
			if seen[key] == nil {
				seen[key] = map[string]bool{}
			}
			assert.False(t, seen[key][p[i]], "part %d repeated", i)
			seen[key][p[i]] = true
		}
	}
}

// flip returns another character of c's alphabet (base64url, hex or digit).
func flip(c byte) byte {
	switch {
	case c >= '0' && c <= '8', c >= 'a' && c <= 'e', c >= 'A' && c <= 'Y':
		return c + 1
	case c == '9':
		return '0'
	case c == 'f':
		return 'a'
	case c == 'Z':
		return 'A'
	case c >= 'g' && c <= 'z':
		return c - 1
	case c == '-':
		return '_'
	case c == '_':
		return '-'
	case c == '.':
		return ','
	}
	return c ^ 1
}

// craftIV returns a ticket with a valid MAC whose iv component is iv.
func craftIV(t *testing.T, iv []byte) string {
	t.Helper()
	encSalt := strings.Repeat("0123456789abcdef", 4)
	base := strings.Join([]string{ironPrefix, "", encSalt, b64.EncodeToString(iv), b64.EncodeToString(make([]byte, 32)), ""}, "*")
	return craft(t, testPassword, base, strings.Repeat("fedcba9876543210", 4))
}

// craftCT returns a ticket with a valid MAC whose ciphertext is ct.
func craftCT(t *testing.T, ct []byte) string {
	t.Helper()
	encSalt := strings.Repeat("0123456789abcdef", 4)
	base := strings.Join([]string{ironPrefix, "", encSalt, b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(ct), ""}, "*")
	return craft(t, testPassword, base, strings.Repeat("fedcba9876543210", 4))
}

// checkMACComparisons parses the package's non-test sources and fails on
// any bytes.Equal, bytes.Compare, strings.Compare or subtle compare, and on
// any == or != whose operand names a MAC value (anything but a length), so
// MAC values are compared only with hmac.Equal (SECURITY-CHECKLIST AS-06).
func checkMACComparisons(t *testing.T) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	hmacEquals := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok {
					switch x.Name + "." + n.Sel.Name {
					case "bytes.Equal", "bytes.Compare", "strings.Compare", "strings.EqualFold", "bytes.EqualFold":
						t.Errorf("%s: %s.%s: compare MACs with hmac.Equal", fset.Position(n.Pos()), x.Name, n.Sel.Name)
					case "hmac.Equal":
						hmacEquals++
					}
				}
			case *ast.BinaryExpr:
				if n.Op != token.EQL && n.Op != token.NEQ {
					return true
				}
				for _, operand := range []ast.Expr{n.X, n.Y} {
					if id := rootIdent(operand); id != "" && strings.Contains(strings.ToLower(id), "mac") && !strings.HasSuffix(id, "Len") {
						t.Errorf("%s: %s compared with %s: compare MACs with hmac.Equal", fset.Position(n.Pos()), id, n.Op)
					}
				}
			}
			return true
		})
	}
	assert.Equal(t, 1, hmacEquals, "one constant-time MAC comparison")
}

// rootIdent names the variable an expression reads (x, x.f, x[i], x[a:b],
// *x, string(x)), or "" for calls such as len(x) and for literals.
func rootIdent(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return rootIdent(e.X) + "." + e.Sel.Name
	case *ast.IndexExpr:
		return rootIdent(e.X)
	case *ast.SliceExpr:
		return rootIdent(e.X)
	case *ast.StarExpr:
		return rootIdent(e.X)
	case *ast.ParenExpr:
		return rootIdent(e.X)
	case *ast.CallExpr:
		// Conversions such as string(mac) compare the value itself.
		if f, ok := e.Fun.(*ast.Ident); ok && (f.Name == "string" || f.Name == "[]byte") && len(e.Args) == 1 {
			return rootIdent(e.Args[0])
		}
	}
	return ""
}

// vectorSealer is the setup of the tamper tests: the iron vectors, a clock
// at their time, a Sealer with iron's id-less key and "k1" (both the test
// password), and unseal, its Open as a string.
func vectorSealer(t *testing.T) (*ironVectors, *fixedClock, *Sealer, func(string) (string, error)) {
	t.Helper()
	v := loadVectors(t)
	clock := &fixedClock{ms: v.Now}
	s := newTestSealer(t, []Key{{Password: testPassword}, {ID: "k1", Password: testPassword}}, clock, nil)
	return v, clock, s, func(tok string) (string, error) {
		pt, err := s.Open(tok)
		return string(pt), err
	}
}
