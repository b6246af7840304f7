package password

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Policy is the spec's PasswordAuthenticationMethodPolicy: what Start
// returns to the client in PasswordCreationResponse.policy and exactly what
// Confirm then enforces. Its JSON form has the spec's field names, every
// field present, and nothing else.
type Policy struct {
	Complexity  Complexity  `json:"complexity"`
	ProfileData ProfileData `json:"profile_data"`
	History     History     `json:"history"`
	Dictionary  Dictionary  `json:"dictionary"`
}

// Complexity is the spec's PasswordComplexityPolicy.
type Complexity struct {
	// MinLength is the minimum length in Unicode code points, counted on
	// the password as typed (after NFC, never NFKC: U+FDFA is one). Range
	// [1, 128] ([1, 72] with bcrypt).
	MinLength int `json:"min_length"`
	// CharacterTypes are the character types required; empty requires none
	// (NIST SP 800-63B-4 §3.1.1.2 forbids composition rules; they are here
	// for parity with existing Auth0 tenants).
	CharacterTypes []CharacterType `json:"character_types"`
	// CharacterTypeRule says whether all CharacterTypes are required or
	// three of them; three_of_four requires all four types to be listed.
	CharacterTypeRule CharacterTypeRule `json:"character_type_rule"`
	// IdenticalCharacters block refuses 3 or more identical characters in
	// a row ("aaa").
	IdenticalCharacters Toggle `json:"identical_characters"`
	// SequentialCharacters block refuses 3 or more consecutive ascending
	// or descending ASCII letters (case-insensitive) or digits ("abc",
	// "CBA", "123", "987").
	SequentialCharacters Toggle `json:"sequential_characters"`
	// MaxLengthExceeded is what happens to a password longer than the hash
	// algorithm takes (bcrypt: 72 bytes). Only "error" is accepted: a
	// truncated password would not be verified whole (NIST SP 800-63B-4,
	// checklist PW-03). argon2id takes every password the request allows.
	MaxLengthExceeded MaxLengthExceeded `json:"max_length_exceeded"`
}

// ProfileData is the spec's PasswordProfileDataPolicy.
type ProfileData struct {
	// Active refuses passwords that contain a part (3 or more characters)
	// of one of the BlockedFields of the user, case-insensitively.
	Active bool `json:"active"`
	// BlockedFields names the fields: "name", "email" (its local part),
	// "username", or any key of verify.Subject.Profile. At most 12, each
	// 1 to 64 bytes of letters, digits, '.', '_' or '-'.
	BlockedFields []string `json:"blocked_fields"`
}

// History is the spec's PasswordHistoryPolicy.
type History struct {
	// Active refuses the Size most recent passwords, the current one
	// included, checked against their stored hashes.
	Active bool `json:"active"`
	// Size is how many passwords are remembered. Range [1, 24] when
	// active, 0 when not. Each costs one hash computation per confirm.
	Size int `json:"size"`
}

// Dictionary is the spec's PasswordDictionaryPolicy.
type Dictionary struct {
	// Active refuses passwords found in the Default list or among the
	// engine's custom words, case-insensitively, whole or once leading and
	// trailing non-letters are removed ("Password1234567" → "password").
	Active bool `json:"active"`
	// Default is the embedded list: en_10k or en_100k.
	Default DictionaryList `json:"default"`
}

// CharacterType is the spec's PasswordCharacterTypeEnum.
type CharacterType string

// Character types. A rune is uppercase if unicode.IsUpper, lowercase if
// unicode.IsLower, a number if unicode.IsDigit, and special if it is
// punctuation, a symbol or a space (unicode.IsPunct, IsSymbol, IsSpace).
const (
	Uppercase CharacterType = "uppercase"
	Lowercase CharacterType = "lowercase"
	Number    CharacterType = "number"
	Special   CharacterType = "special"
)

// CharacterTypeRule is the spec's PasswordCharacterTypeRuleEnum.
type CharacterTypeRule string

// Character type rules.
const (
	AllTypes    CharacterTypeRule = "all"
	ThreeOfFour CharacterTypeRule = "three_of_four"
)

// Toggle is the spec's PasswordIdenticalCharactersEnum and
// PasswordSequentialCharactersEnum.
type Toggle string

// Toggle values.
const (
	Allow Toggle = "allow"
	Block Toggle = "block"
)

// MaxLengthExceeded is the spec's PasswordMaxLengthExceededEnum.
type MaxLengthExceeded string

// MaxLengthExceeded values. "truncate", the spec's other value, is refused
// by Validate: the whole password is always verified.
const (
	maxLengthTruncate MaxLengthExceeded = "truncate"
	MaxLengthError    MaxLengthExceeded = "error"
)

// DictionaryList is the spec's PasswordDictionaryDefaultEnum.
type DictionaryList string

// The embedded lists (see the package README for their source).
const (
	En10k  DictionaryList = "en_10k"
	En100k DictionaryList = "en_100k"
)

// Policy limits.
const (
	maxMinLength     = 128 // complexity.min_length upper bound
	maxHistorySize   = 24  // history.size upper bound, as Auth0
	maxBlockedFields = 12  // profile_data.blocked_fields, as Auth0
	maxFieldName     = 64
)

// DefaultPolicy returns the policy an Engine uses when Config.Policy is
// nil, following NIST SP 800-63B-4 §3.1.1.2 and ASVS 5.0 §6.2 for a
// password that may be a single factor: at least 15 characters, no
// composition rules, the 10k common-password list, and no name, email or
// username inside the password. History is off (NIST does not ask for it,
// and each remembered password costs one hash per confirm).
func DefaultPolicy() Policy {
	return Policy{
		Complexity: Complexity{
			MinLength: 15, CharacterTypes: []CharacterType{}, CharacterTypeRule: AllTypes,
			IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError,
		},
		ProfileData: ProfileData{Active: true, BlockedFields: []string{"name", "email", "username"}},
		History:     History{Active: false, Size: 0},
		Dictionary:  Dictionary{Active: true, Default: En10k},
	}
}

// Auth0's legacy password strength levels, the values of Preset's level.
const (
	levelNone      = "none"      // at least 1 character
	levelLow       = "low"       // at least 6 characters
	levelFair      = "fair"      // at least 8, with lowercase, uppercase and a number
	levelGood      = "good"      // at least 8, with 3 of lowercase, uppercase, number, special
	levelExcellent = "excellent" // at least 10, 3 of 4 types, no 3 identical characters in a row
)

// Preset returns the policy equivalent to one of Auth0's legacy password
// strength levels (Auth0 docs, "Password Strength in Auth0 Database
// Connections"), named as a connection's password_policy option names it:
//
//	"none"       at least 1 character
//	"low"        at least 6 characters
//	"fair"       at least 8, with lowercase, uppercase and a number
//	"good"       at least 8, with 3 of lowercase, uppercase, number, special
//	"excellent"  at least 10, 3 of 4 types, no 3 identical characters in a row
//
// The policy has the level's complexity, with profile data, history and dictionary off as in a
// legacy tenant that never enabled them. Legacy tenants truncated passwords
// beyond the maximum length; presets use "error" instead (PW-03).
func Preset(level string) (Policy, error) {
	p := Policy{
		Complexity: Complexity{
			CharacterTypes: []CharacterType{}, CharacterTypeRule: AllTypes,
			IdenticalCharacters: Allow, SequentialCharacters: Allow, MaxLengthExceeded: MaxLengthError,
		},
		ProfileData: ProfileData{Active: false, BlockedFields: []string{}},
		History:     History{Active: false, Size: 0},
		Dictionary:  Dictionary{Active: false, Default: En10k},
	}
	all4 := []CharacterType{Lowercase, Uppercase, Number, Special}
	switch level {
	case levelNone:
		p.Complexity.MinLength = 1
	case levelLow:
		p.Complexity.MinLength = 6
	case levelFair:
		p.Complexity.MinLength = 8
		p.Complexity.CharacterTypes = []CharacterType{Lowercase, Uppercase, Number}
	case levelGood:
		p.Complexity.MinLength = 8
		p.Complexity.CharacterTypes, p.Complexity.CharacterTypeRule = all4, ThreeOfFour
	case levelExcellent:
		p.Complexity.MinLength = 10
		p.Complexity.CharacterTypes, p.Complexity.CharacterTypeRule = all4, ThreeOfFour
		p.Complexity.IdenticalCharacters = Block
	default:
		return Policy{}, fmt.Errorf("password: unknown level %q (want none, low, fair, good or excellent)", level)
	}
	return p, nil
}

// Validate reports the first field of p that is out of range, naming the
// range. A valid policy marshals to a document valid against the spec's
// PasswordAuthenticationMethodPolicy.
func (p *Policy) Validate() error {
	c := &p.Complexity
	if c.MinLength < 1 || c.MinLength > maxMinLength {
		return fmt.Errorf("password: complexity.min_length %d out of range [1, %d]", c.MinLength, maxMinLength)
	}
	if c.CharacterTypes == nil {
		return errors.New("password: complexity.character_types is required (use an empty list for none)")
	}
	seen := map[CharacterType]bool{}
	for _, t := range c.CharacterTypes {
		switch t {
		case Uppercase, Lowercase, Number, Special:
		default:
			return fmt.Errorf("password: complexity.character_types: unknown type %q (want uppercase, lowercase, number or special)", t)
		}
		if seen[t] {
			return fmt.Errorf("password: complexity.character_types: %q listed twice", t)
		}
		seen[t] = true
	}
	switch c.CharacterTypeRule {
	case AllTypes:
	case ThreeOfFour:
		if len(seen) != 4 {
			return errors.New("password: complexity.character_type_rule three_of_four requires all four character_types")
		}
	default:
		return fmt.Errorf("password: complexity.character_type_rule %q is not all or three_of_four", c.CharacterTypeRule)
	}
	if c.IdenticalCharacters != Allow && c.IdenticalCharacters != Block {
		return fmt.Errorf("password: complexity.identical_characters %q is not allow or block", c.IdenticalCharacters)
	}
	if c.SequentialCharacters != Allow && c.SequentialCharacters != Block {
		return fmt.Errorf("password: complexity.sequential_characters %q is not allow or block", c.SequentialCharacters)
	}
	switch c.MaxLengthExceeded {
	case MaxLengthError:
	case maxLengthTruncate:
		return errors.New("password: complexity.max_length_exceeded truncate is not supported: the whole password is always verified (NIST SP 800-63B-4 §3.1.1.2); use error")
	default:
		return fmt.Errorf("password: complexity.max_length_exceeded %q is not error", c.MaxLengthExceeded)
	}
	d := &p.ProfileData
	if d.BlockedFields == nil {
		return errors.New("password: profile_data.blocked_fields is required (use an empty list for none)")
	}
	if len(d.BlockedFields) > maxBlockedFields {
		return fmt.Errorf("password: profile_data.blocked_fields has %d fields, out of range [0, %d]", len(d.BlockedFields), maxBlockedFields)
	}
	if d.Active && len(d.BlockedFields) == 0 {
		return errors.New("password: profile_data is active with no blocked_fields")
	}
	for i, f := range d.BlockedFields {
		if !validFieldName(f) {
			return fmt.Errorf("password: profile_data.blocked_fields[%d] must be 1 to %d bytes of letters, digits, '.', '_' or '-'", i, maxFieldName)
		}
		if slices.Contains(d.BlockedFields[:i], f) {
			return fmt.Errorf("password: profile_data.blocked_fields[%d] %q listed twice", i, f)
		}
	}
	h := &p.History
	if h.Active && (h.Size < 1 || h.Size > maxHistorySize) {
		return fmt.Errorf("password: history.size %d out of range [1, %d]", h.Size, maxHistorySize)
	}
	if !h.Active && h.Size != 0 {
		return fmt.Errorf("password: history.size %d must be 0 when history is not active", h.Size)
	}
	if p.Dictionary.Default != En10k && p.Dictionary.Default != En100k {
		return fmt.Errorf("password: dictionary.default %q is not en_10k or en_100k", p.Dictionary.Default)
	}
	return nil
}

func validFieldName(f string) bool {
	if len(f) == 0 || len(f) > maxFieldName || !utf8.ValidString(f) {
		return false
	}
	for _, r := range f {
		ok := r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// clone returns a deep copy of p.
func (p Policy) clone() Policy {
	p.Complexity.CharacterTypes = slices.Clone(p.Complexity.CharacterTypes)
	p.ProfileData.BlockedFields = slices.Clone(p.ProfileData.BlockedFields)
	return p
}

// maxPolicyJSON bounds the policy documents ParsePolicy reads.
const maxPolicyJSON = 16 << 10

// ParsePolicy decodes and validates a policy in the spec's JSON form,
// strictly: every field required by the spec must be present, and an
// unknown field (such as a password expiry "maxAgeDays", which NIST
// SP 800-63B-4 forbids, checklist PW-15) is an error.
func ParsePolicy(data []byte) (Policy, error) {
	if len(data) > maxPolicyJSON {
		return Policy{}, fmt.Errorf("password: policy of %d bytes exceeds %d", len(data), maxPolicyJSON)
	}
	// Presence of the required fields is checked on a raw decode first,
	// because a missing field decodes as its zero value.
	var raw struct {
		Complexity  map[string]jsontext.Value `json:"complexity"`
		ProfileData map[string]jsontext.Value `json:"profile_data"`
		History     map[string]jsontext.Value `json:"history"`
		Dictionary  map[string]jsontext.Value `json:"dictionary"`
	}
	if err := strictDecode(data, &raw); err != nil {
		return Policy{}, fmt.Errorf("password: policy: %w", err)
	}
	required := []struct {
		section string
		m       map[string]jsontext.Value
		fields  []string
	}{
		{"complexity", raw.Complexity, []string{"min_length", "character_types", "character_type_rule", "identical_characters", "sequential_characters", "max_length_exceeded"}},
		{"profile_data", raw.ProfileData, []string{"active", "blocked_fields"}},
		{"history", raw.History, []string{"active", "size"}},
		{"dictionary", raw.Dictionary, []string{"active", "default"}},
	}
	for _, r := range required {
		if r.m == nil {
			return Policy{}, fmt.Errorf("password: policy: %s is required", r.section)
		}
		for _, f := range r.fields {
			if v, ok := r.m[f]; !ok || bytes.Equal(v, []byte("null")) {
				return Policy{}, fmt.Errorf("password: policy: %s.%s is required", r.section, f)
			}
		}
	}
	var p Policy
	if err := strictDecode(data, &p); err != nil {
		return Policy{}, fmt.Errorf("password: policy: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// strictDecode decodes exactly one JSON value into v with json/v2, which
// refuses repeated and case-variant member names and invalid UTF-8; it
// also refuses unknown members and data after the value.
//
// json/v2 words its semantic errors differently from one process to the
// next ("cannot" or "unable to"); strictDecode words them one way:
// `unknown field "name"` and `cannot unmarshal JSON … into Go … at "/ptr"`.
func strictDecode(data []byte, v any) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(true))
	if se, ok := errors.AsType[*json.SemanticError](err); ok {
		if se.Err == json.ErrUnknownName {
			return fmt.Errorf("unknown field %q", se.JSONPointer.LastToken())
		}
		return fmt.Errorf("cannot unmarshal JSON %v into Go %v at %q", se.JSONKind, se.GoType, se.JSONPointer)
	}
	if err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// equal reports whether p and q are the same policy.
func (p *Policy) equal(q *Policy) bool {
	return p.Complexity.MinLength == q.Complexity.MinLength &&
		slices.Equal(p.Complexity.CharacterTypes, q.Complexity.CharacterTypes) &&
		p.Complexity.CharacterTypeRule == q.Complexity.CharacterTypeRule &&
		p.Complexity.IdenticalCharacters == q.Complexity.IdenticalCharacters &&
		p.Complexity.SequentialCharacters == q.Complexity.SequentialCharacters &&
		p.Complexity.MaxLengthExceeded == q.Complexity.MaxLengthExceeded &&
		p.ProfileData.Active == q.ProfileData.Active &&
		slices.Equal(p.ProfileData.BlockedFields, q.ProfileData.BlockedFields) &&
		p.History == q.History && p.Dictionary == q.Dictionary
}
