package checklist

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the module root, two levels up.
const root = "../.."

// ref is one test SECURITY.md names: `pkg TestName/sub`.
type ref struct {
	pkg, fn, sub string
}

func (r ref) String() string {
	s := r.pkg + " " + r.fn
	if r.sub != "" {
		s += "/" + r.sub
	}
	return s
}

var refRE = regexp.MustCompile("`([a-z][a-z0-9/]*) ((?:Test|Fuzz|Example|Benchmark)[A-Za-z0-9_]*)(?:/([^`]+))?`")

func refs(s string) []ref {
	var out []ref
	for _, m := range refRE.FindAllStringSubmatch(s, -1) {
		out = append(out, ref{pkg: m[1], fn: m[2], sub: m[3]})
	}
	return out
}

// row is one line of SECURITY.md's checklist map.
type row struct {
	id, requirement, where, tests, status string
}

// checklistIDs reads testdata/ids.txt.
func checklistIDs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/ids.txt")
	require.NoError(t, err)
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ids = append(ids, line)
	}
	require.NoError(t, sc.Err())
	return ids
}

var idRE = regexp.MustCompile(`^(WA|AF|CB|AS|TO|OT|PU|RC|PW|GN|ST|FZ|SI)-[0-9]{2}$`)

// mapRows parses the table under "## Checklist map".
func mapRows(t *testing.T, doc string) []row {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n## Checklist map\n")
	require.True(t, ok, "SECURITY.md has a \"## Checklist map\" section")
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var rows []row
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		id := strings.TrimSpace(cells[0])
		if !idRE.MatchString(id) {
			continue // the header and the separator
		}
		require.Len(t, cells, 5, "row %s: ID | requirement | where enforced | test | status", id)
		rows = append(rows, row{id, strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4])})
	}
	return rows
}

// testSources is what the _test.go files of one package directory
// declare: top-level functions and string literals.
type testSources struct {
	funcs   map[string]bool
	strings map[string]bool
	// comments is the text of every comment at a top-level function (its
	// doc comment) or inside it, by function name.
	comments map[string]string
}

var sourceCache = map[string]*testSources{}

func sources(t *testing.T, pkg string) *testSources {
	t.Helper()
	if s, ok := sourceCache[pkg]; ok {
		return s
	}
	s := &testSources{funcs: map[string]bool{}, strings: map[string]bool{}, comments: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pkg), "*_test.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution|parser.ParseComments)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				s.funcs[fd.Name.Name] = true
				var text strings.Builder
				for _, g := range f.Comments {
					if g.End() >= fd.Pos() && g.Pos() <= fd.End() || g == fd.Doc {
						for _, c := range g.List {
							text.WriteString(c.Text)
							text.WriteByte('\n')
						}
					}
				}
				s.comments[fd.Name.Name] += text.String()
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					s.strings[v] = true
				}
			}
			return true
		})
	}
	sourceCache[pkg] = s
	return s
}

// exists reports why r does not name a test of the repository, or "".
func exists(t *testing.T, r ref) string {
	t.Helper()
	if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(r.pkg))); err != nil || !fi.IsDir() {
		return "no package directory " + r.pkg
	}
	s := sources(t, r.pkg)
	if !s.funcs[r.fn] {
		return "no func " + r.fn + " in the tests of " + r.pkg
	}
	if r.sub == "" {
		return ""
	}
	// go test names a subtest after its t.Run name with spaces as '_'.
	first, _, _ := strings.Cut(r.sub, "/")
	for lit := range s.strings {
		if strings.ReplaceAll(lit, " ", "_") == first {
			return ""
		}
	}
	return "no subtest named " + strconv.Quote(first) + " in the tests of " + r.pkg
}

// carries reports why the source of r's function does not cite id in a
// comment (its doc comment, or a comment inside it), or "".
func carries(t *testing.T, r ref, id string) string {
	t.Helper()
	if why := exists(t, r); why != "" {
		return why
	}
	if !regexp.MustCompile(`\b` + regexp.QuoteMeta(id) + `\b`).MatchString(sources(t, r.pkg).comments[r.fn]) {
		return r.pkg + " " + r.fn + " does not cite " + id + " in a comment"
	}
	return ""
}

// TestSecurityMap holds SECURITY.md to the checklist: each ID once, with
// its requirement, where it is enforced, a status from the legend, and at
// least one test; every test it names exists in the package it names, as a
// top-level function of that package's _test.go files, and cites the row's
// ID in a comment (at the function or inside it), so that an ID in the code
// leads to its row and a row to its code.
func TestSecurityMap(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	require.NoError(t, err)
	doc := string(b)
	for _, section := range []string{"## Reporting a vulnerability", "## Supported versions", "## Threat model", "## Security properties by layer", "## Checklist map"} {
		assert.Contains(t, doc, "\n"+section+"\n")
	}

	ids := checklistIDs(t)
	require.Len(t, ids, 178, "testdata/ids.txt")
	rows := mapRows(t, doc)
	count := map[string]int{}
	for _, r := range rows {
		count[r.id]++
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
		assert.Equal(t, 1, count[id], "%s appears %d times in the checklist map", id, count[id])
	}
	for id := range count {
		assert.True(t, want[id], "%s is not a checklist ID", id)
	}

	for _, r := range rows {
		assert.Regexp(t, `^(covered|deviation|shared)\b`, r.status, "%s: status", r.id)
		assert.NotEmpty(t, r.requirement, r.id)
		assert.NotEmpty(t, r.where, r.id)
		rs := refs(r.tests)
		if !assert.NotEmpty(t, rs, "%s names no test", r.id) {
			continue
		}
		for _, x := range rs {
			assert.NotEqual(t, "TestChecklist", x.fn, "%s: tests are named by behaviour, the ID in a comment", r.id)
			if why := carries(t, x, r.id); why != "" {
				t.Errorf("%s names %s: %s", r.id, x, why)
			}
		}
	}

	// Every test named anywhere in the file exists.
	all := refs(doc)
	require.NotEmpty(t, all)
	for _, r := range all {
		if why := exists(t, r); why != "" {
			t.Errorf("SECURITY.md names %s: %s", r, why)
		}
	}
}

// TestCIGates checks that CI runs what SECURITY-CHECKLIST FZ-06 asks for:
// the race detector over every package (.ci/test) and govulncheck, with
// staticcheck, vet and gofmt (.ci/lint), on the toolchain go.mod names.
func TestCIGates(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		return string(b)
	}
	test := read(".ci/test")
	assert.Regexp(t, `(?m)^go test -race .*\./\.\.\.`, test)
	assert.Regexp(t, `(?m)^go vet \./\.\.\.`, test)

	lint := read(".ci/lint")
	for _, want := range []string{`govulncheck@`, `staticcheck@`, `go vet ./...`, `gofmt -l`} {
		assert.Contains(t, lint, want)
	}
	assert.Contains(t, lint, "set -euo pipefail")
	fi, err := os.Stat(filepath.Join(root, ".ci/lint"))
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&0o111, ".ci/lint is executable")

	// The toolchain govulncheck judges is the one go.mod pins.
	m := regexp.MustCompile(`(?m)^toolchain (go[0-9.]+)$`).FindStringSubmatch(read("go.mod"))
	require.NotNil(t, m, "go.mod has a toolchain line")
	assert.Contains(t, lint, "export GOTOOLCHAIN="+m[1])
}

// TestPasskeyLevel3Steps holds SECURITY.md's passkey section and
// passkey/doc.go to issue 17: each WebAuthn Level 3 step the engine adds
// has a row naming at least one test (that the tests exist is
// TestSecurityMap's check of the whole file), and the package doc cites it.
func TestPasskeyLevel3Steps(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n### Passkeys: WebAuthn Level 3 steps\n")
	require.True(t, ok, `SECURITY.md has a "### Passkeys: WebAuthn Level 3 steps" section`)
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| step ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		require.Len(t, cells, 4, "row %q: step | rule | enforced by | proof", line)
		step := strings.TrimSpace(cells[0])
		rows[step] = true
		assert.NotEmpty(t, strings.TrimSpace(cells[1]), step)
		assert.NotEmpty(t, refs(cells[3]), "%s names no test", step)
	}
	doc, err := os.ReadFile(filepath.Join(root, "passkey", "doc.go"))
	require.NoError(t, err)
	for _, step := range []struct{ row, doc string }{
		{"conditional create (§5.1.3), UP", "§5.1.3"},
		{"conditional create, UV", "ConditionalUserVerification"},
		{"ordinary start (steps 15–16)", "An ordinary start"},
		{"hints (§5.4.8)", "§5.4.8"},
		{"hints and attachment", "authenticatorAttachment"},
		{"attestationFormats (§5.4)", "attestationFormats (§5.4)"},
		{"related origins (§5.11), step 9", "§5.11"},
		{"related origins, configuration", "refused at configuration"},
		{"related origins, `/.well-known/webauthn`", "/.well-known/webauthn"},
		{"authenticator names", "MDS statement's description"},
		{"names: unknown AAGUIDs", "all-zero AAGUID"},
		{"names: icons", "never fetched"},
		{"what the client reports (step 28)", "prf.enabled"},
	} {
		assert.True(t, rows[step.row], "SECURITY.md's passkey section has no row %q", step.row)
		assert.Contains(t, string(doc), step.doc, "passkey/doc.go cites %s", step.row)
	}
}

// TestTestsAreNamedByBehaviour holds the repository to issue 13 §7: no
// TestChecklist function and no reference to a TestChecklist/<ID> subtest,
// no testTO03-style function named after an ID, and no checklist*_test.go
// file, except this package's own. A checklist ID lives in a comment on the
// test that proves it.
func TestTestsAreNamedByBehaviour(t *testing.T) {
	subtestRef := regexp.MustCompile(`TestChecklist/[A-Z]{2}-[0-9]{2}`)
	idFunc := regexp.MustCompile(`(?m)^func (TestChecklist|test[A-Z]{2}[0-9]{2}[A-Za-z0-9_]*)\(`)
	idRun := regexp.MustCompile(`t\.Run\("[A-Z]{2}-[0-9]{2}"`)
	own, err := filepath.Abs(".")
	require.NoError(t, err)
	n := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		if filepath.Dir(abs) == own {
			return nil // this checker names what it refuses
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".md") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasSuffix(name, "_test.go") {
			n++
			assert.NotContains(t, name, "checklist", "%s: name test files by theme", rel)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assert.Empty(t, subtestRef.FindAllString(string(b), -1), "%s refers to TestChecklist subtests", rel)
		if strings.HasSuffix(name, "_test.go") {
			for _, m := range idFunc.FindAllStringSubmatch(string(b), -1) {
				t.Errorf("%s: func %s: name a test by the behaviour it proves, the ID in a comment", rel, m[1])
			}
			assert.Empty(t, idRun.FindAllString(string(b), -1), "%s: a subtest named by a checklist ID", rel)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, n, 100, "the walk saw the repository's test files")
}

// TestCheckerRefuses: the checks above can fail — a missing package,
// function or subtest, and a test that does not cite its ID, are reported.
func TestCheckerRefuses(t *testing.T) {
	rs := refs("`passkey TestChallengeMustBeTheSealedOne`, `otp FuzzTOTPCode` and `passkey TestGoWebAuthnLayer/ST-99`, not `SECURITY-CHECKLIST.md`")
	require.Equal(t, []ref{{"passkey", "TestChallengeMustBeTheSealedOne", ""}, {"otp", "FuzzTOTPCode", ""}, {"passkey", "TestGoWebAuthnLayer", "ST-99"}}, rs)
	assert.Empty(t, exists(t, rs[0]))
	assert.Empty(t, exists(t, rs[1]))
	assert.Contains(t, exists(t, rs[2]), `no subtest named "ST-99"`)
	assert.Contains(t, exists(t, ref{"passkey", "TestNoSuchThing", ""}), "no func TestNoSuchThing")
	assert.Contains(t, exists(t, ref{"nosuchpackage", "TestReplayedCodeIsRefused", ""}), "no package directory")
	assert.Empty(t, exists(t, ref{"passkey", "TestGoWebAuthnLayer", "JSON_duplicates"}), "spaces in t.Run names are underscores")

	// The ID must be in a comment of the test itself.
	assert.Empty(t, carries(t, rs[0], "WA-07"))
	assert.Empty(t, carries(t, ref{"passkey", "TestGoWebAuthnLayer", "tags"}, "CB-04"), "a comment inside the function counts")
	assert.Contains(t, carries(t, rs[0], "WA-08"), "does not cite WA-08")
	assert.Contains(t, carries(t, ref{"otp", "TestReplayedCodeIsRefused", ""}, "TO-0"), "does not cite TO-0", "IDs match whole")
	assert.Contains(t, carries(t, ref{"passkey", "TestNoSuchThing", ""}, "WA-07"), "no func")
}
