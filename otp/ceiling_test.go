package otp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/ratelimit/redislimit"
	"github.com/verifykit/verifykit/verify"
)

// TestCeilingHoldsAcrossProcesses: the budgets are buckets of the
// engine's verify.Limiter, so with ratelimit/redislimit two engines (two
// server processes) share one ceiling and one country budget. Needs the
// Redis of .ci/services (VERIFYKIT_REDIS_URL); skips without it, fails
// under CI=true.
func TestCeilingHoldsAcrossProcesses(t *testing.T) { // AB-14
	u := os.Getenv("VERIFYKIT_REDIS_URL")
	if u == "" {
		peer.Missing(t, "VERIFYKIT_REDIS_URL is not set: eval \"$(.ci/services env)\"")
	}
	opt, err := redis.ParseURL(u)
	require.NoError(t, err)
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Ping(context.Background()).Err())
	var b [8]byte
	_, _ = rand.Read(b[:])
	lim, err := redislimit.New(redislimit.Config{Client: c, Prefix: "verifykit:test:" + hex.EncodeToString(b[:]) + ":"})
	require.NoError(t, err)

	wide := verify.Limit{Requests: maxBudgetRequests, Window: defaultSendWindow}
	cfg := PhoneConfig{HashKey: oobKey, IPLimit: wide, PrefixLimit: wide, CountryLimit: wide,
		CeilingLimit: verify.Limit{Requests: 4, Window: defaultSendWindow}}
	sender := &oobSender{}
	var engines [2]*Phone
	for i := range engines {
		engines[i], err = NewPhone(cfg, sender, lim)
		require.NoError(t, err)
	}
	numbers := []string{"+447911123456", "+33612345678", "+4915123456789", "+12015550123", "+34612345678", "+447700123456"}
	refused := 0
	for i, n := range numbers {
		_, err := engines[i%2].Start(context.Background(), &verify.EngineStart{
			Subject: verify.Subject{ID: fmt.Sprint("u", i)}, MethodID: fmt.Sprint("phone|", i),
			Request: verify.StartRequest{PhoneNumber: n}, Client: verify.Client{IP: fmt.Sprintf("192.0.2.%d", i)},
		})
		if err != nil {
			requireLimited(t, err)
			refused++
		}
	}
	assert.Equal(t, 4, sender.count(), "one ceiling for both processes")
	assert.Equal(t, 2, refused)
}
