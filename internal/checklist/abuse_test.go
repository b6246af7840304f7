package checklist

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAbuseMap holds SECURITY.md's "## Abuse resistance" table (issue 16):
// IDs AB-01 onwards, each once and in order, each with a requirement, a
// place and a status from the legend, naming at least one test; that every
// named test exists is TestSecurityMap's check of the whole file.
func TestAbuseMap(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Abuse resistance\n")
	require.True(t, ok, `SECURITY.md has a "## Abuse resistance" section`)
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	id := regexp.MustCompile(`^AB-[0-9]{2}$`)
	n := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| AB-") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		require.Len(t, cells, 5, "row %q: ID | requirement | where enforced | test | status", line)
		n++
		got := strings.TrimSpace(cells[0])
		assert.Regexp(t, id, got)
		assert.Equal(t, "AB-"+twoDigits(n), got, "IDs in order, each once")
		assert.NotEmpty(t, strings.TrimSpace(cells[1]), got)
		assert.NotEmpty(t, strings.TrimSpace(cells[2]), got)
		assert.NotEmpty(t, refs(cells[3]), "%s names no test", got)
		assert.Regexp(t, `^(covered|deviation|shared)\b`, strings.TrimSpace(cells[4]), got)
	}
	assert.GreaterOrEqual(t, n, 14)
}

func twoDigits(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
