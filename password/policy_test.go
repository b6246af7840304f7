package password

import (
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(p *Policy)
		wantErr string // substring of the error naming the range; "" for valid
	}{
		{"default", func(*Policy) {}, ""},
		{"min_length 0", func(p *Policy) { p.Complexity.MinLength = 0 }, "min_length 0 out of range [1, 128]"},
		{"min_length 129", func(p *Policy) { p.Complexity.MinLength = 129 }, "out of range [1, 128]"},
		{"min_length 128", func(p *Policy) { p.Complexity.MinLength = 128 }, ""},
		{"nil character_types", func(p *Policy) { p.Complexity.CharacterTypes = nil }, "character_types is required"},
		{"unknown type", func(p *Policy) { p.Complexity.CharacterTypes = []CharacterType{"emoji"} }, `unknown type "emoji"`},
		{"duplicate type", func(p *Policy) { p.Complexity.CharacterTypes = []CharacterType{Number, Number} }, "listed twice"},
		{"three_of_four with 3 types", func(p *Policy) {
			p.Complexity.CharacterTypes = []CharacterType{Number, Uppercase, Lowercase}
			p.Complexity.CharacterTypeRule = ThreeOfFour
		}, "requires all four"},
		{"bad rule", func(p *Policy) { p.Complexity.CharacterTypeRule = "most" }, "character_type_rule"},
		{"bad identical", func(p *Policy) { p.Complexity.IdenticalCharacters = "maybe" }, "identical_characters"},
		{"bad sequential", func(p *Policy) { p.Complexity.SequentialCharacters = "" }, "sequential_characters"},
		{"truncate refused", func(p *Policy) { p.Complexity.MaxLengthExceeded = maxLengthTruncate }, "truncate is not supported"},
		{"bad max_length_exceeded", func(p *Policy) { p.Complexity.MaxLengthExceeded = "clip" }, "max_length_exceeded"},
		{"nil blocked_fields", func(p *Policy) { p.ProfileData.BlockedFields = nil }, "blocked_fields is required"},
		{"active without fields", func(p *Policy) { p.ProfileData.BlockedFields = []string{} }, "no blocked_fields"},
		{"13 fields", func(p *Policy) {
			p.ProfileData.BlockedFields = strings.Split("a,b,c,d,e,f,g,h,i,j,k,l,m", ",")
		}, "out of range [0, 12]"},
		{"field with space", func(p *Policy) { p.ProfileData.BlockedFields = []string{"first name"} }, "blocked_fields[0]"},
		{"dotted field", func(p *Policy) { p.ProfileData.BlockedFields = []string{"user_metadata.first"} }, ""},
		{"duplicate field", func(p *Policy) { p.ProfileData.BlockedFields = []string{"name", "name"} }, "listed twice"},
		{"history size 25", func(p *Policy) { p.History = History{Active: true, Size: 25} }, "history.size 25 out of range [1, 24]"},
		{"history size 0 active", func(p *Policy) { p.History = History{Active: true, Size: 0} }, "out of range [1, 24]"},
		{"history size 24", func(p *Policy) { p.History = History{Active: true, Size: 24} }, ""},
		{"inactive with size", func(p *Policy) { p.History = History{Active: false, Size: 3} }, "must be 0"},
		{"bad dictionary", func(p *Policy) { p.Dictionary.Default = "en_1m" }, "dictionary.default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.edit(&p)
			err := p.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestPresets(t *testing.T) {
	tests := []struct {
		level string
		want  Complexity
	}{
		{levelNone, Complexity{MinLength: 1, CharacterTypes: []CharacterType{}, CharacterTypeRule: AllTypes, IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError}},
		{levelLow, Complexity{MinLength: 6, CharacterTypes: []CharacterType{}, CharacterTypeRule: AllTypes, IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError}},
		{levelFair, Complexity{MinLength: 8, CharacterTypes: []CharacterType{Lowercase, Uppercase, Number}, CharacterTypeRule: AllTypes, IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError}},
		{levelGood, Complexity{MinLength: 8, CharacterTypes: []CharacterType{Lowercase, Uppercase, Number, Special}, CharacterTypeRule: ThreeOfFour, IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError}},
		{levelExcellent, Complexity{MinLength: 10, CharacterTypes: []CharacterType{Lowercase, Uppercase, Number, Special}, CharacterTypeRule: ThreeOfFour, IdenticalCharacters: Block, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError}},
	}
	for _, tc := range tests {
		t.Run(string(tc.level), func(t *testing.T) {
			p, err := Preset(tc.level)
			require.NoError(t, err)
			require.NoError(t, p.Validate())
			assert.Equal(t, tc.want, p.Complexity)
			assert.False(t, p.Dictionary.Active || p.History.Active || p.ProfileData.Active)
		})
	}
	_, err := Preset("strong")
	assert.ErrorContains(t, err, `unknown level "strong"`)

	// What each level accepts and refuses, per Auth0's description.
	check := func(l string, pw string) []Rule {
		p, err := Preset(l)
		require.NoError(t, err)
		c, err := newChecker(p, nil, 0)
		require.NoError(t, err)
		var rs []Rule
		for _, v := range c.check(normalize(pw), &alice) {
			rs = append(rs, v.Rule)
		}
		return rs
	}
	assert.Empty(t, check(levelNone, "a"))
	assert.Equal(t, []Rule{RuleMinLength}, check(levelLow, "abcde"))
	assert.Equal(t, []Rule{RuleCharacterTypes}, check(levelFair, "abcdefgh1"))
	assert.Empty(t, check(levelFair, "Abcdefgh1"))
	assert.Equal(t, []Rule{RuleCharacterTypes}, check(levelGood, "Abcdefghij"))
	assert.Empty(t, check(levelGood, "abcdefgh1!"))
	assert.Equal(t, []Rule{RuleMinLength}, check(levelExcellent, "Abcdefg1!"))
	assert.Equal(t, []Rule{RuleIdenticalCharacters}, check(levelExcellent, "Abcdefg111!"))
}

func TestPolicyJSONMatchesSpec(t *testing.T) {
	policies := map[string]Policy{"default": DefaultPolicy()}
	for _, l := range []string{levelNone, levelLow, levelFair, levelGood, levelExcellent} {
		p, err := Preset(l)
		require.NoError(t, err)
		policies[string(l)] = p
	}
	for name, p := range policies {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(p)
			require.NoError(t, err)
			require.NoError(t, spectest.CheckSchema("PasswordAuthenticationMethodPolicy", b))
			back, err := ParsePolicy(b)
			require.NoError(t, err)
			assert.Equal(t, p, back)
		})
	}
	b, err := json.Marshal(DefaultPolicy())
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"complexity": {"min_length": 15, "character_types": [], "character_type_rule": "all",
			"identical_characters": "allow", "sequential_characters": "allow", "max_length_exceeded": "error"},
		"profile_data": {"active": true, "blocked_fields": ["name", "email", "username"]},
		"history": {"active": false, "size": 0},
		"dictionary": {"active": true, "default": "en_10k"}}`, string(b))
}

func TestParsePolicy(t *testing.T) {
	valid, err := json.Marshal(DefaultPolicy())
	require.NoError(t, err)
	edit := func(f func(m map[string]map[string]any)) []byte {
		var m map[string]map[string]any
		require.NoError(t, json.Unmarshal(valid, &m))
		f(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name    string
		doc     []byte
		wantErr string
	}{
		{"valid", valid, ""},
		{"expiry field", edit(func(m map[string]map[string]any) { m["complexity"]["maxAgeDays"] = 90 }), `unknown field "maxAgeDays"`},
		{"top-level expiry", []byte(strings.Replace(string(valid), "{", `{"max_age_days":90,`, 1)), "unknown field"},
		{"hint field", edit(func(m map[string]map[string]any) { m["profile_data"]["hint"] = "x" }), `unknown field "hint"`},
		{"missing min_length", edit(func(m map[string]map[string]any) { delete(m["complexity"], "min_length") }), "complexity.min_length is required"},
		{"null size", edit(func(m map[string]map[string]any) { m["history"]["size"] = nil }), "history.size is required"},
		{"missing section", []byte(`{"complexity":{},"profile_data":{},"history":{}}`), "is required"},
		{"out of range", edit(func(m map[string]map[string]any) { m["history"]["active"] = true; m["history"]["size"] = 30 }), "out of range [1, 24]"},
		{"trailing data", append(append([]byte{}, valid...), '}'), "trailing data"},
		{"two values", append(append([]byte{}, valid...), valid...), "trailing data"},
		{"wrong type", edit(func(m map[string]map[string]any) { m["complexity"]["min_length"] = "15" }), "cannot unmarshal"},
		{"too large", []byte(`{"x":"` + strings.Repeat("a", 20000) + `"}`), "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(tc.doc)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, DefaultPolicy(), p)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
			assert.Equal(t, Policy{}, p, "no partial policy on error")
		})
	}
}

// TestPolicyRepeatingAMemberIsRefused: a policy document that names a
// section or a member twice is refused, whichever value comes last
// (encoding/json kept the last one).
func TestPolicyRepeatingAMemberIsRefused(t *testing.T) {
	valid := mustJSON(t, DefaultPolicy())
	for name, doc := range map[string]string{
		"member":      strings.Replace(valid, `"min_length":15`, `"min_length":15,"min_length":8`, 1),
		"same value":  strings.Replace(valid, `"min_length":15`, `"min_length":15,"min_length":15`, 1),
		"section":     strings.Replace(valid, `{"complexity":`, `{"history":{"active":false,"size":0},"complexity":`, 1),
		"array owner": strings.Replace(valid, `"blocked_fields":[`, `"blocked_fields":[],"blocked_fields":[`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, valid, doc)
			p, err := ParsePolicy([]byte(doc))
			assert.ErrorIs(t, err, jsontext.ErrDuplicateName)
			assert.Equal(t, Policy{}, p)
		})
	}
}

// TestPolicyNamesMatchOnlyInTheirOwnCase: a member spelled in another case
// is an unknown field, even beside the exact one (encoding/json matched
// names case-insensitively and accepted both).
func TestPolicyNamesMatchOnlyInTheirOwnCase(t *testing.T) {
	valid := mustJSON(t, DefaultPolicy())
	for name, doc := range map[string]string{
		"section":       strings.Replace(valid, `"complexity"`, `"Complexity"`, 1),
		"beside member": strings.Replace(valid, `"min_length":15`, `"min_length":15,"Min_Length":8`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(doc))
			assert.ErrorContains(t, err, "unknown field")
			assert.Equal(t, Policy{}, p)
		})
	}
}

// TestPolicyWithInvalidUTF8IsRefused: invalid UTF-8 anywhere in a policy
// document is refused by the decoder itself.
func TestPolicyWithInvalidUTF8IsRefused(t *testing.T) {
	valid := mustJSON(t, DefaultPolicy())
	for _, doc := range []string{
		strings.Replace(valid, `"name"`, "\"na\xffme\"", 1),
		strings.Replace(valid, `"min_length":15`, "\"min_length\":15,\"x\xff\":1", 1),
	} {
		p, err := ParsePolicy([]byte(doc))
		assert.ErrorContains(t, err, "invalid UTF-8")
		assert.Equal(t, Policy{}, p)
	}
}
