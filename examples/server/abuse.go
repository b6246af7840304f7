package main

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// abuseFlags are the command-line settings of issue 16 (abuse
// resistance): JWT access-token strictness and send budgets.
type abuseFlags struct {
	requireATJWT     bool
	maxTokenLifetime time.Duration
	phoneCountries   string
}

func (a *abuseFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&a.requireATJWT, "require-at-jwt", false, `with -jwks: accept only access tokens of header typ "at+jwt" (RFC 9068)`)
	fs.DurationVar(&a.maxTokenLifetime, "max-token-lifetime", 0, "with -jwks: refuse access tokens whose exp-iat or age exceeds this (0: no limit; 1m to 24h)")
	fs.StringVar(&a.phoneCountries, "phone-countries", "", "regions whose phone numbers may enroll, comma-separated ISO 3166-1 codes such as US,GB (default: all)")
}

// countries returns the -phone-countries allow-list, nil for all.
func (a *abuseFlags) countries() ([]string, error) {
	if a.phoneCountries == "" {
		return nil, nil
	}
	var cs []string
	for _, c := range strings.Split(a.phoneCountries, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil, fmt.Errorf("-phone-countries %q: empty region", a.phoneCountries)
		}
		cs = append(cs, strings.ToUpper(c))
	}
	return cs, nil
}
