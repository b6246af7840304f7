package redislimit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/verifykit/verifykit/ratelimit/redislimit"
	"github.com/verifykit/verifykit/verify"
)

// Example shares one limit between every process that uses the same
// Redis. (It needs a Redis server, so it is compiled but not run.)
func Example() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	limiter, err := redislimit.New(redislimit.Config{Client: client})
	if err != nil {
		panic(err)
	}
	rl, err := limiter.Allow(context.Background(), "verify:user-1", verify.Limit{Requests: 5, Window: 15 * time.Minute})
	if err != nil {
		fmt.Println("limiter unavailable: refuse the request") // fail closed
		return
	}
	fmt.Println(rl.Allowed, rl.Remaining)
}
