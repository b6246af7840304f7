package peer_test

import (
	"testing"

	"github.com/verifykit/verifykit/internal/testkit/peer"
)

// recorder is a testing.TB that records how it was ended.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skip = args[0].(string) }

func TestMissing(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{}
	peer.Missing(r, "oathtool: %s", "not found")
	if r.fatal != "oathtool: not found (required when CI=true)" || r.skip != "" {
		t.Fatalf("in CI: fatal %q, skip %q", r.fatal, r.skip)
	}
	t.Setenv("CI", "")
	r = &recorder{}
	peer.Missing(r, "oathtool: %s", "not found")
	if r.skip != "oathtool: not found" || r.fatal != "" {
		t.Fatalf("outside CI: fatal %q, skip %q", r.fatal, r.skip)
	}
}
