package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// checkWith runs the local rules of p on pw for sub.
func checkWith(t *testing.T, p Policy, custom []string, maxBytes int, sub *verify.Subject, pw string) []Rule {
	t.Helper()
	require.NoError(t, p.Validate())
	cw, err := newCustomWords(custom)
	require.NoError(t, err)
	c, err := newChecker(p, cw, maxBytes)
	require.NoError(t, err)
	var rs []Rule
	for _, v := range c.check(normalize(pw), sub) {
		assert.NotContains(t, v.Detail, pw, "a violation never echoes the password")
		rs = append(rs, v.Rule)
	}
	return rs
}

func TestComplexityRules(t *testing.T) {
	all4 := []CharacterType{Lowercase, Uppercase, Number, Special}
	bare := func(f func(c *Complexity)) Policy {
		p, err := Preset(levelNone)
		require.NoError(t, err)
		f(&p.Complexity)
		return p
	}
	tests := []struct {
		name string
		p    Policy
		pw   string
		want []Rule
	}{
		{"min length in code points: 7 é", bare(func(c *Complexity) { c.MinLength = 8 }), "ééééééé", []Rule{RuleMinLength}},
		{"8 emoji meet 8", bare(func(c *Complexity) { c.MinLength = 8 }), "😀😀😀😀😀😀😀😀", nil},
		{"decomposed é counts once after NFKC", bare(func(c *Complexity) { c.MinLength = 3 }), "e\u0301e\u0301", []Rule{RuleMinLength}},
		{"all: missing number", bare(func(c *Complexity) { c.CharacterTypes = []CharacterType{Lowercase, Number} }), "abcdef", []Rule{RuleCharacterTypes}},
		{"all: satisfied", bare(func(c *Complexity) { c.CharacterTypes = []CharacterType{Lowercase, Number} }), "abc1", nil},
		{"unicode classes", bare(func(c *Complexity) { c.CharacterTypes = all4 }), "Ωω٣€", nil},
		{"space is special", bare(func(c *Complexity) { c.CharacterTypes = []CharacterType{Special} }), "a b", nil},
		{"three_of_four: two", bare(func(c *Complexity) { c.CharacterTypes, c.CharacterTypeRule = all4, ThreeOfFour }), "abcDEF", []Rule{RuleCharacterTypes}},
		{"three_of_four: three", bare(func(c *Complexity) { c.CharacterTypes, c.CharacterTypeRule = all4, ThreeOfFour }), "abcDEF!", nil},
		{"identical: aaa", bare(func(c *Complexity) { c.IdenticalCharacters = Block }), "xaaay", []Rule{RuleIdenticalCharacters}},
		{"identical: aa ok", bare(func(c *Complexity) { c.IdenticalCharacters = Block }), "xaayaa", nil},
		{"identical: case differs", bare(func(c *Complexity) { c.IdenticalCharacters = Block }), "aAa", nil},
		{"identical allowed", bare(func(*Complexity) {}), "aaaa", nil},
		{"sequential: abc", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "xabcx", []Rule{RuleSequentialCharacters}},
		{"sequential: CBA", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "xCBAx", []Rule{RuleSequentialCharacters}},
		{"sequential: CbA is not, case-sensitive as Auth0", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "xCbAx", nil},
		{"sequential: aBc is not", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "aBc", nil},
		{"sequential: 789", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "pw789", []Rule{RuleSequentialCharacters}},
		{"sequential: 210", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "210pw", []Rule{RuleSequentialCharacters}},
		{"sequential: ab1 is not", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "ab1ba", nil},
		{"sequential: ace is not", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "ace", nil},
		{"sequential: 9:; is not", bare(func(c *Complexity) { c.SequentialCharacters = Block }), "89:;", nil},
		{"every rule at once", bare(func(c *Complexity) {
			c.MinLength, c.CharacterTypes, c.IdenticalCharacters, c.SequentialCharacters = 20, []CharacterType{Special}, Block, Block
		}), "aaabc", []Rule{RuleMinLength, RuleCharacterTypes, RuleIdenticalCharacters, RuleSequentialCharacters}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, checkWith(t, tc.p, nil, 0, &alice, tc.pw))
		})
	}
	t.Run("bcrypt byte limit", func(t *testing.T) {
		p := bare(func(*Complexity) {})
		assert.Equal(t, []Rule{RuleMaxLength}, checkWith(t, p, nil, 72, &alice, strings.Repeat("€", 25)), "75 bytes")
		assert.Empty(t, checkWith(t, p, nil, 72, &alice, strings.Repeat("€", 24)), "72 bytes")
	})
}

func TestDictionary(t *testing.T) {
	p := DefaultPolicy()
	p.Complexity.MinLength = 1
	p.ProfileData = ProfileData{BlockedFields: []string{}}
	p100 := p
	p100.Dictionary.Default = En100k
	tests := []struct {
		name   string
		p      Policy
		custom []string
		pw     string
		broken bool
	}{
		{"top entry", p, nil, "123456", true},
		{"case-insensitive", p, nil, "PaSsWoRd", true},
		{"base word with digits", p, nil, "password1234567", true},
		{"base word with symbols", p, nil, "!!Sunshine2026!!", true},
		{"short base word ignored", p, nil, "abc123456789012", false},
		{"inner word not matched", p, nil, "my password is long", false},
		{"passphrase", p, nil, "correct horse battery staple", false},
		{"10k misses a 100k entry", p, nil, "abbeyroad", false},
		{"100k has it", p100, nil, "AbbeyRoad", true},
		{"non-ASCII list entry", p100, nil, "aª»", true},
		{"custom word", p, []string{"VerifyKit"}, "verifykit", true},
		{"custom word with year", p, []string{"VerifyKit"}, "Verifykit2026!", true},
		{"custom word, NFKC", p, []string{"ｖｅｒｉｆｙｋｉｔ"}, "verifykit", true},
		{"custom word inside", p, []string{"verifykit"}, "i use verifykit daily", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := checkWith(t, tc.p, tc.custom, 0, &alice, tc.pw)
			if tc.broken {
				assert.Equal(t, []Rule{RuleDictionary}, got)
			} else {
				assert.Empty(t, got)
			}
		})
	}
	t.Run("inactive", func(t *testing.T) {
		q := p
		q.Dictionary.Active = false
		assert.Empty(t, checkWith(t, q, []string{"verifykit"}, 0, &alice, "verifykit"), "custom words belong to the dictionary rule")
	})
}

func TestCustomWordLimits(t *testing.T) {
	_, err := newCustomWords(make([]string, 201))
	assert.ErrorContains(t, err, "201 custom words, out of range [0, 200]")
	_, err = newCustomWords([]string{strings.Repeat("é", 51)})
	assert.ErrorContains(t, err, "1 to 50 characters")
	_, err = newCustomWords([]string{""})
	assert.ErrorContains(t, err, "1 to 50 characters")
	_, err = newCustomWords([]string{"a\x00b"})
	assert.ErrorContains(t, err, "control character")
	w, err := newCustomWords([]string{strings.Repeat("é", 50), "Acme", "ACME"})
	require.NoError(t, err)
	assert.Equal(t, 2, w.len(), "folded and de-duplicated")
}

// TestEmbeddedLists pins the embedded data to its source: the first
// 100,000 lines of SecLists' 10-million-password-list-top-1000000.txt
// (sha256 below, as computed on the source file's first lines), en_10k
// being the first 10,000 of them.
func TestEmbeddedLists(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(en100kGz))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	assert.Equal(t, "84f9f01da3323b41cdc030f89f7fab65bf76a7e0d5265acabb715c2b3795f148", hex.EncodeToString(sum[:]))
	var first10k bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for i := 0; i < en10kLines && sc.Scan(); i++ {
		first10k.WriteString(sc.Text() + "\n")
	}
	sum = sha256.Sum256(first10k.Bytes())
	assert.Equal(t, "0279e0e7d854dc40460db18a7cf2e09fb661837dc0ae7d3b8dc6e783ba5d84b4", hex.EncodeToString(sum[:]))

	l10, err := list(En10k)
	require.NoError(t, err)
	l100, err := list(En100k)
	require.NoError(t, err)
	// Case folding merges some entries ("Password1", "password1").
	assert.Equal(t, 9913, l10.len())
	assert.Equal(t, 96518, l100.len())
	for i := range l10.len() {
		w := l10.at(i)
		require.True(t, l100.contains(w), "en_10k ⊂ en_100k: %q", w)
		if i > 0 {
			require.Less(t, l10.at(i-1), w, "sorted and unique")
		}
	}
	_, err = list("en_1m")
	assert.Error(t, err)
}

func TestProfileData(t *testing.T) {
	p := DefaultPolicy()
	p.Complexity.MinLength = 1
	p.Dictionary.Active = false
	p.ProfileData.BlockedFields = []string{"name", "email", "username", "nickname", "user_metadata.city"}
	sub := alice
	sub.Profile = map[string]string{"nickname": "rabbithole", "user_metadata.city": "Oxford"}
	tests := []struct {
		name   string
		pw     string
		fields string // the detail's field list; "" when not broken
	}{
		{"email local part + 2026!", "alice.liddell2026!", "name, email"},
		{"one part of the local part", "xxLIDDELLxx", "name, email"},
		{"username", "down the wonderland hole", "username"},
		{"nickname, case-insensitive", "RabbitHole!", "nickname"},
		{"custom profile key", "i love oxford", "user_metadata.city"},
		{"NFKC fullwidth", "ａｌｉｃｅ123456", "name, email"},
		{"two-letter parts ignored", "al li ce", ""},
		{"unrelated", "correct horse battery staple", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newChecker(p, nil, 0)
			require.NoError(t, err)
			vs := c.check(normalize(tc.pw), &sub)
			if tc.fields == "" {
				assert.Empty(t, vs)
				return
			}
			require.Len(t, vs, 1)
			assert.Equal(t, RuleProfileData, vs[0].Rule)
			assert.Equal(t, "must not contain your personal data ("+tc.fields+")", vs[0].Detail)
		})
	}
	t.Run("digits parts", func(t *testing.T) {
		assert.Equal(t, []string{"jsmith", "1987"}, profileParts("jsmith1987"))
		assert.Equal(t, []string{"josé"}, profileParts(fold("José")))
		assert.Empty(t, profileParts("a.b-c_de"))
	})
	t.Run("no subject data", func(t *testing.T) {
		c, err := newChecker(p, nil, 0)
		require.NoError(t, err)
		assert.Empty(t, c.check("anything at all", &verify.Subject{ID: "u"}))
	})
}

func TestCheckInput(t *testing.T) {
	tests := []struct {
		name   string
		pw     string
		detail string // "" when valid
	}{
		{"one character", "x", ""},
		{"256 code points", strings.Repeat("€", 256), ""},
		{"empty", "", "new_password must be 1 to 256 characters"},
		{"257 code points", strings.Repeat("a", 257), "new_password must be 1 to 256 characters"},
		{"1 MiB", strings.Repeat("a", 1<<20), "new_password must be at most 256 characters"},
		{"NUL", "abc\x00def", "new_password must not contain control characters"},
		{"newline", "abc\ndef", "new_password must not contain control characters"},
		{"DEL", "abc\x7fdef", "new_password must not contain control characters"},
		{"C1", "abc\u0085def", "new_password must not contain control characters"},
		{"invalid UTF-8", "abc\xffdef", "new_password must be valid UTF-8"},
		{"space and Unicode", "  ünï cødé 😀 ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkInput(tc.pw)
			if tc.detail == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, verify.ErrInvalidRequest)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, verify.FieldError{Field: "new_password", Pointer: "/new_password", Detail: tc.detail}, ve.Fields[0])
		})
	}
}

func TestMergeViolations(t *testing.T) {
	a := []Violation{{RuleDictionary, "d"}, {RuleMinLength, "15"}}
	b := []Violation{{RuleMinLength, "20"}, {RuleDictionary, "d"}, {RuleCharacterTypes, "c"}}
	assert.Equal(t, []Violation{{RuleMinLength, "15"}, {RuleMinLength, "20"}, {RuleCharacterTypes, "c"}, {RuleDictionary, "d"}},
		mergeViolations(a, b))
}
