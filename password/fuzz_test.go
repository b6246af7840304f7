package password

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/internal/visible"
	"github.com/verifykit/verifykit/verify"
)

// fuzzPolicy has every rule on.
func fuzzPolicy() Policy {
	p := DefaultPolicy()
	p.Complexity.CharacterTypes = []CharacterType{Lowercase, Uppercase, Number, Special}
	p.Complexity.CharacterTypeRule = ThreeOfFour
	p.Complexity.IdenticalCharacters, p.Complexity.SequentialCharacters = Block, Block
	p.ProfileData.BlockedFields = append(p.ProfileData.BlockedFields, "nickname")
	p.Dictionary.Default = En100k
	return p
}

// FuzzPolicyCheck fuzzes new_password through the request schema check,
// normalisation and every local rule. Invariants: no panic; the schema
// check accepts exactly what the spec's request schema accepts; a password
// the dictionary rule passes is not in the list; violations are in rule
// order and never repeat.
func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{"", "a", "password1234567", "alice.liddell2026!", "\u212Bngström", "abc\x00", "é\u0301",
		strings.Repeat("€", 256), strings.Repeat("a", 257), "\xff\xfe", "\u0085", "ﷺ", "aaaBBB123!!!"} {
		f.Add(s)
	}
	cw, err := newCustomWords([]string{"verifykit"})
	require.NoError(f, err)
	c, err := newChecker(fuzzPolicy(), cw, 72)
	require.NoError(f, err)
	l100, err := list(En100k)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, pw string) {
		typedPW, inErr := checkInput(pw)
		if inErr != nil {
			require.ErrorIs(t, inErr, verify.ErrInvalidRequest)
		}
		if utf8.ValidString(pw) {
			body, err := json.Marshal(map[string]string{"auth_session": "x", "new_password": pw})
			require.NoError(t, err)
			specErr := spectest.CheckRequest("confirmAuthenticationMethod", body)
			// checkInput is the spec's schema, counted after NFC, plus AB-10's
			// visible character.
			if specErr != nil || inErr != nil {
				stricter := specErr == nil && (!visible.Has(typed(pw)) || utf8.RuneCountInString(typed(pw)) != utf8.RuneCountInString(pw))
				require.True(t, (specErr != nil) == (inErr != nil) || stricter, "schema check differs from the spec for %q: %v / %v", pw, inErr, specErr)
			}
		}
		if inErr != nil {
			return
		}
		n := normalize(typedPW)
		vs := c.check(typedPW, &alice)
		seen := map[Rule]bool{}
		last := -1
		for _, v := range vs {
			require.False(t, seen[v.Rule], "rule %s reported twice", v.Rule)
			seen[v.Rule] = true
			require.Greater(t, ruleOrder(v.Rule), last)
			last = ruleOrder(v.Rule)
		}
		if !seen[RuleDictionary] {
			require.False(t, l100.contains(strings.ToLower(n)), "a listed password passed")
		}
		require.Equal(t, utf8.RuneCountInString(typedPW) < 15, seen[RuleMinLength])
		require.Equal(t, len(n) > 72, seen[RuleMaxLength])
	})
}

// fuzzLimits keep every hash the fuzzer can build cheap to compute.
var fuzzLimits = Limits{MemoryKiB: 256, Time: 2, Threads: 2, BcryptCost: 5, PBKDF2Iterations: 2000}

// FuzzCompareHash fuzzes the parsing of stored hashes. Invariants: no
// panic; every failure is exactly one of ErrMismatch, ErrMalformedHash
// and ErrHashTooCostly; nothing beyond the limits is computed.
func FuzzCompareHash(f *testing.F) {
	b, err := os.ReadFile("testdata/hashes.json")
	require.NoError(f, err)
	var doc struct {
		Entries []knownHash `json:"entries"`
	}
	require.NoError(f, json.Unmarshal(b, &doc))
	for _, e := range doc.Entries {
		f.Add(e.Hash, e.Password)
	}
	for _, h := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE",
		"$scrypt$ln=4,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rIRfhwRw7A8/dNhLBjHyr0creQCC8eybILn6lgmts7c",
		"$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$g4BiOBrcHGnGTAdCcoA.WrLOFA69L2c9HA5vVpt2o7A",
		"pbkdf2_sha256$1000$abcdefghijkl$Fdb/LWrVKe0xvhiZnTBWJzwR8ODXQsYKa7GsWSsGGxU=",
		"scrypt$abcdefghijkl$16$8$1$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
		"$2b$04$abcdefghijklmnopqrstuuj7m4XYqbm74SxoBcXyw8to0CQ061DVG", "$argon2d$", "$", "",
	} {
		f.Add(h, "pw")
	}
	f.Fuzz(func(t *testing.T, encoded, plain string) {
		err := compare(ctx, nil, &fuzzLimits, encoded, plain)
		if err == nil {
			return
		}
		n := 0
		for _, k := range []error{ErrMismatch, ErrMalformedHash, ErrHashTooCostly} {
			if errors.Is(err, k) {
				n++
			}
		}
		require.Equal(t, 1, n, "error %v matches %d kinds", err, n)
	})
}

// FuzzParsePolicy fuzzes policy documents. Invariants: no panic; an error
// leaves no partial policy; an accepted policy validates, is valid against
// the spec's schema, and round-trips.
func FuzzParsePolicy(f *testing.F) {
	for _, l := range []string{levelNone, levelLow, levelFair, levelGood, levelExcellent} {
		p, err := Preset(l)
		require.NoError(f, err)
		b, err := json.Marshal(p)
		require.NoError(f, err)
		f.Add(b)
	}
	b, err := json.Marshal(fuzzPolicy())
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"complexity":{"maxAgeDays":1}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParsePolicy(doc)
		if err != nil {
			require.Equal(t, Policy{}, p)
			return
		}
		require.NoError(t, p.Validate())
		out, err := json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, spectest.CheckSchema("PasswordAuthenticationMethodPolicy", out))
		back, err := ParsePolicy(out)
		require.NoError(t, err)
		require.Equal(t, p, back)
	})
}

// FuzzRangeResponse fuzzes the parsing of range API responses: no panic,
// and a found count is positive.
func FuzzRangeResponse(f *testing.F) {
	b, err := os.ReadFile("testdata/hibp/range/5BAA6")
	require.NoError(f, err)
	f.Add(b, "1E4C9B93F3F0682250B6CF8331B7EE68FD8")
	f.Add([]byte("1E4C9B93F3F0682250B6CF8331B7EE68FD8:0\n"), "1E4C9B93F3F0682250B6CF8331B7EE68FD8")
	f.Fuzz(func(t *testing.T, body []byte, suffix string) {
		n, err := findSuffix(body, suffix)
		if err != nil {
			require.ErrorIs(t, err, errBreachUnavailable)
			require.Zero(t, n)
			return
		}
		require.GreaterOrEqual(t, n, int64(0))
	})
}

// FuzzFileChecker fuzzes the offline corpus reader with arbitrary files:
// the binary search terminates without panic, and finds a line the file
// holds when the file is sorted and well formed.
func FuzzFileChecker(f *testing.F) {
	b, err := os.ReadFile("testdata/pwned-sha1-ordered.txt")
	require.NoError(f, err)
	f.Add(b[:2000], "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8")
	f.Add([]byte("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1"), "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8")
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		c, err := newFileChecker(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		n, err := c.lookup(ctx, strings.ToUpper(target))
		if err != nil {
			require.ErrorIs(t, err, errBreachUnavailable)
		}
		require.GreaterOrEqual(t, n, int64(0))
	})
}
