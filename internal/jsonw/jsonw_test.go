package jsonw

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference is encoding/json's encoding of s, without the Encoder's
// newline.
func reference(t testing.TB, s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	require.NoError(t, enc.Encode(s))
	return strings.TrimSuffix(b.String(), "\n")
}

// TestAppendStringMatchesEncodingJSON holds AppendString to encoding/json
// on strings with every character class it treats differently: plain
// ASCII (long enough for the word-at-a-time path), quotes, backslashes,
// control characters, HTML characters, U+2028/U+2029, other multi-byte
// runes and invalid UTF-8.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "a", "auth0|5f7c8ec7c33c6c004bbafe82", strings.Repeat("plain text ", 9),
		`"quoted" \back\slash\`, "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
		"<script>&amp;</script>", "\u2028line\u2029para", "é日本語🙂", "\xff\xfe bad \xc3", "abcdefg\x00hijklmn<",
	}
	for c := range 256 {
		cases = append(cases, strings.Repeat("x", c%11)+string(rune(c))+strings.Repeat("y", 9), "abcdefgh"+string([]byte{byte(c)})+"ijklmnop")
	}
	for _, s := range cases {
		for _, html := range []bool{false, true} {
			assert.Equal(t, reference(t, s, html), string(AppendString([]byte("prefix:"), s, html))[len("prefix:"):], "%q, escapeHTML %v", s, html)
		}
	}
}

// FuzzAppendString holds AppendString to encoding/json on any string.
func FuzzAppendString(f *testing.F) {
	f.Add("auth0|demo", false)
	f.Add("<\u2028\xff\"\\\x00é", true)
	f.Fuzz(func(t *testing.T, s string, html bool) {
		if got, want := string(AppendString(nil, s, html)), reference(t, s, html); got != want {
			t.Fatalf("%q, escapeHTML %v: %s, want %s", s, html, got, want)
		}
	})
}

// TestWordTests holds the word-at-a-time tests to the byte tables: every
// byte value at every position among harmless bytes, every pair of byte
// values side by side (where borrows cross bytes), and random words.
func TestWordTests(t *testing.T) {
	isString := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }
	check := func(w uint64) {
		var json, html, str bool
		for i := range 8 {
			c := byte(w >> (8 * i))
			json = json || !jsonSafe[c]
			html = html || !htmlSafe[c]
			str = str || isString(c)
		}
		if jsonSpecial(w) != json || htmlSpecial(w) != html || StringSpecial(w) != str {
			t.Fatalf("word %#016x: jsonSpecial %v (want %v), htmlSpecial %v (want %v), StringSpecial %v (want %v)",
				w, jsonSpecial(w), json, htmlSpecial(w), html, StringSpecial(w), str)
		}
	}
	const plain = 0x6161616161616161 // "aaaaaaaa"
	for pos := range 8 {
		for c := range 256 {
			check(plain&^(0xff<<(8*pos)) | uint64(c)<<(8*pos))
		}
	}
	for pos := range 7 {
		for c := range 256 {
			for d := range 256 {
				check(plain&^(0xffff<<(8*pos)) | (uint64(c)|uint64(d)<<8)<<(8*pos))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 20 {
		check(r.Uint64())
	}
	assert.Equal(t, uint64(0x6867666564636261), load64("abcdefgh", 0))
	assert.Equal(t, uint64(0x6968676665646362), load64("abcdefghi", 1))
}
