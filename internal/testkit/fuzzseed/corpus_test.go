package fuzzseed

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the derived seed corpus entries")

// root is the repository root, from this package's directory.
const root = "../../.."

// prefix marks the corpus entries this package owns.
const prefix = "testdata-"

// entry is one corpus file: the target's package directory and name, the
// file's name after the prefix, and its single value (a string or []byte).
type entry struct {
	pkg, target, name string
	value             any
}

func (e entry) path() string {
	return filepath.Join(root, e.pkg, "testdata", "fuzz", e.target, prefix+e.name)
}

// encode is the corpus file format of `go test -fuzz` (version 1).
func (e entry) encode() []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	switch v := e.value.(type) {
	case string:
		fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
	case []byte:
		fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
	default:
		panic(fmt.Sprintf("fuzzseed: value of type %T", v))
	}
	return b.Bytes()
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func name(parts ...string) string {
	return strings.Trim(unsafeName.ReplaceAllString(strings.Join(parts, "-"), "_"), "_")
}

func read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	return b
}

func readJSON(t *testing.T, rel string, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(read(t, rel), v), rel)
}

// columns returns the whitespace-separated fields of each line of a
// testdata table, without comments and blank lines.
func columns(t *testing.T, rel string) [][]string {
	t.Helper()
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(read(t, rel)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Fields(line))
	}
	require.NotEmpty(t, rows, rel)
	return rows
}

// specExamples returns the request examples of one operation of the
// My Account spec, by example name, as compact JSON.
func specExamples(t *testing.T, path, method string) map[string][]byte {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Examples map[string]struct {
						Value jsontext.Value `json:"value"`
					} `json:"examples"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	readJSON(t, "internal/testkit/spectest/testdata/myaccount-api-oas.json", &doc)
	out := map[string][]byte{}
	for n, ex := range doc.Paths[path][method].RequestBody.Content["application/json"].Examples {
		var b bytes.Buffer
		require.NoError(t, json.Compact(&b, ex.Value))
		out[n] = b.Bytes()
	}
	require.NotEmpty(t, out, "%s %s", method, path)
	return out
}

// registrations returns authn_response bodies of real and generated
// registrations in passkey/testdata, by name.
func registrations(t *testing.T) map[string]jsontext.Value {
	t.Helper()
	out := map[string]jsontext.Value{}
	var real, gen struct {
		Registrations []struct {
			Name     string         `json:"name"`
			Response jsontext.Value `json:"response"`
		} `json:"registrations"`
	}
	readJSON(t, "passkey/testdata/go-webauthn-registrations.json", &real)
	for _, r := range real.Registrations {
		out["go-webauthn-"+r.Name] = r.Response
	}
	readJSON(t, "passkey/testdata/generated-registrations.json", &gen)
	for _, r := range gen.Registrations {
		out["generated-"+r.Name] = r.Response
	}
	var w3c struct {
		Registrations []struct {
			Name              string `json:"name"`
			CredentialID      string `json:"credentialId"`
			AttestationObject string `json:"attestationObject"`
			ClientDataJSON    string `json:"clientDataJSON"`
		} `json:"registrations"`
	}
	readJSON(t, "passkey/testdata/w3c-registration-vectors.json", &w3c)
	b64 := base64.RawURLEncoding
	for _, r := range w3c.Registrations {
		id, err1 := hex.DecodeString(r.CredentialID)
		att, err2 := hex.DecodeString(r.AttestationObject)
		cdj, err3 := hex.DecodeString(r.ClientDataJSON)
		require.NoError(t, err1)
		require.NoError(t, err2)
		require.NoError(t, err3)
		resp, err := json.Marshal(map[string]any{
			"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
			"response": map[string]string{"attestationObject": b64.EncodeToString(att), "clientDataJSON": b64.EncodeToString(cdj)},
		})
		require.NoError(t, err)
		out["w3c-"+r.Name] = resp
	}
	require.GreaterOrEqual(t, len(out), 20)
	return out
}

// corpus derives every entry.
func corpus(t *testing.T) []entry {
	var out []entry
	add := func(pkg, target, n string, v any) {
		out = append(out, entry{pkg: pkg, target: target, name: name(n), value: v})
	}

	// otp code input: the RFC 6238 Appendix B codes (FuzzTOTPCode runs at
	// the Appendix's T = 1111111109 with its SHA1 seed, so "081804", the
	// six-digit form of that row, is the valid code), and the RFC 4226
	// Appendix D codes.
	for _, r := range columns(t, "otp/testdata/rfc6238.txt") {
		add("otp", "FuzzTOTPCode", "rfc6238-"+r[0]+"-"+r[1]+"-8digits", r[2])
		add("otp", "FuzzTOTPCode", "rfc6238-"+r[0]+"-"+r[1]+"-6digits", r[2][len(r[2])-6:])
	}
	for _, r := range columns(t, "otp/testdata/rfc4226.txt") {
		add("otp", "FuzzCodeConfirm", "rfc4226-counter-"+r[0], r[1])
	}

	// Start and verify request JSON: the spec's request examples, and
	// verify bodies carrying real seals and real registrations.
	starts := specExamples(t, "/authentication-methods", "post")
	verifies := specExamples(t, "/authentication-methods/{authentication_method_id}/verify", "post")
	for n, b := range starts {
		add("verify/httpapi", "FuzzStartBody", "spec-"+n, b)
		var v struct {
			Email       string `json:"email"`
			PhoneNumber string `json:"phone_number"`
		}
		require.NoError(t, json.Unmarshal(b, &v))
		if v.Email != "" {
			add("otp", "FuzzNormalizeEmail", "spec-"+n, v.Email)
		}
		if v.PhoneNumber != "" {
			add("otp", "FuzzNormalizePhone", "spec-"+n, v.PhoneNumber)
		}
	}
	var iron struct {
		Vectors []struct {
			Name  string `json:"name"`
			Token string `json:"token"`
		} `json:"vectors"`
	}
	readJSON(t, "session/testdata/iron-vectors.json", &iron)
	require.NotEmpty(t, iron.Vectors)
	seal := iron.Vectors[0].Token
	for n, b := range verifies {
		add("verify/httpapi", "FuzzVerifyBody", "spec-"+n, b)
		var m map[string]jsontext.Value
		require.NoError(t, json.Unmarshal(b, &m))
		m["auth_session"], _ = json.Marshal(seal)
		withSeal, err := json.Marshal(m)
		require.NoError(t, err)
		add("verify/httpapi", "FuzzVerifyBody", "spec-"+n+"-iron-seal", withSeal)
		var pw struct {
			NewPassword string `json:"new_password"`
		}
		require.NoError(t, json.Unmarshal(b, &pw))
		if pw.NewPassword != "" {
			add("password", "FuzzPolicyCheck", "spec-"+n, pw.NewPassword)
		}
	}
	for n, resp := range registrations(t) {
		b, err := json.Marshal(map[string]any{"auth_session": seal, "authn_response": resp})
		require.NoError(t, err)
		add("verify/httpapi", "FuzzVerifyBody", "passkey-"+n, b)
	}

	// Password policy: the policies of the spec's examples, and the
	// passwords of the hashes other tools made.
	var specDoc any
	readJSON(t, "internal/testkit/spectest/testdata/myaccount-api-oas.json", &specDoc)
	policies := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["policy"].(map[string]any); ok {
				if _, ok := p["complexity"]; ok {
					b, err := json.Marshal(p)
					require.NoError(t, err)
					policies[string(b)] = true
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(specDoc)
	require.NotEmpty(t, policies)
	for p := range policies {
		add("password", "FuzzParsePolicy", fmt.Sprintf("spec-policy-%x", sha8(p)), []byte(p))
	}
	var hashes struct {
		Entries []struct {
			Format   string `json:"format"`
			Password string `json:"password"`
		} `json:"entries"`
	}
	readJSON(t, "password/testdata/hashes.json", &hashes)
	seen := map[string]bool{}
	for _, h := range hashes.Entries {
		if !seen[h.Password] {
			seen[h.Password] = true
			add("password", "FuzzPolicyCheck", fmt.Sprintf("hashes-%s-%x", h.Format, sha8(h.Password)), h.Password)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path() < out[j].path() })
	return out
}

// sha8 is a short stable name for a value.
func sha8(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// TestCorpus checks that the committed entries are exactly those the
// sources give (-update rewrites them and removes stale ones).
func TestCorpus(t *testing.T) {
	entries := corpus(t)
	want := map[string][]byte{}
	for _, e := range entries {
		_, dup := want[e.path()]
		require.False(t, dup, "two entries named %s", e.path())
		want[e.path()] = e.encode()
	}
	have, err := filepath.Glob(filepath.Join(root, "*", "testdata", "fuzz", "*", prefix+"*"))
	require.NoError(t, err)
	deeper, err := filepath.Glob(filepath.Join(root, "*", "*", "testdata", "fuzz", "*", prefix+"*"))
	require.NoError(t, err)
	have = append(have, deeper...)
	if *update {
		for _, p := range have {
			if _, ok := want[p]; !ok {
				require.NoError(t, os.Remove(p))
			}
		}
		for p, b := range want {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}
		t.Logf("wrote %d entries", len(want))
		return
	}
	for _, p := range have {
		_, ok := want[p]
		require.True(t, ok, "stale entry %s: run go test ./internal/fuzzseed -update", p)
	}
	for p, b := range want {
		got, err := os.ReadFile(p)
		require.NoError(t, err, "missing entry: run go test ./internal/fuzzseed -update")
		require.Equal(t, string(b), string(got), "%s differs from its source: run go test ./internal/fuzzseed -update", p)
	}
	targets := map[string]int{}
	for _, e := range entries {
		targets[e.pkg+" "+e.target]++
	}
	t.Logf("%d entries for %v", len(entries), targets)
}
