package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Scopes of the My Account API routes (the spec's Bearer-DPoP security
// requirements).
const (
	ScopeCreateMethods = "create:me:authentication_methods"
	ScopeReadMethods   = "read:me:authentication_methods"
	ScopeUpdateMethods = "update:me:authentication_methods"
	ScopeDeleteMethods = "delete:me:authentication_methods"
	ScopeReadFactors   = "read:me:factors"
	// ScopeAuthenticateMethods is verifykit's scope of the step-up sign-in
	// routes (challenge, authenticate), an extension of the spec.
	ScopeAuthenticateMethods = "authenticate:me:authentication_methods"
)

// Principal is who a request acts for, as the host's authentication
// established it.
type Principal struct {
	// Subject is the user; Subject.ID is required.
	Subject verify.Subject
	// Scopes are the scopes granted to the credential (an access token's
	// "scope" claim, split on spaces). Each route requires one.
	Scopes []string
}

// HasScope reports whether p was granted scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Authenticator establishes the Principal of a request: from an access
// token (bearer, DPoP), a session cookie, a client certificate. It must
// not read the request body.
//
// A request with no or bad credentials fails with an error matching
// verify.ErrUnauthenticated, preferably an *AuthError naming the RFC 6750
// error code; the Handler answers 401 (400 for the code invalid_request)
// with a WWW-Authenticate challenge. An error matching verify.ErrForbidden
// is answered 403. Any other error is an outage, answered 500 and logged.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (Principal, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Principal, error) { return f(r) }

// Challenger is implemented by Authenticators that write their own
// WWW-Authenticate challenges, such as a DPoP authenticator (RFC 9449 §7.1:
// `DPoP algs="ES256"`). Challenges returns the header values for a failed
// authentication err (nil when the request carried no credentials) or, with
// err nil and scope set, for a credential lacking scope.
type Challenger interface {
	Challenges(err error, scope string) []string
}

// HeaderSetter is implemented by Authenticators that put headers on every
// answer of the routes they guard, such as the DPoP-Nonce of a DPoP
// authenticator that issues server nonces (RFC 9449 §8). The Handler
// calls SetHeaders before Authenticate, so a refused request carries the
// headers too; an error is an outage, answered 500.
type HeaderSetter interface {
	SetHeaders(r *http.Request, h http.Header) error
}

// RFC 6750 §3.1 error codes.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// AuthError is a failed authentication. It matches verify.ErrUnauthenticated
// (verify.ErrForbidden for CodeInsufficientScope).
type AuthError struct {
	// Code is the RFC 6750 error code; empty when the request carried no
	// credentials at all (§3.1: then the challenge has no error).
	Code string
	// Description is a client-safe explanation for error_description and
	// the problem detail. It must not echo the credential.
	Description string
	// Err is the cause, for logs.
	Err error
}

func (e *AuthError) Error() string {
	msg := "httpapi: unauthenticated"
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Is matches the verify kind of e.
func (e *AuthError) Is(target error) bool {
	if e.Code == CodeInsufficientScope {
		return target == verify.ErrForbidden
	}
	return target == verify.ErrUnauthenticated
}

// Unwrap returns the cause.
func (e *AuthError) Unwrap() error { return e.Err }

// ErrNoCredentials is the AuthError for a request without an Authorization
// header.
var ErrNoCredentials = &AuthError{Description: "An access token is required"}

// BearerToken returns the token of the request's "Authorization: Bearer"
// header (RFC 6750 §2.1; the scheme is matched case-insensitively, RFC 9110
// §11.1). It fails with ErrNoCredentials when there is no Authorization
// header, and with an *AuthError of code invalid_request when there are
// several, the scheme is another, or the token is not a b64token.
func BearerToken(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", ErrNoCredentials
	case len(vals) > 1:
		return "", &AuthError{Code: CodeInvalidRequest, Description: "More than one Authorization header"}
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", &AuthError{Code: CodeInvalidRequest, Description: "The Authorization header must use the Bearer scheme"}
	}
	token = strings.TrimLeft(token, " ")
	if !isB64Token(token) {
		return "", &AuthError{Code: CodeInvalidRequest, Description: "The bearer token is malformed"}
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range []byte(body) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

// StaticToken is one token a StaticBearer accepts.
type StaticToken struct {
	// Token is the bearer token: a b64token of 22 (128 random bits in
	// base64url) to 4096 bytes. Treat it as a password.
	Token string
	// Principal is who the token acts for.
	Principal Principal
}

const minStaticTokenLen = 22 // bytes; StaticToken.Token states the range

// StaticBearer authenticates requests by comparing their bearer token with
// a fixed list, for demos, tests and service accounts. Production servers
// authenticate users with their own access tokens (JWT, DPoP) or sessions
// through their own Authenticator.
type StaticBearer struct {
	tokens []staticEntry
}

type staticEntry struct {
	digest    [sha256.Size]byte
	principal Principal
}

var _ Authenticator = (*StaticBearer)(nil)

// NewStaticBearer returns a StaticBearer accepting tokens. Every token must
// be a b64token within StaticToken.Token's range, distinct, with a
// Principal whose Subject.ID is set.
func NewStaticBearer(tokens ...StaticToken) (*StaticBearer, error) {
	if len(tokens) == 0 {
		return nil, errors.New("httpapi: NewStaticBearer needs at least one token")
	}
	s := &StaticBearer{}
	seen := map[[sha256.Size]byte]bool{}
	for i, t := range tokens {
		if len(t.Token) < minStaticTokenLen || len(t.Token) > 4096 || !isB64Token(t.Token) {
			return nil, fmt.Errorf("httpapi: static token %d must be a b64token of length [%d, 4096]", i, minStaticTokenLen)
		}
		if t.Principal.Subject.ID == "" {
			return nil, fmt.Errorf("httpapi: static token %d has no Principal.Subject.ID", i)
		}
		d := sha256.Sum256([]byte(t.Token))
		if seen[d] {
			return nil, fmt.Errorf("httpapi: static token %d is repeated", i)
		}
		seen[d] = true
		s.tokens = append(s.tokens, staticEntry{digest: d, principal: t.Principal})
	}
	return s, nil
}

// Authenticate compares the request's bearer token with every configured
// token, in constant time over SHA-256 digests and without stopping at a
// match, so timing reveals neither the token nor which one matched.
func (s *StaticBearer) Authenticate(r *http.Request) (Principal, error) {
	token, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	d := sha256.Sum256([]byte(token))
	match := -1
	for i := range s.tokens {
		eq := subtle.ConstantTimeCompare(d[:], s.tokens[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return Principal{}, &AuthError{Code: CodeInvalidToken, Description: "The access token is invalid"}
	}
	p := s.tokens[match].principal
	p.Scopes = slices.Clone(p.Scopes)
	return p, nil
}

// AllScopes returns every scope of the My Account authentication-method
// routes, for demo tokens.
func AllScopes() []string {
	return []string{ScopeCreateMethods, ScopeReadMethods, ScopeUpdateMethods, ScopeDeleteMethods, ScopeReadFactors, ScopeAuthenticateMethods}
}
