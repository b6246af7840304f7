package sqlstore_test

import (
	"testing"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/store/storetest"
)

// TestLoad: 64 concurrent HTTP clients mix valid, replayed and wrong-code
// confirms over 100 TOTP enrollments (and 20 sessions sent only wrong
// codes) on SQLite and on PostgreSQL (VERIFYKIT_POSTGRES_DSN; skipped
// without it, except with CI=true): each session is confirmed exactly once
// and no session gets more proofs evaluated than the attempt limit
// (SECURITY-CHECKLIST TO-07, AS-14, GN-11).
func TestLoad(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		faulttest.RunLoad(t, s, clock, faulttest.LoadConfig{})
	})
}
