// Package redislimit implements verify.Limiter on Redis, so that rate
// limits hold across every server process sharing one Redis server.
//
// # Semantics
//
// The algorithm is the generic cell rate algorithm with exactly the
// nanosecond arithmetic of ratelimit.Memory (see package ratelimit): for
// R requests per window W a key bursts up to R requests and regains one
// every ⌊W/R⌋ nanoseconds; a refused request changes nothing; Remaining,
// Reset and RetryAfter are computed the same way. A host can swap one
// limiter for the other without its clients noticing; the tests replay
// random request sequences against both and require identical results.
//
// # Atomicity
//
// Each decision is one Lua script (EVALSHA, falling back to EVAL) on one
// key: Redis runs scripts one at a time, so concurrent requests on a key,
// from any number of goroutines and processes, see exactly min(N, R)
// allowed in a burst. Redis Lua numbers are doubles, so the script keeps
// times as exact (seconds, nanoseconds) pairs. The key is one hash (the
// theoretical arrival time) that expires once idle; a single key per
// script keeps it valid on Redis Cluster.
//
// # Time
//
// The decision uses the caller's clock (Config.Now), passed to the script;
// the Redis server's clock is never read, only its key expiry (a duration)
// is used to forget idle keys. Processes sharing a Redis must keep their
// clocks synchronized (NTP): a process whose clock runs ahead by d grants
// requests up to d early.
//
// # Security
//
// Errors (Redis down, timeouts) are returned, never turned into "allowed":
// verify/httpapi fails closed. Keys are stored as the SHA-256 of the
// caller's key, so e-mail addresses, phone numbers and user ids used as
// rate-limit keys are not readable in Redis. Use an authenticated,
// TLS-protected connection to a Redis that only the servers can reach:
// whoever can write to it can reset any limit.
package redislimit
