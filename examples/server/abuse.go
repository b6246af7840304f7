package main

import (
	"flag"
	"time"
)

// abuseFlags are the command-line settings of issue 16 (abuse
// resistance): JWT access-token strictness and send budgets.
type abuseFlags struct {
	requireATJWT     bool
	maxTokenLifetime time.Duration
}

func (a *abuseFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&a.requireATJWT, "require-at-jwt", false, `with -jwks: accept only access tokens of header typ "at+jwt" (RFC 9068)`)
	fs.DurationVar(&a.maxTokenLifetime, "max-token-lifetime", 0, "with -jwks: refuse access tokens whose exp-iat or age exceeds this (0: no limit; 1m to 24h)")
}
