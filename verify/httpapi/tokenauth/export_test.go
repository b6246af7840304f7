package tokenauth

// Bounds of Config, for the tests of package tokenauth_test.
const (
	DefaultLeeway          = defaultLeeway
	DefaultJWKSRefresh     = defaultJWKSRefresh
	DefaultJWKSMinInterval = defaultJWKSMinInterval
	DefaultJWKSMaxBytes    = defaultJWKSMaxBytes
	MaxJWKSKeys            = maxJWKSKeys
	DefaultMaxTokenBytes   = defaultMaxTokenBytes
	MaxProofBytes          = maxProofBytes
	DefaultProofMaxAge     = defaultProofMaxAge
	MaxClaimLen            = maxClaimLen
)
