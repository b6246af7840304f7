package httpapi

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/verify"
)

// Field limits of the sign-in bodies (verifykit's; the spec has no
// sign-in operation).
const (
	maxRecoveryCode      = 64   // recovery codes have 24 characters, grouped at most 29
	maxPassword          = 256  // as new_password
	maxAuthenticatorData = 2000 // authData of an assertion: 37 bytes plus extensions
	maxSignature         = 1400 // an RSA-8192 signature in base64url; ECDSA is ≤ 192
	maxUserHandle        = 88   // a 64-byte user handle in base64url (WebAuthn §5.4.3)
)

// decodeAt decodes raw, the member at of a request body (nil: the body
// itself), into v with decodeJSON (json/v2, strict), the depth bound
// counting from the body's top. Its refusals are added to errs under at.
func decodeAt(raw []byte, v any, at []string, lim limits, errs *fieldErrs) bool {
	if at != nil && jsontext.Value(raw).Kind() != '{' {
		errs.add(at, "must be an object")
		return false
	}
	err := decodeJSON(raw, v, lim.depth-len(at))
	if err == nil {
		return true
	}
	var ve *verify.Error
	if !errors.As(err, &ve) {
		errs.add(at, "is not valid JSON")
		return false
	}
	for _, f := range ve.Fields {
		if at != nil {
			f.Field = strings.TrimSuffix(fieldName(at)+"."+f.Field, ".")
			f.Pointer = pointer(at) + f.Pointer
		}
		if len(*errs) < maxFieldErrors {
			*errs = append(*errs, f)
		}
	}
	return false
}

// str decodes the member name (raw, absent when nil) as a string of minLen
// to maxLen characters; null and other kinds are refused.
func str(raw jsontext.Value, path []string, required bool, minLen, maxLen int, errs *fieldErrs) (*string, bool) {
	if raw == nil {
		if required {
			errs.add(path, "is required")
		}
		return nil, !required
	}
	var s string
	if raw.Kind() != '"' || json.Unmarshal(raw, &s) != nil {
		errs.add(path, "must be a string")
		return nil, false
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen && minLen == 1:
		errs.add(path, "must not be empty")
	case n < minLen:
		errs.add(path, "must be at least %d characters long", minLen)
	case maxLen > 0 && n > maxLen:
		errs.add(path, "must be at most %d characters long", maxLen)
	default:
		return &s, true
	}
	return nil, false
}

// authenticateBody is the body of the authenticate routes.
type authenticateBody struct {
	AuthSession   jsontext.Value `json:"auth_session"`
	OTPCode       jsontext.Value `json:"otp_code"`
	RecoveryCode  jsontext.Value `json:"recovery_code"`
	Password      jsontext.Value `json:"password"`
	AuthnResponse jsontext.Value `json:"authn_response"`
}

// decodeAuthenticate decodes and validates the body of POST
// /authentication-methods/{id}/authenticate and POST
// /passkey/authenticate: auth_session and at most one proof, each within
// its bounds; an authn_response must be an AuthenticatorAssertionResponse
// (PublicKeyCredential JSON) and nothing else. Whether the proof suits the
// sealed method type is for the service to decide.
func decodeAuthenticate(body []byte, lim limits) (verify.VerifyRequest, error) {
	var req verify.VerifyRequest
	var errs fieldErrs
	var b authenticateBody
	if !decodeAt(body, &b, nil, lim, &errs) {
		return req, errs.err()
	}
	if s, _ := str(b.AuthSession, []string{"auth_session"}, true, 0, lim.authSession, &errs); s != nil {
		req.AuthSession = *s
	}
	proofs := 0
	if s, _ := str(b.OTPCode, []string{"otp_code"}, false, 0, maxOTPCode, &errs); s != nil {
		req.OTPCode, proofs = s, proofs+1
	}
	if s, _ := str(b.RecoveryCode, []string{"recovery_code"}, false, 1, maxRecoveryCode, &errs); s != nil {
		req.RecoveryCode, proofs = s, proofs+1
	}
	if s, _ := str(b.Password, []string{"password"}, false, 1, maxPassword, &errs); s != nil {
		req.Password, proofs = s, proofs+1
	}
	if b.AuthnResponse != nil && checkAssertion(b.AuthnResponse, lim, &errs) {
		req.AuthnResponse = append([]byte(nil), b.AuthnResponse...)
		proofs++
	}
	if proofs > 1 {
		errs.add(nil, "carry at most one of otp_code, recovery_code, password and authn_response")
	}
	if err := errs.err(); err != nil {
		return verify.VerifyRequest{}, err
	}
	return req, nil
}

// assertionJSON is a PublicKeyCredential with an
// AuthenticatorAssertionResponse, in its JSON form (WebAuthn §5.1,
// AuthenticationResponseJSON).
type assertionJSON struct {
	ID                      jsontext.Value `json:"id"`
	RawID                   jsontext.Value `json:"rawId"`
	Type                    jsontext.Value `json:"type"`
	AuthenticatorAttachment jsontext.Value `json:"authenticatorAttachment"`
	ClientExtensionResults  jsontext.Value `json:"clientExtensionResults"`
	Response                jsontext.Value `json:"response"`
}

type assertionResponseJSON struct {
	ClientDataJSON    jsontext.Value `json:"clientDataJSON"`
	AuthenticatorData jsontext.Value `json:"authenticatorData"`
	Signature         jsontext.Value `json:"signature"`
	UserHandle        jsontext.Value `json:"userHandle"`
}

// checkAssertion validates authn_response as an assertion: the members
// WebAuthn's AuthenticationResponseJSON names and no other, at every level
// but clientExtensionResults (an object, within Config.MaxDepth), each
// string within its bound, before the engine decodes any of it.
func checkAssertion(raw jsontext.Value, lim limits, errs *fieldErrs) bool {
	before := len(*errs)
	at := func(names ...string) []string { return append([]string{"authn_response"}, names...) }
	var a assertionJSON
	if !decodeAt(raw, &a, at(), lim, errs) {
		return false
	}
	str(a.ID, at("id"), true, 1, maxCredentialID, errs)
	str(a.RawID, at("rawId"), true, 1, maxCredentialID, errs)
	if t, _ := str(a.Type, at("type"), true, 0, 0, errs); t != nil && *t != "public-key" {
		errs.add(at("type"), `must be "public-key"`)
	}
	if t, _ := str(a.AuthenticatorAttachment, at("authenticatorAttachment"), false, 0, 0, errs); t != nil &&
		*t != "platform" && *t != "cross-platform" {
		errs.add(at("authenticatorAttachment"), "must be one of: platform, cross-platform")
	}
	if ext := a.ClientExtensionResults; ext != nil && ext.Kind() != '{' {
		errs.add(at("clientExtensionResults"), "must be an object") // decodeAt bounded its depth
	}
	if a.Response == nil {
		errs.add(at("response"), "is required")
	} else {
		var r assertionResponseJSON
		if decodeAt(a.Response, &r, at("response"), lim, errs) {
			str(r.ClientDataJSON, at("response", "clientDataJSON"), true, 1, lim.clientDataJSON, errs)
			str(r.AuthenticatorData, at("response", "authenticatorData"), true, 1, maxAuthenticatorData, errs)
			str(r.Signature, at("response", "signature"), true, 1, maxSignature, errs)
			if r.UserHandle == nil || r.UserHandle.Kind() != 'n' { // null: no user handle (§5.2.2)
				str(r.UserHandle, at("response", "userHandle"), false, 0, maxUserHandle, errs)
			}
		}
	}
	return len(*errs) == before
}

// decodeEmpty accepts the body of a route that takes no members: none at
// all, or an empty JSON object.
func decodeEmpty(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	return decodeJSON(body, &struct{}{}, 1)
}
