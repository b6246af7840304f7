// Package peer holds the one rule for tests that need an external peer
// (node, oathtool, Chromium, PostgreSQL, Redis, an SMTP server): without
// the peer a test skips on a developer's machine, but fails when the
// environment variable CI is "true", because a skipped interop test in CI
// is a hidden failure. .ci/run sets CI=true after installing every peer.
package peer

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends t for a missing peer: Fatal in CI, Skip elsewhere. The
// message is format and args; in CI it says the peer is required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatal(msg + " (required when CI=true)")
		return
	}
	t.Skip(msg)
}
