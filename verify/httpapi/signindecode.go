package httpapi

import (
	"bytes"
	"errors"
	"io"
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

// decodeStrict decodes body into v, a struct whose members are
// jsontext.Value, with json/v2: exactly one JSON value, valid UTF-8, no
// repeated member names (its defaults), no member v does not declare
// (RejectUnknownMembers). A failure is an ErrInvalidRequest whose field
// error names the member by its JSON pointer under at; it never echoes a
// value.
func decodeStrict(body []byte, v any, at string, errs *fieldErrs) bool {
	err := json.Unmarshal(body, v, json.RejectUnknownMembers(true))
	if err == nil {
		if jsontext.Value(bytes.TrimLeft(body, " \t\r\n")).Kind() == '{' {
			return true
		}
		errs.add(pointerPath(at), "must be an object")
		return false
	}
	var se *json.SemanticError
	var sy *jsontext.SyntacticError
	ptr, detail := "", "the request body is not valid JSON"
	switch {
	case errors.As(err, &se) && errors.Is(err, json.ErrUnknownName):
		ptr, detail = string(se.JSONPointer), "is not allowed"
	case errors.As(err, &se):
		ptr, detail = string(se.JSONPointer), "must be an object"
	case errors.As(err, &sy) && errors.Is(err, jsontext.ErrDuplicateName):
		ptr, detail = string(sy.JSONPointer), "is repeated"
	case errors.Is(err, io.ErrUnexpectedEOF):
		detail = "the request body is truncated"
	}
	errs.add(pointerPath(at+ptr), "%s", detail)
	return false
}

// pointerPath splits an RFC 6901 JSON pointer into member names.
func pointerPath(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return parts
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
func decodeAuthenticate(body []byte, lim limits) (verify.AuthenticateRequest, error) {
	var req verify.AuthenticateRequest
	var errs fieldErrs
	var b authenticateBody
	if !decodeStrict(body, &b, "", &errs) {
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
		return verify.AuthenticateRequest{}, err
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
// but clientExtensionResults (an object of at most MaxDepth levels), each
// string within its bound, before the engine decodes any of it.
func checkAssertion(raw jsontext.Value, lim limits, errs *fieldErrs) bool {
	before := len(*errs)
	at := func(names ...string) []string { return append([]string{"authn_response"}, names...) }
	var a assertionJSON
	if !decodeStrict(raw, &a, "/authn_response", errs) {
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
	if ext := a.ClientExtensionResults; ext != nil && (ext.Kind() != '{' || depth(ext) > lim.depth-2) {
		errs.add(at("clientExtensionResults"), "must be an object of at most %d levels", lim.depth-2)
	}
	if a.Response == nil {
		errs.add(at("response"), "is required")
	} else {
		var r assertionResponseJSON
		if decodeStrict(a.Response, &r, "/authn_response/response", errs) {
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

// depth returns the nesting depth of the valid JSON value v (1 for an
// empty object).
func depth(v jsontext.Value) int {
	d := jsontext.NewDecoder(bytes.NewReader(v))
	deepest := 0
	for {
		if _, err := d.ReadToken(); err != nil {
			return deepest
		}
		deepest = max(deepest, d.StackDepth())
	}
}

// decodeEmpty accepts the body of a route that takes no members: none at
// all, or an empty JSON object.
func decodeEmpty(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	var errs fieldErrs
	decodeStrict(body, &struct{}{}, "", &errs)
	return errs.err()
}
