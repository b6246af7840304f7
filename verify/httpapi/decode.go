package httpapi

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/verify"
)

// Field limits. The spec's limits (maxLength of the authn_response fields,
// new_password, connection, identity_user_id) are enforced as written;
// fields the spec leaves unbounded, and the sign-in bodies the spec does
// not have, get the bounds below, which no valid request comes near.
const (
	specMaxAttestationObject = 2000 // spec: authn_response.response.attestationObject maxLength
	specMaxClientDataJSON    = 1000 // spec: authn_response.response.clientDataJSON maxLength
	maxCredentialID          = 1364 // spec: authn_response.id and rawId maxLength
	maxTransport             = 100  // spec: authn_response.response.transports items maxLength
	maxTransports            = 16   // verifykit: items of transports (WebAuthn defines 6)
	maxNewPassword           = 256  // spec: new_password maxLength
	maxConnection            = 128  // spec: Connection maxLength
	maxIdentityUserID        = 255  // spec: IdentityUserId maxLength
	maxOTPCode               = 64   // verifykit: otp_code (codes have 6 to 8 digits)
	maxEmail                 = 320  // verifykit: email (RFC 5321 allows 254 in a path)
	maxPhoneNumber           = 64   // verifykit: phone_number (E.164 has at most 15 digits)
	maxRecoveryCode          = 64   // verifykit: recovery codes have 24 characters, grouped at most 29
	maxPassword              = 256  // verifykit: as new_password
	maxAuthenticatorData     = 2000 // verifykit: an assertion's authData, 37 bytes plus extensions
	maxSignature             = 1400 // verifykit: an RSA-8192 signature in base64url; ECDSA is ≤ 192
	maxUserHandle            = 88   // verifykit: a 64-byte user handle in base64url (WebAuthn §5.4.3)
	maxFieldErrors           = 16   // validation_errors entries reported at most
	maxNameInDetail          = 64   // bytes of an unknown member's name echoed back
)

// fieldErrs collects validation errors of one request body.
type fieldErrs []verify.FieldError

func (fe *fieldErrs) add(path []string, format string, a ...any) {
	if len(*fe) >= maxFieldErrors {
		return
	}
	*fe = append(*fe, verify.FieldError{Field: fieldName(path), Pointer: pointer(path), Detail: fmt.Sprintf(format, a...)})
}

func (fe fieldErrs) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &verify.Error{Kind: verify.ErrInvalidRequest, Reason: "invalid_request", Detail: "Invalid request payload input", Fields: fe}
}

func invalidBody(detail string, path ...string) error {
	var fe fieldErrs
	fe.add(path, "%s", detail)
	return fe.err()
}

// fieldName is the dotted name of a member: "authn_response.response.clientDataJSON".
func fieldName(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = clip(p)
	}
	return strings.Join(parts, ".")
}

// pointer is the RFC 6901 JSON pointer of a member.
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(clip(p)))
	}
	return b.String()
}

// clip shortens a client-chosen member name before it is echoed back.
func clip(s string) string {
	if len(s) <= maxNameInDetail {
		return s
	}
	cut := maxNameInDetail
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// object is a JSON object of a request body being validated: its members
// as sent (decodeJSON has checked the grammar, the depth and the names of
// the whole body). Each check takes the member it checks, so that a member
// of the wrong JSON type is reported together with every other problem of
// the body; refuseRest then reports the members no check took.
type object struct {
	path    []string
	members map[string]jsontext.Value
	errs    *fieldErrs
}

// decode decodes body, which must be one JSON object, into its members
// (decodeJSON), and has check validate them into a request: the request,
// or an ErrInvalidRequest naming every problem.
func decode[T any](body []byte, cfg *Config, check func(o *object, req *T)) (T, error) {
	var req T
	var m map[string]jsontext.Value
	if err := decodeJSON(body, &m, cfg.MaxDepth); err != nil {
		return req, err
	}
	var errs fieldErrs
	check(&object{members: m, errs: &errs}, &req)
	if err := errs.err(); err != nil {
		var zero T
		return zero, err
	}
	return req, nil
}

// at is the path of the member name.
func (o *object) at(name string) []string { return append(slices.Clip(o.path), name) }

// take removes the member name and returns it (nil when absent) and its path.
func (o *object) take(name string) (jsontext.Value, []string) {
	raw := o.members[name]
	delete(o.members, name)
	return raw, o.at(name)
}

// str takes the member name: when absent, it is reported if required;
// when present, it must be a string of minLen to maxLen characters
// (Unicode code points, as JSON Schema counts; maxLen 0 means unbounded).
// It returns the string, or nil when absent or refused.
func (o *object) str(name string, required bool, minLen, maxLen int) *string {
	raw, path := o.take(name)
	return o.errs.str(raw, path, required, minLen, maxLen)
}

func (fe *fieldErrs) str(raw jsontext.Value, path []string, required bool, minLen, maxLen int) *string {
	if raw == nil {
		if required {
			fe.add(path, "is required")
		}
		return nil
	}
	var s string
	if raw.Kind() != '"' || json.Unmarshal(raw, &s) != nil {
		fe.add(path, "must be a string")
		return nil
	}
	switch n := utf8.RuneCountInString(s); {
	case n < minLen && minLen == 1:
		fe.add(path, "must not be empty")
	case n < minLen:
		fe.add(path, "must be at least %d characters long", minLen)
	case maxLen > 0 && n > maxLen:
		fe.add(path, "must be at most %d characters long", maxLen)
	default:
		return &s
	}
	return nil
}

// text is str for a member that must not contain the characters bad matches.
func (o *object) text(name string, minLen, maxLen int, bad func(rune) bool, why string) *string {
	raw, path := o.take(name)
	s := o.errs.str(raw, path, false, minLen, maxLen)
	if s != nil && strings.IndexFunc(*s, bad) >= 0 {
		o.errs.add(path, "%s", why)
		return nil
	}
	return s
}

// enum takes the string member name, which must be one of values.
func (o *object) enum(name string, required bool, values ...string) *string {
	raw, path := o.take(name)
	s := o.errs.str(raw, path, required, 0, 0)
	if s != nil && !slices.Contains(values, *s) {
		o.errs.add(path, "must be one of: %s", strings.Join(values, ", "))
		return nil
	}
	return s
}

// boolean takes the optional boolean member name.
func (o *object) boolean(name string) *bool {
	raw, path := o.take(name)
	if raw == nil {
		return nil
	}
	if k := raw.Kind(); k != 't' && k != 'f' {
		o.errs.add(path, "must be a boolean")
		return nil
	}
	b := raw.Kind() == 't'
	return &b
}

// object takes the member name, which must be an object; nil when absent
// (reported if required) or refused.
func (o *object) object(name string, required bool) *object {
	raw, path := o.take(name)
	var m map[string]jsontext.Value
	switch {
	case raw == nil:
		if required {
			o.errs.add(path, "is required")
		}
		return nil
	case raw.Kind() != '{' || json.Unmarshal(raw, &m) != nil:
		o.errs.add(path, "must be an object")
		return nil
	}
	return &object{path: path, members: m, errs: o.errs}
}

// refuseRest reports each member no check took as not allowed (why, then
// suffix), in name order.
func (o *object) refuseRest(why, suffix string) {
	for _, k := range slices.Sorted(maps.Keys(o.members)) {
		o.errs.add(o.at(k), "%s%s", why, suffix)
	}
}

// startFields are the members each type's start request may carry besides
// "type" (CreateAuthenticationMethodRequestContent; webauthn-platform and
// webauthn-roaming take the passkey payload's; mediation is an extension
// for passkey upgrades).
var startFields = map[verify.Type][]string{
	verify.TypePasskey:          {"connection", "identity_user_id", "use_exclude_credentials", "mediation"},
	verify.TypeWebAuthnPlatform: {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypeWebAuthnRoaming:  {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypePassword:         {"connection", "identity_user_id"},
	verify.TypeEmail:            {"email"},
	verify.TypePhone:            {"phone_number", "preferred_authentication_method"},
}

// decodeStart decodes and validates the body of POST /authentication-methods.
func decodeStart(body []byte, cfg *Config) (verify.StartRequest, error) {
	return decode(body, cfg, func(o *object, req *verify.StartRequest) {
		t := o.enum("type", true, typeNames()...)
		if t == nil {
			return // without a valid type no member can be judged
		}
		req.Type = verify.Type(*t)
		allowed := func(f string) bool { return slices.Contains(startFields[req.Type], f) }
		if allowed("connection") {
			req.Connection = value(o.text("connection", 1, maxConnection, notConnection, "must contain only letters, digits and '-'"))
			req.IdentityUserID = value(o.text("identity_user_id", 1, maxIdentityUserID, unicode.IsSpace, "must not contain whitespace"))
		}
		if allowed("use_exclude_credentials") {
			req.UseExcludeCredentials = o.boolean("use_exclude_credentials")
		}
		if allowed("mediation") {
			req.Mediation = value(o.enum("mediation", false, "conditional"))
		}
		if allowed("email") {
			req.Email = value(o.str("email", true, 1, maxEmail))
		}
		if allowed("phone_number") {
			req.PhoneNumber = value(o.str("phone_number", true, 1, maxPhoneNumber))
			req.PreferredAuthenticationMethod = value(o.enum("preferred_authentication_method", false, "sms", "voice"))
		}
		o.refuseRest("is not allowed for type ", string(req.Type))
	})
}

// value is *s, or "" for nil.
func value(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// notConnection matches the characters Connection's pattern excludes.
func notConnection(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
}

// isControl matches the characters new_password's pattern excludes:
// U+0000–U+001F and U+007F–U+009F.
func isControl(r rune) bool { return r <= 0x1f || r >= 0x7f && r <= 0x9f }

// decodeVerify decodes and validates the body of POST
// /authentication-methods/{id}/verify. Whether the proof suits the sealed
// method type is for the service to decide; the body may carry at most one.
func decodeVerify(body []byte, cfg *Config) (verify.VerifyRequest, error) {
	return decode(body, cfg, func(o *object, req *verify.VerifyRequest) {
		req.AuthSession = value(o.str("auth_session", true, 0, cfg.MaxAuthSession))
		req.OTPCode = o.str("otp_code", false, 0, maxOTPCode)
		req.NewPassword = o.text("new_password", 1, maxNewPassword, isControl, "must not contain control characters")
		req.AuthnResponse = o.credential(cfg, false)
		o.refuseRest("is not allowed", "")
		if _, one := req.Proof(); !one {
			o.errs.add(nil, "carry at most one of otp_code, authn_response and new_password")
		}
	})
}

// decodeAuthenticate decodes and validates the body of POST
// /authentication-methods/{id}/authenticate and POST /passkey/authenticate:
// auth_session and at most one proof, each within its bounds; an
// authn_response must be an assertion. Whether the proof suits the sealed
// method type is for the service to decide.
func decodeAuthenticate(body []byte, cfg *Config) (verify.VerifyRequest, error) {
	return decode(body, cfg, func(o *object, req *verify.VerifyRequest) {
		req.AuthSession = value(o.str("auth_session", true, 0, cfg.MaxAuthSession))
		req.OTPCode = o.str("otp_code", false, 0, maxOTPCode)
		req.RecoveryCode = o.str("recovery_code", false, 1, maxRecoveryCode)
		req.Password = o.str("password", false, 1, maxPassword)
		req.AuthnResponse = o.credential(cfg, true)
		o.refuseRest("is not allowed", "")
		if _, one := req.Proof(); !one {
			o.errs.add(nil, "carry at most one of otp_code, recovery_code, password and authn_response")
		}
	})
}

// typeNames are the names of verify.Types(), in spec order.
func typeNames() []string {
	var names []string
	for _, t := range verify.Types() {
		names = append(names, string(t))
	}
	return names
}

// decodeUpdate decodes and validates the body of PATCH
// /authentication-methods/{id} (UpdateAuthenticationMethodRequestContent,
// additionalProperties false). Whether the method's type has a name or a
// preferred channel is for the Manager to decide.
func decodeUpdate(body []byte, cfg *Config) (verify.UpdateRequest, error) {
	return decode(body, cfg, func(o *object, req *verify.UpdateRequest) {
		req.Name = o.text("name", 1, verify.MaxNameLength, isControl, "must not contain control characters")
		req.PreferredAuthenticationMethod = o.enum("preferred_authentication_method", false, "sms", "voice")
		o.refuseRest("is not allowed", "")
	})
}

// decodeEmpty accepts the body of a route that takes no members: none at
// all, or an empty JSON object.
func decodeEmpty(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	return decodeJSON(body, &struct{}{}, 1)
}

// credential takes authn_response, a PublicKeyCredential in its JSON form:
// with assertion, WebAuthn's AuthenticationResponseJSON (sign-in), else the
// spec's AuthenticatorAttestationResponse (RegistrationResponseJSON). No
// member beyond those named is accepted, at any level but
// clientExtensionResults (an object, within Config.MaxDepth). It returns a
// copy of the member as sent, nil when absent or refused.
func (o *object) credential(cfg *Config, assertion bool) []byte {
	raw := o.members["authn_response"]
	before := len(*o.errs)
	a := o.object("authn_response", false)
	if a == nil {
		return nil
	}
	minID := 0
	if assertion {
		minID = 1
	}
	a.str("id", true, minID, maxCredentialID)
	a.str("rawId", true, minID, maxCredentialID)
	if t := a.str("type", true, 0, 0); t != nil && *t != "public-key" {
		a.errs.add(a.at("type"), `must be "public-key"`)
	}
	a.enum("authenticatorAttachment", false, "platform", "cross-platform")
	if ext, path := a.take("clientExtensionResults"); ext != nil && ext.Kind() != '{' {
		a.errs.add(path, "must be an object")
	}
	if r := a.object("response", true); r != nil {
		if assertion {
			r.str("clientDataJSON", true, 1, cfg.MaxClientDataJSON)
			r.str("authenticatorData", true, 1, maxAuthenticatorData)
			r.str("signature", true, 1, maxSignature)
			if r.members["userHandle"].Kind() == 'n' { // null: no user handle (§5.2.2)
				r.take("userHandle")
			}
			r.str("userHandle", false, 0, maxUserHandle)
		} else {
			r.str("attestationObject", true, 0, cfg.MaxAttestationObject)
			r.str("clientDataJSON", true, 0, cfg.MaxClientDataJSON)
			r.transports()
			// The copies PublicKeyCredential.toJSON() and
			// @simplewebauthn/browser add (an extension of the spec's
			// closed schema): bounded here, and checked against the
			// attestation object by the passkey engine.
			r.str("authenticatorData", false, 0, cfg.MaxAttestationObject)
			if r.members["publicKey"].Kind() == 'n' {
				r.take("publicKey")
			}
			r.str("publicKey", false, 0, cfg.MaxAttestationObject)
			if alg, path := r.take("publicKeyAlgorithm"); alg != nil && (alg.Kind() != '0' || len(alg) > 12) {
				r.errs.add(path, "must be an integer")
			}
		}
		r.refuseRest("is not allowed", "")
	}
	a.refuseRest("is not allowed", "")
	if len(*o.errs) != before {
		return nil
	}
	return append([]byte(nil), raw...) // raw is in the request body's buffer
}

// transports takes the optional transports member: an array of at most
// maxTransports strings.
func (o *object) transports() {
	raw, path := o.take("transports")
	if raw == nil {
		return
	}
	var items []jsontext.Value
	if raw.Kind() != '[' || json.Unmarshal(raw, &items) != nil {
		o.errs.add(path, "must be an array of strings")
		return
	}
	if len(items) > maxTransports {
		o.errs.add(path, "must have at most %d items", maxTransports)
		return
	}
	for i, it := range items {
		o.errs.str(it, append(slices.Clip(path), strconv.Itoa(i)), true, 0, maxTransport)
	}
}
