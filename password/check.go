package password

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/verifykit/verifykit/internal/visible"
	"github.com/verifykit/verifykit/verify"
)

// normalize returns s in Unicode Normalization Form KC. Every password is
// normalised this way before it is hashed or compared, and before its
// character classes, runs and words are checked (NIST SP 800-63B rev3
// §5.1.1.2, checklist PW-08), so "Å" typed as U+212B ANGSTROM SIGN and as
// U+00C5 is the same password. ASCII is unchanged, so hashes made by other
// tools from ASCII passwords verify as they are. Lengths are not counted
// on it but on the password as typed (code points after NFC, AB-09): one
// U+FDFA is one character, though 18 after NFKC.
func normalize(s string) string {
	if norm.NFKC.IsNormalString(s) {
		return s
	}
	return norm.NFKC.String(s)
}

// Request limits of the spec's VerifyPasswordAuthenticationMethod
// new_password: 1 to 256 characters (code points as typed: after NFC),
// none of them a control character (pattern
// ^[^\u0000-\u001f\u007f-\u009f]*$), and at least one of them visible.
const (
	maxPasswordLength = 256
	// maxPasswordInput is the byte length beyond which no string can be
	// 256 code points after NFC, with room for decomposed input (a Hangul
	// syllable typed as three jamo is 9 bytes): such input is refused
	// before it is even normalised.
	maxPasswordInput = 4 * utf8.UTFMax * maxPasswordLength
)

// typed returns raw as the user typed it for counting: in NFC, where a
// decomposed "é" is one code point and U+FDFA stays one.
func typed(raw string) string {
	if norm.NFC.IsNormalString(raw) {
		return raw
	}
	return norm.NFC.String(raw)
}

func isControl(r rune) bool { return r <= 0x1f || (r >= 0x7f && r <= 0x9f) }

// checkInput validates new_password against the spec's schema and
// refuses a password with no visible character (AB-10: 15 spaces, 15
// U+200B and 15 U+3164 look empty). It returns raw in NFC. Its errors are
// request errors (400), never policy violations, and never echo the
// password.
func checkInput(raw string) (string, error) {
	// Bound the work on hostile input first: a 1 MiB password is refused
	// on its byte length alone (checklist PW-13).
	if len(raw) > maxPasswordInput {
		return "", verify.InvalidField("new_password", "/new_password",
			fmt.Sprintf("new_password must be at most %d characters", maxPasswordLength))
	}
	if !utf8.ValidString(raw) {
		return "", verify.InvalidField("new_password", "/new_password", "new_password must be valid UTF-8")
	}
	if strings.IndexFunc(raw, isControl) >= 0 {
		return "", verify.InvalidField("new_password", "/new_password", "new_password must not contain control characters")
	}
	t := typed(raw)
	n := utf8.RuneCountInString(t)
	if n < 1 || n > maxPasswordLength {
		return "", verify.InvalidField("new_password", "/new_password",
			fmt.Sprintf("new_password must be 1 to %d characters", maxPasswordLength))
	}
	if !visible.Has(t) {
		return "", verify.InvalidField("new_password", "/new_password", "new_password must contain a visible character")
	}
	return t, nil
}

// checker evaluates the local rules of one policy: everything but the
// breach check and history, which need the network and the stored hashes.
// It is immutable and safe for concurrent use.
type checker struct {
	policy   Policy
	dict     *wordList // the policy's list, nil when the dictionary is off
	custom   *wordList // the engine's custom words, nil when none
	maxBytes int       // the hash's input limit in bytes, 0 for none
}

func newChecker(p Policy, custom *wordList, maxBytes int) (*checker, error) {
	c := &checker{policy: p.clone(), maxBytes: maxBytes}
	if p.Dictionary.Active {
		l, err := list(p.Dictionary.Default)
		if err != nil {
			return nil, err
		}
		c.dict, c.custom = l, custom
	}
	return c, nil
}

// check returns the local rules that the password typed (in NFC, as
// checkInput returns it) breaks for the user sub, in Rule order: min_length
// counts typed; every other rule looks at its NFKC form.
func (c *checker) check(typed string, sub *verify.Subject) []Violation {
	var vs []Violation
	pw := normalize(typed)
	cx := &c.policy.Complexity
	// One pass over the runes for length, classes, identical and
	// sequential runs.
	var (
		n                            = utf8.RuneCountInString(typed)
		hasUp, hasLow, hasNum, hasSp bool
		identical, sequential        bool
		p1, p2                       rune = -1, -1 // previous two runes
	)
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			hasUp = true
		case unicode.IsLower(r):
			hasLow = true
		case unicode.IsDigit(r):
			hasNum = true
		case unicode.IsPunct(r), unicode.IsSymbol(r), unicode.IsSpace(r):
			hasSp = true
		}
		if r == p1 && r == p2 {
			identical = true
		}
		if isSequence(p2, p1, r) {
			sequential = true
		}
		p2, p1 = p1, r
	}
	if n < cx.MinLength {
		vs = append(vs, Violation{RuleMinLength, fmt.Sprintf("must be at least %d characters", cx.MinLength)})
	}
	if c.maxBytes > 0 && len(pw) > c.maxBytes {
		vs = append(vs, Violation{RuleMaxLength, fmt.Sprintf("must be at most %d bytes (UTF-8), the limit of the password hash", c.maxBytes)})
	}
	if len(cx.CharacterTypes) > 0 {
		got := 0
		for _, t := range cx.CharacterTypes {
			if (t == Uppercase && hasUp) || (t == Lowercase && hasLow) || (t == Number && hasNum) || (t == Special && hasSp) {
				got++
			}
		}
		switch cx.CharacterTypeRule {
		case ThreeOfFour:
			if got < 3 {
				vs = append(vs, Violation{RuleCharacterTypes, "must contain at least 3 of: lowercase, uppercase, number and special characters"})
			}
		default:
			if got < len(cx.CharacterTypes) {
				vs = append(vs, Violation{RuleCharacterTypes, "must contain " + typeList(cx.CharacterTypes) + " characters"})
			}
		}
	}
	if cx.IdenticalCharacters == Block && identical {
		vs = append(vs, Violation{RuleIdenticalCharacters, "must not contain more than 2 identical characters in a row"})
	}
	if cx.SequentialCharacters == Block && sequential {
		vs = append(vs, Violation{RuleSequentialCharacters, "must not contain 3 or more sequential letters or digits (such as abc, CBA or 321)"})
	}
	var lower string
	if c.dict != nil || c.policy.ProfileData.Active {
		lower = strings.ToLower(pw)
	}
	if c.dict != nil && inDictionary(lower, c.dict, c.custom) {
		vs = append(vs, Violation{RuleDictionary, "is too common: it is on a list of commonly used or banned passwords"})
	}
	if c.policy.ProfileData.Active {
		if fields := profileHits(lower, sub, c.policy.ProfileData.BlockedFields); len(fields) > 0 {
			vs = append(vs, Violation{RuleProfileData, "must not contain your personal data (" + strings.Join(fields, ", ") + ")"})
		}
	}
	return vs
}

// isSequence reports whether a, b, c are consecutive character codes,
// ascending or descending, each an ASCII letter or digit: "abc", "CBA" and
// "789", but not "aBc". This is password-sheriff's sequentialChars with
// max 2, which Auth0 applies (AB-12): it compares character codes, so it
// is case-sensitive, and since no two ASCII letters or digits of another
// kind have adjacent codes, a run never mixes letters and digits.
func isSequence(a, b, c rune) bool {
	if !isASCIIAlnum(a) || !isASCIIAlnum(b) || !isASCIIAlnum(c) {
		return false
	}
	d := b - a
	return (d == 1 || d == -1) && c-b == d
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func typeList(ts []CharacterType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	switch len(names) {
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

// Profile data limits: a part shorter than minProfilePart is ignored (it
// would refuse too much), and only the first maxProfileValue bytes of a
// profile value are considered.
const (
	minProfilePart  = 3
	maxProfileValue = 1024
)

// profileHits returns the blocked fields of sub of which lower (the folded
// password) contains a part, in the order of fields.
func profileHits(lower string, sub *verify.Subject, fields []string) []string {
	if sub == nil {
		return nil
	}
	var hits []string
	for _, f := range fields {
		v := profileValue(sub, f)
		if len(v) > maxProfileValue {
			v = strings.ToValidUTF8(v[:maxProfileValue], "")
		}
		for _, part := range profileParts(fold(v)) {
			if strings.Contains(lower, part) {
				hits = append(hits, f)
				break
			}
		}
	}
	return hits
}

// profileValue returns the value of field f of sub: name, the local part
// of email, username, or a key of sub.Profile.
func profileValue(sub *verify.Subject, f string) string {
	switch f {
	case "name":
		return sub.Name
	case "email":
		if i := strings.LastIndexByte(sub.Email, '@'); i >= 0 {
			return sub.Email[:i]
		}
		return sub.Email
	case "username":
		return sub.Username
	}
	return sub.Profile[f]
}

// profileParts splits a folded value into its runs of letters (marks
// included) and its runs of digits, keeping those of at least
// minProfilePart code points: "john.smith99" gives "john", "smith".
func profileParts(v string) []string {
	var parts []string
	start, kind, n := 0, 0, 0
	flush := func(end int) {
		if kind != 0 && n >= minProfilePart {
			parts = append(parts, v[start:end])
		}
	}
	for i, r := range v {
		k := 0
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != kind {
			flush(i)
			start, kind, n = i, k, 0
		}
		n++
	}
	flush(len(v))
	return slices.Compact(parts)
}

// mergeViolations appends the violations of b not already in a.
func mergeViolations(a, b []Violation) []Violation {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	slices.SortStableFunc(a, func(x, y Violation) int { return ruleOrder(x.Rule) - ruleOrder(y.Rule) })
	return a
}

var rulesInOrder = []Rule{
	RuleMinLength, RuleMaxLength, RuleCharacterTypes, RuleIdenticalCharacters,
	RuleSequentialCharacters, RuleDictionary, RuleProfileData, RuleBreached, RuleHistory,
}

func ruleOrder(r Rule) int { return slices.Index(rulesInOrder, r) }
