// Package gcra is the arithmetic of the generic cell rate algorithm, shared
// by ratelimit.Memory and ratelimit/redislimit so that their decisions are
// the same to the field. Package ratelimit documents the algorithm.
package gcra

import (
	"errors"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/verify"
)

// Bounds of the verify.Limit values a limiter accepts.
const (
	MaxRequests = 1 << 30
	MaxWindow   = 366 * 24 * time.Hour
)

// ErrLimit is returned (wrapped, with the offending value) by Check.
var ErrLimit = errors.New("ratelimit: invalid limit")

// Check reports whether limit is one a limiter accepts: Requests in
// [1, MaxRequests], Window in (0, MaxWindow] and Window/Requests at least
// one nanosecond.
func Check(limit verify.Limit) error {
	if limit.Requests < 1 || limit.Requests > MaxRequests {
		return fmt.Errorf("%w: Requests %d out of range [1, %d]", ErrLimit, limit.Requests, MaxRequests)
	}
	if limit.Window <= 0 || limit.Window > MaxWindow {
		return fmt.Errorf("%w: Window %v out of range (0, %v]", ErrLimit, limit.Window, MaxWindow)
	}
	if limit.Window/time.Duration(limit.Requests) < 1 {
		return fmt.Errorf("%w: Window %v too short for %d requests", ErrLimit, limit.Window, limit.Requests)
	}
	return nil
}

// GCRA is the arithmetic for one limit, in nanoseconds: a request is
// allowed when it moves the key's theoretical arrival time (TAT) at most
// Burst ahead of now, and each request moves it by Interval.
type GCRA struct {
	Requests int
	Interval int64 // Window / Requests
	Burst    int64 // Interval × Requests, at most Window
}

// New returns the arithmetic of l, which Check has accepted.
func New(l verify.Limit) GCRA {
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
