// Package ratelimit implements verify.Limiter, the rate limiter that
// verify/httpapi consults for every request, in process memory.
//
// # Semantics
//
// Every implementation of verify.Limiter in verifykit (this in-memory one
// and the shared ones that come later, e.g. on Redis) follows the generic
// cell rate algorithm (GCRA), so that a host can swap one for another
// without its clients noticing. For a verify.Limit of R requests per window
// W, the emission interval is T = W/R (whole nanoseconds, rounded down) and
// a key may burst up to R requests at once; after that it regains one
// request every T. Per key, the state is one time, the theoretical arrival
// time (TAT) of the next request; a key whose TAT is in the past is in the
// same state as a key never seen, so idle keys can be forgotten without
// changing any decision.
//
// A request at time now is allowed iff max(TAT, now) + T − now ≤ R·T; when
// allowed, TAT becomes max(TAT, now) + T. A refused request changes nothing
// (it is not counted). The returned verify.RateLimit reports:
//
//   - Allowed: whether the request may proceed;
//   - Limit: R;
//   - Remaining: how many more requests would be allowed right now, after
//     this one: ⌊(R·T − (TAT − now)) / T⌋, never negative;
//   - Reset: the new TAT, the instant the key has all R requests again;
//   - RetryAfter (refused requests only): how long until a request would be
//     allowed, TAT + T − R·T − now, always positive.
//
// verify/httpapi turns these into the spec's x-ratelimit-limit,
// x-ratelimit-remaining and x-ratelimit-reset (Reset in Unix seconds,
// rounded up) and retry-after (seconds, rounded up) headers.
//
// State is kept per key: use one Limit per key (verify/httpapi keys its
// buckets by route and user). Calling Allow on one key with different limits
// is well defined (the TAT is reinterpreted under the new limit) but mixes
// the two budgets.
//
// # Guarding sign-in checks
//
// Guard runs a check of a presented secret (a TOTP or recovery code at
// sign-in, the current password before a change) under a Limiter keyed by
// user, charging the attempt before the check: the host-side half of
// SECURITY-CHECKLIST TO-07, RC-06 and PW-10, whose enrollment-side half is
// verify.Service's attempt limit per auth_session.
//
// # Security
//
// Decisions are atomic per key: concurrent Allow calls on one key are
// serialised, so N concurrent requests against a fresh key of limit R see
// exactly min(N, R) allowed. The clock is Config.Now, so tests pin it; a
// clock that steps back never grants more than R requests in a burst.
//
// Memory is bounded by MemoryConfig.MaxKeys. Idle keys (TAT in the past) are
// dropped as new requests arrive, which is lossless. When the bound is
// reached with no idle key, the key closest to idle (the smallest TAT) is
// dropped: that key regains at most what it would have regained by its
// TAT, so an attacker filling the table with fresh keys gains at most one
// early refill on the keys closest to idle, never an unlimited budget.
// Size MaxKeys above the number of keys active within one window.
//
// The limiter is per process: N processes behind a load balancer each grant
// the full budget. Use a shared limiter there.
package ratelimit
