package ratelimit

import (
	"time"

	"github.com/verifykit/verifykit/verify"
)

// GCRA is the arithmetic of the generic cell rate algorithm for one limit,
// in nanoseconds: a request is allowed when it moves the key's theoretical
// arrival time (TAT) at most Burst ahead of now, and each request moves it
// by Interval. Memory and ratelimit/redislimit share it, so that their
// decisions are the same to the field.
type GCRA struct {
	Requests int
	Interval int64 // Window / Requests
	Burst    int64 // Interval × Requests, at most Window
}

// NewGCRA returns the arithmetic of l, which CheckLimit has accepted.
func NewGCRA(l verify.Limit) GCRA {
	interval := int64(l.Window / time.Duration(l.Requests))
	return GCRA{Requests: l.Requests, Interval: interval, Burst: interval * int64(l.Requests)}
}

// Admits reports whether a request at now is allowed when the key's TAT is
// tat (tat ≤ now for an idle or new key).
func (g GCRA) Admits(tat, now int64) bool { return tat+g.Interval-now <= g.Burst }

// Refused is the decision for a request at now refused with the key's TAT
// at tat, which the refusal leaves unchanged.
func (g GCRA) Refused(tat, now int64) verify.RateLimit {
	return verify.RateLimit{
		Allowed:    false,
		Limit:      g.Requests,
		Remaining:  0,
		Reset:      time.Unix(0, tat).UTC(),
		RetryAfter: time.Duration(tat + g.Interval - g.Burst - now),
	}
}

// Allowed is the decision for a request at now allowed, which moved the
// key's TAT to next.
func (g GCRA) Allowed(next, now int64) verify.RateLimit {
	return verify.RateLimit{
		Allowed:   true,
		Limit:     g.Requests,
		Remaining: int((g.Burst - (next - now)) / g.Interval),
		Reset:     time.Unix(0, next).UTC(),
	}
}
