package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/verify"
)

// Field limits. The spec's limits (maxLength of the authn_response fields,
// new_password, connection, identity_user_id) are enforced as written;
// fields the spec leaves unbounded get the bounds below, which no valid
// request comes near (see the package documentation, "Strictness").
const (
	// specMaxAttestationObject and specMaxClientDataJSON are the spec's
	// maxLength of authn_response.response.attestationObject and
	// clientDataJSON, the defaults of Config.MaxAttestationObject and
	// Config.MaxClientDataJSON.
	specMaxAttestationObject = 2000
	specMaxClientDataJSON    = 1000

	maxCredentialID   = 1364 // spec: authn_response.id and rawId maxLength
	maxTransport      = 100  // spec: authn_response.response.transports items maxLength
	maxTransports     = 16   // verifykit: items of transports (WebAuthn defines 6)
	maxNewPassword    = 256  // spec: new_password maxLength
	maxConnection     = 128  // spec: Connection maxLength
	maxIdentityUserID = 255  // spec: IdentityUserId maxLength
	maxOTPCode        = 64   // verifykit: otp_code (codes have 6 to 8 digits)
	maxEmail          = 320  // verifykit: email (RFC 5321 allows 254 in a path)
	maxPhoneNumber    = 64   // verifykit: phone_number (E.164 has at most 15 digits)
	maxFieldErrors    = 16   // validation_errors entries reported at most
	maxNameInDetail   = 64   // bytes of an unknown member's name echoed back
)

// limits are the per-field bounds a Handler enforces.
type limits struct {
	depth             int
	authSession       int
	attestationObject int
	clientDataJSON    int
}

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

func invalidBody(detail string, path ...string) error {
	var fe fieldErrs
	fe.add(path, "%s", detail)
	return fe.err()
}

// at is the path of the member name of the object at path.
func at(path []string, name string) []string {
	return append(slices.Clip(path), name)
}

// The request bodies as sent. Every member is kept raw (nil when absent),
// so that a member of the wrong JSON type is reported together with every
// other problem of the body rather than ending the decoding at the first;
// Unknown collects the members the schema does not declare. decodeJSON
// has checked the grammar, the depth and the names of the whole body.

// startBody is CreateAuthenticationMethodRequestContent: the members of
// every type's start body.
type startBody struct {
	Type                          jsontext.Value            `json:"type"`
	Connection                    jsontext.Value            `json:"connection"`
	IdentityUserID                jsontext.Value            `json:"identity_user_id"`
	UseExcludeCredentials         jsontext.Value            `json:"use_exclude_credentials"`
	Mediation                     jsontext.Value            `json:"mediation"` // extension: passkey upgrades
	Email                         jsontext.Value            `json:"email"`
	PhoneNumber                   jsontext.Value            `json:"phone_number"`
	PreferredAuthenticationMethod jsontext.Value            `json:"preferred_authentication_method"`
	Unknown                       map[string]jsontext.Value `json:",inline"`
}

// verifyBody is VerifyAuthenticationMethodRequestContent.
type verifyBody struct {
	AuthSession   jsontext.Value            `json:"auth_session"`
	OTPCode       jsontext.Value            `json:"otp_code"`
	NewPassword   jsontext.Value            `json:"new_password"`
	AuthnResponse jsontext.Value            `json:"authn_response"`
	Unknown       map[string]jsontext.Value `json:",inline"`
}

// authnBody is the spec's AuthenticatorAttestationResponse (WebAuthn's
// RegistrationResponseJSON).
type authnBody struct {
	ID                      jsontext.Value            `json:"id"`
	RawID                   jsontext.Value            `json:"rawId"`
	Type                    jsontext.Value            `json:"type"`
	AuthenticatorAttachment jsontext.Value            `json:"authenticatorAttachment"`
	ClientExtensionResults  jsontext.Value            `json:"clientExtensionResults"`
	Response                jsontext.Value            `json:"response"`
	Unknown                 map[string]jsontext.Value `json:",inline"`
}

// attestationBody is the spec's AuthenticatorAttestationResponseData.
type attestationBody struct {
	AttestationObject jsontext.Value `json:"attestationObject"`
	ClientDataJSON    jsontext.Value `json:"clientDataJSON"`
	Transports        jsontext.Value `json:"transports"`
	// The copies PublicKeyCredential.toJSON() and @simplewebauthn/browser
	// add (an extension of the spec's closed schema): bounded here, and
	// checked against the attestation object by the passkey engine.
	AuthenticatorData  jsontext.Value            `json:"authenticatorData"`
	PublicKey          jsontext.Value            `json:"publicKey"`
	PublicKeyAlgorithm jsontext.Value            `json:"publicKeyAlgorithm"`
	Unknown            map[string]jsontext.Value `json:",inline"`
}

// updateBody is UpdateAuthenticationMethodRequestContent.
type updateBody struct {
	Name                          jsontext.Value            `json:"name"`
	PreferredAuthenticationMethod jsontext.Value            `json:"preferred_authentication_method"`
	Unknown                       map[string]jsontext.Value `json:",inline"`
}

// str checks the member raw at path: when absent, it is reported if
// required; when present, it must be a string of minLen to maxLen
// characters (Unicode code points, as JSON Schema counts; maxLen 0 means
// unbounded). It returns the string, or nil when absent or refused.
func (fe *fieldErrs) str(raw jsontext.Value, path []string, required bool, minLen, maxLen int) *string {
	if raw == nil {
		if required {
			fe.add(path, "is required")
		}
		return nil
	}
	var s string
	if raw.Kind() != '"' || jsonv2.Unmarshal(raw, &s) != nil {
		fe.add(path, "must be a string")
		return nil
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		if minLen == 1 {
			fe.add(path, "must not be empty")
		} else {
			fe.add(path, "must be at least %d characters long", minLen)
		}
		return nil
	}
	if maxLen > 0 && n > maxLen {
		fe.add(path, "must be at most %d characters long", maxLen)
		return nil
	}
	return &s
}

// boolean checks the optional boolean member raw at path.
func (fe *fieldErrs) boolean(raw jsontext.Value, path []string) *bool {
	if raw == nil {
		return nil
	}
	if k := raw.Kind(); k != 't' && k != 'f' {
		fe.add(path, "must be a boolean")
		return nil
	}
	b := raw.Kind() == 't'
	return &b
}

// enum checks the string member raw at path against values.
func (fe *fieldErrs) enum(raw jsontext.Value, path []string, required bool, values ...string) *string {
	s := fe.str(raw, path, required, 0, 0)
	if s == nil {
		return nil
	}
	if !slices.Contains(values, *s) {
		fe.add(path, "must be one of: %s", strings.Join(values, ", "))
		return nil
	}
	return s
}

// object decodes the member raw at path, which must be an object, into
// v; false, reported, when it is not one.
func (fe *fieldErrs) object(raw jsontext.Value, path []string, v any) bool {
	if raw.Kind() != '{' || jsonv2.Unmarshal(raw, v) != nil {
		fe.add(path, "must be an object")
		return false
	}
	return true
}

// refuse reports each member of the object at path named in names as not
// allowed (why, then suffix), in name order.
func (fe *fieldErrs) refuse(path []string, names []string, why, suffix string) {
	slices.Sort(names)
	for _, k := range names {
		fe.add(at(path, k), "%s%s", why, suffix)
	}
}

// startFields are the members each type's start request may carry besides
// "type" (CreateAuthenticationMethodRequestContent; webauthn-platform and
// webauthn-roaming take the passkey payload's).
var startFields = map[verify.Type][]string{
	verify.TypePasskey:          {"connection", "identity_user_id", "use_exclude_credentials", "mediation"},
	verify.TypeWebAuthnPlatform: {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypeWebAuthnRoaming:  {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypePassword:         {"connection", "identity_user_id"},
	verify.TypeEmail:            {"email"},
	verify.TypePhone:            {"phone_number", "preferred_authentication_method"},
	verify.TypeTOTP:             {},
	verify.TypePushNotification: {},
	verify.TypeRecoveryCode:     {},
}

// decodeStart decodes and validates the body of POST /authentication-methods.
func decodeStart(body []byte, lim limits) (verify.StartRequest, error) {
	var b startBody
	if err := decodeJSON(body, &b, lim.depth); err != nil {
		return verify.StartRequest{}, err
	}
	var errs fieldErrs
	t := errs.enum(b.Type, []string{"type"}, true, verify.TypeNames[:]...)
	if t == nil {
		// Without a valid type no member can be judged.
		return verify.StartRequest{}, errs.err()
	}
	req := verify.StartRequest{Type: verify.Type(*t)}
	// The members sent that the type's schema does not declare.
	rest := slices.Collect(maps.Keys(b.Unknown))
	for name, raw := range map[string]jsontext.Value{
		"connection": b.Connection, "identity_user_id": b.IdentityUserID, "use_exclude_credentials": b.UseExcludeCredentials,
		"mediation": b.Mediation, "email": b.Email, "phone_number": b.PhoneNumber, "preferred_authentication_method": b.PreferredAuthenticationMethod,
	} {
		if raw != nil && !slices.Contains(startFields[req.Type], name) {
			rest = append(rest, name)
		}
	}
	allowed := func(f string) bool { return slices.Contains(startFields[req.Type], f) }
	if allowed("connection") {
		if s := errs.str(b.Connection, []string{"connection"}, false, 1, maxConnection); s != nil {
			if !isConnection(*s) {
				errs.add([]string{"connection"}, "must contain only letters, digits and '-'")
			} else {
				req.Connection = *s
			}
		}
		if s := errs.str(b.IdentityUserID, []string{"identity_user_id"}, false, 1, maxIdentityUserID); s != nil {
			if strings.IndexFunc(*s, unicode.IsSpace) >= 0 {
				errs.add([]string{"identity_user_id"}, "must not contain whitespace")
			} else {
				req.IdentityUserID = *s
			}
		}
	}
	if allowed("use_exclude_credentials") {
		req.UseExcludeCredentials = errs.boolean(b.UseExcludeCredentials, []string{"use_exclude_credentials"})
	}
	if allowed("mediation") {
		if m := errs.enum(b.Mediation, []string{"mediation"}, false, "conditional"); m != nil {
			req.Mediation = *m
		}
	}
	if allowed("email") {
		if s := errs.str(b.Email, []string{"email"}, true, 1, maxEmail); s != nil {
			req.Email = *s
		}
	}
	if allowed("phone_number") {
		if s := errs.str(b.PhoneNumber, []string{"phone_number"}, true, 1, maxPhoneNumber); s != nil {
			req.PhoneNumber = *s
		}
		if s := errs.enum(b.PreferredAuthenticationMethod, []string{"preferred_authentication_method"}, false, "sms", "voice"); s != nil {
			req.PreferredAuthenticationMethod = *s
		}
	}
	errs.refuse(nil, rest, "is not allowed for type ", string(req.Type))
	if err := errs.err(); err != nil {
		return verify.StartRequest{}, err
	}
	return req, nil
}

func isConnection(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// decodeVerify decodes and validates the body of POST
// /authentication-methods/{id}/verify. Whether the proof suits the sealed
// method type is for the service to decide; the body may carry at most one.
func decodeVerify(body []byte, lim limits) (verify.VerifyRequest, error) {
	var b verifyBody
	if err := decodeJSON(body, &b, lim.depth); err != nil {
		return verify.VerifyRequest{}, err
	}
	var errs fieldErrs
	var req verify.VerifyRequest
	if s := errs.str(b.AuthSession, []string{"auth_session"}, true, 0, lim.authSession); s != nil {
		req.AuthSession = *s
	}
	proofs := 0
	if s := errs.str(b.OTPCode, []string{"otp_code"}, false, 0, maxOTPCode); s != nil {
		req.OTPCode = s
		proofs++
	}
	if s := errs.str(b.NewPassword, []string{"new_password"}, false, 1, maxNewPassword); s != nil {
		if strings.IndexFunc(*s, isControl) >= 0 {
			errs.add([]string{"new_password"}, "must not contain control characters")
		} else {
			req.NewPassword = s
			proofs++
		}
	}
	if b.AuthnResponse != nil && checkAuthnResponse(b.AuthnResponse, lim, &errs) {
		// A copy: b.AuthnResponse is in the request body's buffer.
		req.AuthnResponse = append(json.RawMessage(nil), b.AuthnResponse...)
		proofs++
	}
	errs.refuse(nil, slices.Collect(maps.Keys(b.Unknown)), "is not allowed", "")
	if proofs > 1 {
		errs.add(nil, "carry at most one of otp_code, authn_response and new_password")
	}
	if err := errs.err(); err != nil {
		return verify.VerifyRequest{}, err
	}
	return req, nil
}

// isControl matches the characters new_password's pattern excludes:
// U+0000–U+001F and U+007F–U+009F.
func isControl(r rune) bool { return r <= 0x1f || r >= 0x7f && r <= 0x9f }

// checkAuthnResponse validates authn_response against the spec's
// AuthenticatorAttestationResponse, with verifykit's strictness: no member
// beyond those the spec names, at any level.
func checkAuthnResponse(raw jsontext.Value, lim limits, errs *fieldErrs) bool {
	before := len(*errs)
	path := []string{"authn_response"}
	var a authnBody
	if !errs.object(raw, path, &a) {
		return false
	}
	errs.str(a.ID, at(path, "id"), true, 0, maxCredentialID)
	errs.str(a.RawID, at(path, "rawId"), true, 0, maxCredentialID)
	if t := errs.str(a.Type, at(path, "type"), true, 0, 0); t != nil && *t != "public-key" {
		errs.add(at(path, "type"), `must be "public-key"`)
	}
	errs.enum(a.AuthenticatorAttachment, at(path, "authenticatorAttachment"), false, "platform", "cross-platform")
	if a.ClientExtensionResults != nil && a.ClientExtensionResults.Kind() != '{' {
		errs.add(at(path, "clientExtensionResults"), "must be an object")
	}
	rpath := at(path, "response")
	var r attestationBody
	if a.Response == nil {
		errs.add(rpath, "is required")
	} else if errs.object(a.Response, rpath, &r) {
		errs.str(r.AttestationObject, at(rpath, "attestationObject"), true, 0, lim.attestationObject)
		errs.str(r.ClientDataJSON, at(rpath, "clientDataJSON"), true, 0, lim.clientDataJSON)
		if r.Transports != nil {
			checkTransports(r.Transports, at(rpath, "transports"), errs)
		}
		errs.str(r.AuthenticatorData, at(rpath, "authenticatorData"), false, 0, lim.attestationObject)
		if r.PublicKey != nil && r.PublicKey.Kind() != 'n' {
			errs.str(r.PublicKey, at(rpath, "publicKey"), false, 0, lim.attestationObject)
		}
		if r.PublicKeyAlgorithm != nil && (r.PublicKeyAlgorithm.Kind() != '0' || len(r.PublicKeyAlgorithm) > 12) {
			errs.add(at(rpath, "publicKeyAlgorithm"), "must be an integer")
		}
		errs.refuse(rpath, slices.Collect(maps.Keys(r.Unknown)), "is not allowed", "")
	}
	errs.refuse(path, slices.Collect(maps.Keys(a.Unknown)), "is not allowed", "")
	return len(*errs) == before
}

func checkTransports(raw jsontext.Value, path []string, errs *fieldErrs) {
	var items []jsontext.Value
	if raw.Kind() != '[' || jsonv2.Unmarshal(raw, &items) != nil {
		errs.add(path, "must be an array of strings")
		return
	}
	if len(items) > maxTransports {
		errs.add(path, "must have at most %d items", maxTransports)
		return
	}
	for i, it := range items {
		errs.str(it, at(path, strconv.Itoa(i)), true, 0, maxTransport)
	}
}
