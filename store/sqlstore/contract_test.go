package sqlstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
)

// ST-01 (the shared contract suite on both backends; a backend whose server
// is missing fails under CI=true, see missingPeer) and ST-04 (single-use
// secrets spent through two stores on one database).

// ST-01: one contract suite runs against every store.
// ST-04: single-use codes are spent by conditional writes: the suite's
// SingleUse cases run through two stores on one database (Options.Shared).
func TestBothSQLBackendsPassTheContractSuite(t *testing.T) {
	names := map[string]bool{}
	for _, b := range backends {
		names[b.name] = true
	}
	assert.Equal(t, map[string]bool{"sqlite": true, "postgres": true}, names, "both SQL backends run the suite")
	forEach(t, func(t *testing.T, b backend) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
			return open(t, b, b.dsn(t), now)
		}, storetest.Options{Shared: func(t *testing.T, n int, now func() time.Time) []store.Store {
			dsn := b.dsn(t)
			out := make([]store.Store, n)
			for i := range out {
				out[i] = open(t, b, dsn, now)
			}
			return out
		}})
	})
}
