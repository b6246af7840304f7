package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

// TestLoad: 64 concurrent HTTP clients mix valid, replayed and wrong-code
// confirms over 100 TOTP enrollments (and 20 sessions sent only wrong
// codes) on the memory store: each session is confirmed exactly once and
// no session gets more proofs evaluated than the attempt limit
// (SECURITY-CHECKLIST TO-07, AS-14, GN-11).
func TestLoad(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(t, err)
	faulttest.RunLoad(t, s, clock, faulttest.LoadConfig{})
}
