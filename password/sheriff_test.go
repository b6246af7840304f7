package password

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
)

// sheriffModules returns the node_modules directory holding
// password-sheriff and auth0-password-policies: the first of NODE_PATH's
// entries that has both, else ../interop/node_modules. ok is false when
// none has them.
func sheriffModules() (string, bool) {
	dirs := filepath.SplitList(os.Getenv("NODE_PATH"))
	if abs, err := filepath.Abs("../interop/node_modules"); err == nil {
		dirs = append(dirs, abs)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		_, e1 := os.Stat(filepath.Join(d, "password-sheriff", "package.json"))
		_, e2 := os.Stat(filepath.Join(d, "auth0-password-policies", "package.json"))
		if e1 == nil && e2 == nil {
			return d, true
		}
	}
	return "", false
}

// sheriffRule maps password-sheriff's rule names to ours.
var sheriffRule = map[string]Rule{
	"length": RuleMinLength, "contains": RuleCharacterTypes, "containsAtLeast": RuleCharacterTypes,
	"identicalChars": RuleIdenticalCharacters, "sequentialChars": RuleSequentialCharacters, "maxLength": RuleMaxLength,
}

// randomComplexity draws an Auth0 complexity object (min_length 1 to 72,
// as auth0-password-policies accepts).
func randomComplexity(r *rand.Rand) Complexity {
	c := Complexity{
		MinLength: 1 + r.IntN(72), CharacterTypes: []CharacterType{}, CharacterTypeRule: AllTypes,
		IdenticalCharacters: []Toggle{Allow, Block}[r.IntN(2)], SequentialCharacters: []Toggle{Allow, Block}[r.IntN(2)],
		MaxLengthExceeded: MaxLengthError,
	}
	if r.IntN(2) == 0 {
		c.MinLength = 1 + r.IntN(12)
	}
	if r.IntN(4) == 0 {
		c.CharacterTypes, c.CharacterTypeRule = []CharacterType{Lowercase, Uppercase, Number, Special}, ThreeOfFour
	} else {
		for _, t := range []CharacterType{Lowercase, Uppercase, Number, Special} {
			if r.IntN(2) == 0 {
				c.CharacterTypes = append(c.CharacterTypes, t)
			}
		}
	}
	return c
}

// randomASCII draws a printable-ASCII password of 1 to 80 characters,
// with runs that exercise the identical and sequential rules (abc, aBc,
// CBA, 890, 9:;, zz{, aaa) spliced in often.
func randomASCII(r *rand.Rand) string {
	n := 1 + r.IntN(80)
	if r.IntN(3) == 0 {
		n = 1 + r.IntN(16)
	}
	var b strings.Builder
	for b.Len() < n {
		if r.IntN(6) == 0 {
			start := []byte{'a', 'A', '0', 'x', 'X', '7', '8', 'Y', 'y', '9', 'Z', 'z', '@', '`'}[r.IntN(14)]
			step := []int{1, -1}[r.IntN(2)]
			for i := range 2 + r.IntN(3) {
				c := int(start) + step*i
				if r.IntN(4) == 0 { // the case of a letter flipped: aBc
					if c >= 'a' && c <= 'z' {
						c -= 'a' - 'A'
					} else if c >= 'A' && c <= 'Z' {
						c += 'a' - 'A'
					}
				}
				if r.IntN(5) == 0 {
					c = int(start) // a repeat: aaa
				}
				if c >= 0x20 && c <= 0x7e {
					b.WriteByte(byte(c))
				}
			}
			continue
		}
		b.WriteByte(byte(0x20 + r.IntN(0x7f-0x20)))
	}
	return b.String()
}

// TestAuth0ComplexityDifferential: on printable ASCII the complexity rules
// give, rule for rule, the verdicts of Auth0's own implementation
// (auth0-password-policies on password-sheriff, pinned in interop/), on
// 20,000 seeded random passwords under 40 random policies, with the 72-byte
// bound of max_length_exceeded "error" that Auth0 (bcrypt) applies.
// Without node and the packages it skips; under CI=true it fails.
func TestAuth0ComplexityDifferential(t *testing.T) { // AB-12
	node, err := exec.LookPath("node")
	if err != nil {
		peer.Missing(t, "node not found: %v", err)
	}
	modules, ok := sheriffModules()
	if !ok {
		peer.Missing(t, "password-sheriff and auth0-password-policies not installed (npm ci in interop/, or NODE_PATH)")
	}
	script, err := filepath.Abs("../interop/sheriff/check.js")
	require.NoError(t, err)

	r := rand.New(rand.NewPCG(16, 6))
	const nPolicies, perPolicy = 40, 500
	type sheriffCase struct {
		Policy   int    `json:"policy"`
		Password string `json:"password"`
	}
	var in struct {
		Policies []Complexity  `json:"policies"`
		Cases    []sheriffCase `json:"cases"`
	}
	checkers := make([]*checker, nPolicies)
	for i := range nPolicies {
		c := randomComplexity(r)
		in.Policies = append(in.Policies, c)
		p := DefaultPolicy()
		p.Complexity = c
		p.Dictionary.Active, p.ProfileData.Active, p.History.Active = false, false, false
		require.NoError(t, p.Validate())
		checkers[i], err = newChecker(p, nil, bcryptMaxInput)
		require.NoError(t, err)
		for range perPolicy {
			in.Cases = append(in.Cases, sheriffCase{i, randomASCII(r)})
		}
	}
	stdin, err := json.Marshal(in)
	require.NoError(t, err)
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var verdicts []map[string]bool
	require.NoError(t, json.Unmarshal(out, &verdicts))
	require.Len(t, verdicts, len(in.Cases))

	differ, refused := 0, 0
	for i, c := range in.Cases {
		vs := checkers[c.Policy].check(c.Password, nil)
		broken := map[Rule]bool{}
		for _, v := range vs {
			broken[v.Rule] = true
		}
		auth0 := map[Rule]bool{}
		for name, pass := range verdicts[i] {
			if name == "ok" {
				continue
			}
			rule, ok := sheriffRule[name]
			require.True(t, ok, "unknown password-sheriff rule %s", name)
			if !pass {
				auth0[rule] = true
			}
		}
		if verdicts[i]["ok"] != (len(auth0) == 0) {
			t.Fatalf("case %d: password-sheriff's check and its rules disagree", i)
		}
		if len(vs) > 0 {
			refused++
		}
		if !mapsEqual(broken, auth0) {
			differ++
			if differ <= 10 {
				t.Errorf("policy %+v, password %q: we break %v, Auth0 breaks %v", in.Policies[c.Policy], c.Password, keys(broken), keys(auth0))
			}
		}
	}
	t.Logf("%d cases, %d refused, %d verdicts differ", len(in.Cases), refused, differ)
	assert.Zero(t, differ)
	// Both sides refuse and accept a fair share: the comparison is not
	// between two checkers that agree on everything by accepting it.
	assert.Greater(t, refused, len(in.Cases)/5)
	assert.Less(t, refused, len(in.Cases)*4/5)
}

func mapsEqual(a, b map[Rule]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[Rule]bool) []Rule {
	var ks []Rule
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
