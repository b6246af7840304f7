package httpapi

// Names of the wire strings (operationIds, problem types) and bounds, for
// the tests of package httpapi_test.
const (
	OpCreate           = opCreate
	OpVerify           = opVerify
	OpList             = opList
	OpGet              = opGet
	OpUpdate           = opUpdate
	OpDelete           = opDelete
	OpFactors          = opFactors
	OpPasskeyChallenge = opPasskeyChallenge

	ProblemInvalidRequest       = problemInvalidRequest
	ProblemInvalidSession       = problemInvalidSession
	ProblemSessionExpired       = problemSessionExpired
	ProblemSessionUsed          = problemSessionUsed
	ProblemTooManyAttempts      = problemTooManyAttempts
	ProblemInvalidProof         = problemInvalidProof
	ProblemPending              = problemPending
	ProblemUnauthorized         = problemUnauthorized
	ProblemForbidden            = problemForbidden
	ProblemInsufficientScope    = problemInsufficientScope
	ProblemNotFound             = problemNotFound
	ProblemMethodNotAllowed     = problemMethodNotAllowed
	ProblemConflict             = problemConflict
	ProblemPayloadTooLarge      = problemPayloadTooLarge
	ProblemUnsupportedMediaType = problemUnsupportedMediaType
	ProblemRateLimited          = problemRateLimited
	ProblemInternal             = problemInternal

	DefaultMaxBodyBytes   = defaultMaxBodyBytes
	DefaultMaxAuthSession = defaultMaxAuthSession
)

var DefaultAnonymousRateLimit = defaultAnonymousRateLimit
