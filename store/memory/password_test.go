package memory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

func TestPasswordReplace(t *testing.T) {
	storetest.RunPasswordReplace(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := memory.New(memory.Config{Now: now})
		require.NoError(t, err)
		return s
	})
}
