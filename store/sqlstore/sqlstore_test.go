package sqlstore_test

import (
	"testing"
	"time"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
)

// TestConformance runs the store contract suite on SQLite and on the real
// PostgreSQL server (SECURITY-CHECKLIST ST-01: both implementations pass
// the same suite; in CI a missing PostgreSQL fails the run).
func TestConformance(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
			return open(t, b, b.dsn(t), now)
		})
		t.Run("Push", func(t *testing.T) {
			storetest.RunPush(t, func(t *testing.T, now func() time.Time) store.PushDevices {
				return open(t, b, b.dsn(t), now)
			})
		})
	})
}
