package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/verify"
)

// DefaultGuardLimit returns a limit for Guard around the sign-in checks of
// one user's codes and passwords: 5 checks per 15 minutes (a burst of 5,
// then one more every 3 minutes), well under the 100 consecutive failures
// NIST SP 800-63B §5.2.2 allows.
func DefaultGuardLimit() verify.Limit { return verify.Limit{Requests: 5, Window: 15 * time.Minute} }

// Guard runs check, a verification of a secret the caller presented (a
// TOTP or recovery code at sign-in, a current password before a change),
// under limit: it charges one request of key on l first and runs check only
// if l allows it. The charge comes before the check, so N concurrent
// guesses against one key are at most limit.Requests evaluated, whatever
// their outcome (SECURITY-CHECKLIST TO-07, RC-06, PW-10).
//
// Key the limiter by user, not by method or path, and use the same key on
// every path that checks that user's secrets (sign-in, step-up, password
// change), so that the budget is shared. Every check is charged, a
// successful one too: size the limit above legitimate use.
//
// A refused check is a *verify.Error of kind verify.ErrRateLimited
// carrying the bucket (verify/httpapi answers 429 with retry-after), and
// check does not run. A limiter error fails closed: it is returned
// wrapped, matches no verify kind, and check does not run. Otherwise Guard
// returns check's error unchanged.
func Guard(ctx context.Context, l verify.Limiter, key string, limit verify.Limit, check func(context.Context) error) error {
	if l == nil || check == nil {
		return errors.New("ratelimit: Guard needs a limiter and a check")
	}
	rl, err := l.Allow(ctx, key, limit)
	if err != nil {
		return fmt.Errorf("ratelimit: guard: %w", err)
	}
	if !rl.Allowed {
		return &verify.Error{
			Kind: verify.ErrRateLimited, Reason: "too_many_attempts",
			Detail: "Too many attempts; try again later", RateLimit: &rl,
		}
	}
	return check(ctx)
}
