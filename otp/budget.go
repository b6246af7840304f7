package otp

// Send budgets against SMS pumping (toll fraud) and mail bombing (issue
// 16 items 2 and 3). Every budget is a bucket of the engine's
// verify.Limiter, so a limiter shared across processes (ratelimit's Redis
// limiter) makes each of them, the ceiling included, a cluster-wide one.

import (
	"context"
	"fmt"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Defaults and ranges of the send budgets of PhoneConfig and EmailConfig.
// Each default is per hour.
const (
	// defaultIPSendRequests bounds the codes sent for requests from one
	// client IP address, across every account.
	defaultIPSendRequests = 20
	// defaultPrefixSendRequests bounds the codes sent to the numbers of
	// one range: the number without its last 3 digits (1,000 numbers).
	defaultPrefixSendRequests = 10
	// defaultCountrySendRequests bounds the codes sent to one country
	// calling code.
	defaultCountrySendRequests = 200
	// defaultCeilingSendRequests bounds every phone code the engine sends:
	// per process with an in-memory limiter, per cluster with a shared
	// one.
	defaultCeilingSendRequests = 1000
	// defaultDomainSendRequests bounds the e-mails sent to one domain.
	defaultDomainSendRequests = 300
	// maxBudgetRequests bounds the Requests of every budget but SendLimit.
	maxBudgetRequests = 1_000_000
)

// bucket is one budget charged by a send: a limiter key and its limit.
type bucket struct {
	key   string
	limit verify.Limit
	name  string // for the reason code, e.g. "ip"
}

// budget fills the default of one budget and checks its range.
func budget(name string, l *verify.Limit, def int) error {
	if *l == (verify.Limit{}) {
		*l = verify.Limit{Requests: def, Window: defaultSendWindow}
	}
	if l.Requests < 1 || l.Requests > maxBudgetRequests {
		return configErrorf("%s.Requests %d out of range [1, %d]", name, l.Requests, maxBudgetRequests)
	}
	if l.Window < minSendWindow || l.Window > maxSendWindow {
		return configErrorf("%s.Window %v out of range [%v, %v]", name, l.Window, minSendWindow, maxSendWindow)
	}
	return nil
}

// charge records one send in every bucket, in order, and returns a
// verify.ErrRateLimited error carrying the refusing bucket's state at the
// first that is exhausted; nothing is sent then. Buckets after the
// refusing one are not charged, so the narrow buckets come first (a user
// over their own budget never uses up the ceiling). A limiter failure
// fails closed.
func (e *codeEngine) charge(ctx context.Context, buckets []bucket) error {
	for _, b := range buckets {
		d, err := e.limiter.Allow(ctx, b.key, b.limit)
		if err != nil {
			return fmt.Errorf("otp: rate limiter: %w", err)
		}
		if !d.Allowed {
			return &verify.Error{
				Kind: verify.ErrRateLimited, Reason: string(e.typ) + "_send_limited_" + b.name,
				Detail:    "Too many codes were sent; try again later",
				RateLimit: &d,
			}
		}
	}
	return nil
}

// buckets returns the budgets a send to dest (its limiting key) charges:
// the user's, the client IP's when the host gave one, the destination's,
// then extra (the wider ones).
func (e *codeEngine) buckets(req *verify.EngineStart, dest string, extra ...bucket) []bucket {
	p := "verifykit/" + string(e.typ) + "/send/"
	bs := []bucket{{p + "user/" + req.Subject.ID, e.cfg.SendLimit, "user"}}
	if ip := req.Client.IP; ip != "" {
		bs = append(bs, bucket{p + "ip/" + ip, e.cfg.IPLimit, "ip"})
	}
	bs = append(bs, bucket{p + "to/" + dest, e.cfg.SendLimit, "to"})
	for _, b := range extra {
		b.key = p + b.key
		bs = append(bs, b)
	}
	return bs
}

// emailLimitKey is the form of an address that destination budgets are
// keyed on: the local part and the domain lower-cased and a "+tag"
// removed, so "Alice+1@Example.com" and "alice@example.com" share one
// bucket (AB-07). It is for limiting only: the address sent to and stored
// stays as typed.
func emailLimitKey(addr string) (key, domain string) {
	at := strings.LastIndexByte(addr, '@')
	local, domain := strings.ToLower(addr[:at]), strings.ToLower(addr[at+1:])
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain, domain
}
