package password

import (
	"errors"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Hash errors. Hasher.Compare returns exactly one of them
// (possibly wrapped) for any failure other than a cancelled context, so a
// corrupted or planted hash is never mistaken for a wrong password.
var (
	// ErrMismatch: the hash is well formed and within limits, and the
	// password does not match it.
	ErrMismatch = errors.New("password: hash does not match")
	// ErrMalformedHash: the encoded hash cannot be parsed, or names an
	// algorithm, variant or version this package does not implement.
	ErrMalformedHash = errors.New("password: malformed or unsupported hash")
	// ErrHashTooCostly: the hash's parameters (memory, passes, lanes, cost,
	// iterations, lengths) exceed the configured Limits; it was not
	// computed.
	ErrHashTooCostly = errors.New("password: hash parameters exceed limits")
	// ErrPasswordTooLong: the password exceeds what the hash algorithm can
	// verify whole (bcrypt: 72 bytes); nothing was hashed.
	ErrPasswordTooLong = errors.New("password: too long for the hash algorithm")
)

// Rule names one rule of a password policy, as reported in a PolicyError
// and in the spec's validation_errors ("min_length: must be at least …").
// The rules are the constants below, in the order they are checked and
// reported, each with what sets it.
type Rule string

const (
	RuleMinLength            Rule = "min_length"            // complexity.min_length
	RuleMaxLength            Rule = "max_length"            // the hash's input limit (bcrypt: 72 bytes)
	RuleCharacterTypes       Rule = "character_types"       // complexity.character_types and character_type_rule
	RuleIdenticalCharacters  Rule = "identical_characters"  // complexity.identical_characters
	RuleSequentialCharacters Rule = "sequential_characters" // complexity.sequential_characters
	RuleDictionary           Rule = "dictionary"            // dictionary (the list and Config.CustomWords)
	RuleProfileData          Rule = "profile_data"          // profile_data
	RuleBreached             Rule = "breached"              // Config.Breach
	RuleHistory              Rule = "history"               // history
)

// Violation is one broken rule. Detail is safe to show the user: it
// describes the rule, never the password or a stored value.
type Violation struct {
	Rule   Rule
	Detail string
}

// PolicyError lists every rule a new password breaks. It matches
// verify.ErrInvalidRequest with errors.Is: a password that breaks the
// policy is a 400 with one validation error per rule.
type PolicyError struct {
	Violations []Violation
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("password: new password breaks the policy:")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(string(v.Rule))
	}
	return b.String()
}

// Is reports whether target is verify.ErrInvalidRequest.
func (e *PolicyError) Is(target error) bool { return target == verify.ErrInvalidRequest }

// Broke reports whether rule r is among the violations.
func (e *PolicyError) Broke(r Rule) bool {
	for _, v := range e.Violations {
		if v.Rule == r {
			return true
		}
	}
	return false
}

// verifyError turns e into the *verify.Error a confirm returns: kind
// ErrInvalidRequest, reason "password_policy", one validation error per
// broken rule on /new_password, and e as the cause.
func (e *PolicyError) verifyError() *verify.Error {
	fields := make([]verify.FieldError, len(e.Violations))
	for i, v := range e.Violations {
		fields[i] = verify.FieldError{
			Field: "new_password", Pointer: "/new_password",
			Detail: string(v.Rule) + ": " + v.Detail,
		}
	}
	return &verify.Error{
		Kind:   verify.ErrInvalidRequest,
		Reason: "password_policy",
		Detail: "The new password does not meet the password policy",
		Fields: fields,
		Err:    e,
	}
}
