package tokenauth

import (
	"errors"
	"strconv"
	"strings"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// Error codes beyond RFC 6750's, for AuthError.Code.
const (
	// CodeInvalidDPoPProof: the DPoP proof is missing or invalid
	// (RFC 9449 §7.1).
	CodeInvalidDPoPProof = "invalid_dpop_proof"
	// CodeInsufficientUserAuthentication: the token's authentication is
	// too old or too weak for Config.MaxAuthAge or Config.ACRValues
	// (RFC 9470 §3). It is answered 401 with a challenge naming max_age
	// or acr_values, so that the client re-authenticates the user.
	CodeInsufficientUserAuthentication = "insufficient_user_authentication"
	// CodeUseDPoPNonce: the DPoP proof lacks the server's current nonce
	// (RFC 9449 §9). It is answered 401 with the nonce in DPoP-Nonce.
	CodeUseDPoPNonce = "use_dpop_nonce"
)

// Authentication schemes.
const (
	SchemeBearer = "Bearer"
	SchemeDPoP   = "DPoP"
)

// Client-safe descriptions. They say what the client must do, never which
// check of a signature, key or claim failed (GN-08), and never echo the
// token or the proof.
const (
	descMalformedHeader = "The Authorization header must be a single Bearer or DPoP credential"
	descInvalidToken    = "The access token is invalid"
	descExpired         = "The access token has expired"
	descBound           = "The access token is bound to a DPoP key and must be presented with the DPoP scheme"
	descNotBound        = "The access token is not bound to a DPoP key"
	descDPoPRequired    = "The access token must be DPoP-bound and presented with the DPoP scheme"
	descDPoPUnsupported = "The DPoP scheme is not supported"
	descInvalidProof    = "The DPoP proof is invalid"
	descMissingProof    = "A single DPoP proof header is required"
	descUseNonce        = "The DPoP proof must carry the nonce the server provides in DPoP-Nonce"
	descBinding         = "The DPoP proof key does not match the access token's binding"
	descStaleAuth       = "A more recent authentication is required"
	descWeakAuth        = "A stronger authentication is required"
	descInsufficient    = "The access token lacks a required scope"
)

// failure is the cause carried by the *httpapi.AuthError an Authenticator
// returns: the scheme the request used (for the challenge), and a
// *verify.Error whose Reason names the failed check for logs
// (verify.ReasonOf).
type failure struct {
	scheme string // SchemeBearer, SchemeDPoP, or "" when the header is malformed
	err    error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail returns the *httpapi.AuthError of a failed check. reason is the
// machine reason for logs; cause, for logs too, must not hold the token.
func fail(scheme, code, reason, desc string, cause error) error {
	return &httpapi.AuthError{
		Code:        code,
		Description: desc,
		Err: &failure{scheme: scheme, err: &verify.Error{
			Kind: verify.ErrUnauthenticated, Reason: reason, Detail: desc, Err: cause,
		}},
	}
}

var _ httpapi.Challenger = (*Authenticator)(nil)

// Challenges implements httpapi.Challenger: the WWW-Authenticate values of
// a 401 (err set; nil when the request carried no credentials) or of a
// 403 for a missing scope (err nil, scope set). It offers the schemes the
// mode accepts — `Bearer realm=…` (RFC 6750 §3) and
// `DPoP realm=…, algs="…"` (RFC 9449 §7.1) — and puts the error code on
// the challenge of the scheme the request used (on both when that is not
// known: a malformed header, a missing scope), with max_age or acr_values
// for insufficient_user_authentication (RFC 9470 §3).
func (a *Authenticator) Challenges(err error, scope string) []string {
	var params, scheme string
	var ae *httpapi.AuthError
	if errors.As(err, &ae) && ae.Code != "" {
		desc := ae.Description
		if desc == "" {
			desc = descInvalidToken
		}
		params = `error="` + quotable(ae.Code) + `", error_description="` + quotable(desc) + `"`
		if ae.Code == CodeInsufficientUserAuthentication {
			if a.maxAuthAge > 0 {
				params += `, max_age="` + strconv.FormatInt(int64(a.maxAuthAge.Seconds()), 10) + `"`
			}
			if len(a.acrValues) > 0 {
				params += `, acr_values="` + strings.Join(a.acrValues, " ") + `"`
			}
		}
		var f *failure
		if errors.As(err, &f) {
			scheme = f.scheme
		}
	} else if scope != "" {
		params = `error="insufficient_scope", error_description="` + descInsufficient + `", scope="` + quotable(scope) + `"`
	}
	onBearer := params != "" && (scheme != SchemeDPoP || a.mode == DPoPDisabled)
	onDPoP := params != "" && (scheme != SchemeBearer || a.mode == DPoPRequired)
	var out []string
	if a.mode != DPoPRequired {
		v := `Bearer realm="` + a.realm + `"`
		if onBearer {
			v += ", " + params
		}
		out = append(out, v)
	}
	if a.mode != DPoPDisabled {
		v := `DPoP realm="` + a.realm + `", algs="` + a.algsParam + `"`
		if onDPoP {
			v += ", " + params
		}
		out = append(out, v)
	}
	return out
}

// quotable keeps the characters RFC 6750 §3 allows in a quoted
// error_description (%x20-21 / %x23-5B / %x5D-7E).
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			return r
		}
		return ' '
	}, s)
}
