package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/verifykit/verifykit/verify"
)

// Field limits. The spec's limits (maxLength of the authn_response fields,
// new_password, connection, identity_user_id) are enforced as written;
// fields the spec leaves unbounded get the bounds below, which no valid
// request comes near (see the package documentation, "Strictness").
const (
	// SpecMaxAttestationObject and SpecMaxClientDataJSON are the spec's
	// maxLength of authn_response.response.attestationObject and
	// clientDataJSON, the defaults of Config.MaxAttestationObject and
	// Config.MaxClientDataJSON.
	SpecMaxAttestationObject = 2000
	SpecMaxClientDataJSON    = 1000

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

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalidBody(fmt.Sprintf("the request body is not valid JSON (at byte %d)", se.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidBody("the request body is truncated")
	}
	return invalidBody("the request body is not valid JSON")
}

// object is a JSON object whose members are consumed one by one; whatever
// is left at the end is unknown. It is only made from bytes scan accepted.
type object struct {
	path    []string
	members []member
	errs    *fieldErrs
}

func newObject(raw []byte, path []string, errs *fieldErrs) (object, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		errs.add(path, "must be an object")
		return object{}, false
	}
	return object{path: path, members: members(raw), errs: errs}, true
}

func (o *object) at(name string) []string {
	return append(append([]string(nil), o.path...), name)
}

// take removes and returns the member name.
func (o *object) take(name string) ([]byte, bool) {
	for i := range o.members {
		if m := &o.members[i]; !m.taken && m.key == name {
			m.taken = true
			return m.raw, true
		}
	}
	return nil, false
}

// rejectRest reports every member left as not allowed (why, then suffix),
// in name order.
func (o *object) rejectRest(why, suffix string) {
	var names []string
	for _, m := range o.members {
		if !m.taken {
			names = append(names, m.key)
		}
	}
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	for _, k := range names {
		o.errs.add(o.at(k), "%s%s", why, suffix)
	}
}

// str takes the string member name. A member that is present but not a
// string is reported. maxLen bounds its length in characters (Unicode code
// points, as JSON Schema counts); 0 means unbounded.
func (o *object) str(name string, required bool, minLen, maxLen int) (*string, bool) {
	s, found, ok := o.text(name, required, minLen, maxLen)
	if !found || !ok {
		return nil, ok
	}
	return &s, true
}

// text is str returning the string itself, and whether the member was
// there: ok is false when it was refused, or missing and required.
func (o *object) text(name string, required bool, minLen, maxLen int) (s string, found, ok bool) {
	raw, found := o.take(name)
	if !found {
		if required {
			o.errs.add(o.at(name), "is required")
		}
		return "", false, !required
	}
	if raw[0] != '"' {
		o.errs.add(o.at(name), "must be a string")
		return "", true, false
	}
	s = decodeString(raw)
	// Characters are counted only when the bytes do not settle it: a
	// string has at most as many characters as bytes, and none only when
	// it has no bytes.
	n := len(s)
	if maxLen > 0 && n > maxLen || minLen > 1 {
		n = utf8.RuneCountInString(s)
	}
	if n < minLen {
		if minLen == 1 {
			o.errs.add(o.at(name), "must not be empty")
		} else {
			o.errs.add(o.at(name), "must be at least %d characters long", minLen)
		}
		return "", true, false
	}
	if maxLen > 0 && n > maxLen {
		o.errs.add(o.at(name), "must be at most %d characters long", maxLen)
		return "", true, false
	}
	return s, true, true
}

func (o *object) boolean(name string) (*bool, bool) {
	raw, ok := o.take(name)
	if !ok {
		return nil, true
	}
	switch string(raw) {
	case "true":
		b := true
		return &b, true
	case "false":
		b := false
		return &b, true
	}
	o.errs.add(o.at(name), "must be a boolean")
	return nil, false
}

func (o *object) enum(name string, required bool, values ...string) (*string, bool) {
	s, ok := o.str(name, required, 0, 0)
	if s == nil {
		return nil, ok
	}
	for _, v := range values {
		if *s == v {
			return s, true
		}
	}
	o.errs.add(o.at(name), "must be one of: %s", strings.Join(values, ", "))
	return nil, false
}

// startFields are the members each type's start request may carry besides
// "type" (CreateAuthenticationMethodRequestContent; webauthn-platform and
// webauthn-roaming take the passkey payload's).
var startFields = map[verify.Type][]string{
	verify.TypePasskey:          {"connection", "identity_user_id", "use_exclude_credentials"},
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
	var req verify.StartRequest
	var buf [8]member
	ms, err := scan(body, lim.depth, buf[:0])
	if err != nil {
		return req, err
	}
	var errs fieldErrs
	o := &object{members: ms, errs: &errs}
	t, _ := o.enum("type", true, verify.TypeNames[:]...)
	if t == nil {
		// Without a valid type no member can be judged.
		return req, errs.err()
	}
	req.Type = verify.Type(*t)
	fields := startFields[req.Type]
	allowed := func(f string) bool { return slices.Contains(fields, f) }
	if allowed("connection") {
		if s, _ := o.str("connection", false, 1, maxConnection); s != nil {
			if !isConnection(*s) {
				o.errs.add(o.at("connection"), "must contain only letters, digits and '-'")
			} else {
				req.Connection = *s
			}
		}
		if s, _ := o.str("identity_user_id", false, 1, maxIdentityUserID); s != nil {
			if strings.IndexFunc(*s, unicode.IsSpace) >= 0 {
				o.errs.add(o.at("identity_user_id"), "must not contain whitespace")
			} else {
				req.IdentityUserID = *s
			}
		}
	}
	if allowed("use_exclude_credentials") {
		req.UseExcludeCredentials, _ = o.boolean("use_exclude_credentials")
	}
	if allowed("email") {
		if s, _ := o.str("email", true, 1, maxEmail); s != nil {
			req.Email = *s
		}
	}
	if allowed("phone_number") {
		if s, _ := o.str("phone_number", true, 1, maxPhoneNumber); s != nil {
			req.PhoneNumber = *s
		}
		if s, _ := o.enum("preferred_authentication_method", false, "sms", "voice"); s != nil {
			req.PreferredAuthenticationMethod = *s
		}
	}
	o.rejectRest("is not allowed for type ", string(req.Type))
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
	var req verify.VerifyRequest
	var buf [8]member
	ms, err := scan(body, lim.depth, buf[:0])
	if err != nil {
		return req, err
	}
	var errs fieldErrs
	o := &object{members: ms, errs: &errs}
	if s, found, ok := o.text("auth_session", true, 0, lim.authSession); found && ok {
		req.AuthSession = s
	}
	proofs := 0
	if s, _ := o.str("otp_code", false, 0, maxOTPCode); s != nil {
		req.OTPCode = s
		proofs++
	}
	if s, _ := o.str("new_password", false, 1, maxNewPassword); s != nil {
		if strings.IndexFunc(*s, isControl) >= 0 {
			o.errs.add(o.at("new_password"), "must not contain control characters")
		} else {
			req.NewPassword = s
			proofs++
		}
	}
	if raw, ok := o.take("authn_response"); ok {
		if checkAuthnResponse(raw, lim, &errs) {
			req.AuthnResponse = append(json.RawMessage(nil), raw...)
			proofs++
		}
	}
	o.rejectRest("is not allowed", "")
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
func checkAuthnResponse(raw json.RawMessage, lim limits, errs *fieldErrs) bool {
	before := len(*errs)
	o, ok := newObject(raw, []string{"authn_response"}, errs)
	if !ok {
		return false
	}
	o.str("id", true, 0, maxCredentialID)
	o.str("rawId", true, 0, maxCredentialID)
	if t, _ := o.str("type", true, 0, 0); t != nil && *t != "public-key" {
		errs.add(o.at("type"), `must be "public-key"`)
	}
	o.enum("authenticatorAttachment", false, "platform", "cross-platform")
	if ext, ok := o.take("clientExtensionResults"); ok && ext[0] != '{' {
		errs.add(o.at("clientExtensionResults"), "must be an object")
	}
	if rr, ok := o.take("response"); !ok {
		errs.add(o.at("response"), "is required")
	} else if r, ok := newObject(rr, o.at("response"), errs); ok {
		r.str("attestationObject", true, 0, lim.attestationObject)
		r.str("clientDataJSON", true, 0, lim.clientDataJSON)
		if tr, ok := r.take("transports"); ok {
			checkTransports(tr, r.at("transports"), errs)
		}
		r.rejectRest("is not allowed", "")
	}
	o.rejectRest("is not allowed", "")
	return len(*errs) == before
}

func checkTransports(raw []byte, path []string, errs *fieldErrs) {
	if raw[0] != '[' {
		errs.add(path, "must be an array of strings")
		return
	}
	items := elements(raw)
	if len(items) > maxTransports {
		errs.add(path, "must have at most %d items", maxTransports)
		return
	}
	for i, it := range items {
		p := append(append([]string(nil), path...), strconv.Itoa(i))
		if it[0] != '"' {
			errs.add(p, "must be a string")
		} else if utf8.RuneCountInString(decodeString(it)) > maxTransport {
			errs.add(p, "must be at most %d characters long", maxTransport)
		}
	}
}
