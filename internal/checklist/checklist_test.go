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
}

var sourceCache = map[string]*testSources{}

func sources(t *testing.T, pkg string) *testSources {
	t.Helper()
	if s, ok := sourceCache[pkg]; ok {
		return s
	}
	s := &testSources{funcs: map[string]bool{}, strings: map[string]bool{}}
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pkg), "*_test.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				s.funcs[fd.Name.Name] = true
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

// TestSecurityMap holds SECURITY.md to the checklist: each ID once, a
// status from the legend, and every test it names present in the package
// it names; an ID's row names its own TestChecklist/<ID> subtest, except
// the fuzzing and CI rows, which name fuzz targets and gates.
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
		own := false
		for _, x := range rs {
			if x.fn == "TestChecklist" && x.sub == r.id {
				own = true
			}
		}
		// Fuzzing and CI rows name targets and gates; sign-in rows name
		// behaviour tests (the direction every row is moving in).
		if !strings.HasPrefix(r.id, "FZ-") && !strings.HasPrefix(r.id, "SI-") {
			assert.True(t, own, "%s names no TestChecklist/%s", r.id, r.id)
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

// TestCheckerRefuses: the checks above can fail — a missing package,
// function or subtest is reported.
func TestCheckerRefuses(t *testing.T) {
	rs := refs("`passkey TestChecklist/WA-07`, `otp FuzzTOTPCode` and `store/memory TestChecklist/ST-99`, not `SECURITY-CHECKLIST.md`")
	require.Equal(t, []ref{{"passkey", "TestChecklist", "WA-07"}, {"otp", "FuzzTOTPCode", ""}, {"store/memory", "TestChecklist", "ST-99"}}, rs)
	assert.Empty(t, exists(t, rs[0]))
	assert.Empty(t, exists(t, rs[1]))
	assert.Contains(t, exists(t, rs[2]), `no subtest named "ST-99"`)
	assert.Contains(t, exists(t, ref{"passkey", "TestNoSuchThing", ""}), "no func TestNoSuchThing")
	assert.Contains(t, exists(t, ref{"nosuchpackage", "TestChecklist", ""}), "no package directory")
	assert.Empty(t, exists(t, ref{"passkey", "TestGoWebAuthnLayer", "JSON_duplicates"}), "spaces in t.Run names are underscores")
}
