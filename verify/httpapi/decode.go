package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/pattern"
	"github.com/verifykit/verifykit/verify"
)

// Field limits. The spec's limits (maxLength of the authn_response fields,
// new_password, and in package pattern connection and identity_user_id)
// are enforced as written;
// fields the spec leaves unbounded, and the sign-in bodies the spec does
// not have, get the bounds below, which no valid request comes near.
const (
	specMaxAttestationObject = 2000 // spec: authn_response.response.attestationObject maxLength
	specMaxClientDataJSON    = 1000 // spec: authn_response.response.clientDataJSON maxLength
	maxCredentialID          = 1364 // spec: authn_response.id and rawId maxLength
	maxTransport             = 100  // spec: authn_response.response.transports items maxLength
	maxTransports            = 16   // verifykit: items of transports (WebAuthn defines 6)
	maxNewPassword           = 256  // spec: new_password maxLength
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

// A request body is decoded in one pass of json/v2 into a body struct,
// whose fields are the members its schema declares and whose ",unknown"
// field takes the others; its checks then judge the members in order. A
// member of any JSON type decodes, so that every problem of a body is
// reported at once. json/v2 refuses invalid UTF-8, repeated names (case
// variants do not match a declared name, so they are unknown members) and
// malformed JSON; readMember adds the depth bound.

// member is a member of a request body: its JSON kind (0 when absent),
// the value of a string or the text of a number, an array's elements.
type member struct {
	kind  jsontext.Kind
	s     string
	items []member
}

// object is an object member decoded into T, or the kind of the value
// sent instead; body[from:to] spans it, with the ':' before it.
type object[T any] struct {
	kind     jsontext.Kind
	from, to int64
	v        T
}

// raw is o as sent in body.
func (o object[T]) raw(body []byte) []byte { return bytes.TrimLeft(body[o.from:o.to], " \t\r\n:") }

// unknown is the ",unknown" field of a body struct.
type unknown = map[string]member

// decodeOptions are the json/v2 options of request bodies, for members
// nested at most maxDepth levels deep.
func decodeOptions(maxDepth int) json.Options {
	return json.WithUnmarshalers(json.JoinUnmarshalers(
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *member) error { return readMember(dec, m, maxDepth) }),
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, o *object[credentialBody]) error { return readObject(dec, o, maxDepth) }),
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, o *object[responseBody]) error { return readObject(dec, o, maxDepth) }),
	))
}

// readMember reads the next value of dec into m, refusing a container
// nested more than maxDepth levels deep in the body.
func readMember(dec *jsontext.Decoder, m *member, maxDepth int) error {
	m.kind = dec.PeekKind()
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch m.kind {
	case '"', '0':
		m.s = tok.String()
	case '{', '[':
		if dec.StackDepth() > maxDepth {
			return invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", maxDepth), pathOf(dec.StackPointer())...)
		}
		end := jsontext.Kind('}')
		if m.kind == '[' {
			end = ']'
		}
		for dec.PeekKind() != end {
			if m.kind == '{' {
				if _, err := dec.ReadToken(); err != nil { // the name
					return err
				}
			}
			var item member
			if err := readMember(dec, &item, maxDepth); err != nil {
				return err
			}
			if m.kind == '[' {
				m.items = append(m.items, item)
			}
		}
		_, err = dec.ReadToken()
	}
	return err
}

// readObject reads the next value of dec into o. Object members lie at
// most 3 levels deep, within every Config.MaxDepth.
func readObject[T any](dec *jsontext.Decoder, o *object[T], maxDepth int) error {
	o.kind, o.from = dec.PeekKind(), dec.InputOffset()
	var err error
	if o.kind == '{' {
		err = json.UnmarshalDecode(dec, &o.v)
	} else {
		err = readMember(dec, &member{}, maxDepth)
	}
	o.to = dec.InputOffset()
	return err
}

// decode decodes body, which must be exactly one JSON object, into a body
// struct B and has check judge its members into a request: the request,
// or an ErrInvalidRequest naming every problem. A refusal of the body as
// a whole names the one member at fault, or none.
func decode[B, R any](opts json.Options, body []byte, check func(s *scope, b *B) R) (R, error) {
	var zero R
	var b B
	dec := jsontext.NewDecoder(bytes.NewBuffer(body)) // parses body in place
	switch dec.PeekKind() {
	case '{':
	case 0:
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			return zero, invalidBody("the request body is empty")
		}
		_, err := dec.ReadToken()
		return zero, decodeError(body, err)
	default:
		return zero, invalidBody("the request body must be a JSON object")
	}
	if err := json.UnmarshalDecode(dec, &b, opts); err != nil {
		return zero, decodeError(body, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return zero, invalidBody("the request body has data after the JSON object")
	}
	var errs []verify.FieldError
	if req := check(&scope{errs: &errs}, &b); len(errs) == 0 {
		return req, nil
	}
	return zero, invalidFields(errs)
}

// decodeError turns an error of json/v2 decoding body into the
// ErrInvalidRequest that reports it.
func decodeError(body []byte, err error) error {
	var ve *verify.Error
	if errors.As(err, &ve) {
		return ve // readMember's depth error
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		path := pathOf(syn.JSONPointer)
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return invalidBody("the member appears more than once", path...)
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			return invalidBody("the request body is truncated", path...)
		case !utf8.Valid(body):
			return invalidBody("the request body is not valid UTF-8", path...)
		}
		return invalidBody(fmt.Sprintf("the request body is not valid JSON (at byte %d)", syn.ByteOffset), path...)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalidBody("the request body is truncated")
	}
	return invalidBody("the request body is not valid JSON")
}

// pathOf returns the reference tokens of a JSON pointer.
func pathOf(p jsontext.Pointer) []string { return slices.Collect(p.Tokens()) }

// invalidBody is the ErrInvalidRequest of one problem of a body.
func invalidBody(detail string, path ...string) error {
	return invalidFields([]verify.FieldError{fieldError(path, detail)})
}

func invalidFields(fields []verify.FieldError) error {
	return &verify.Error{Kind: verify.ErrInvalidRequest, Reason: "invalid_request", Detail: "Invalid request payload input", Fields: fields}
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// fieldError names the member at path by its dotted name
// ("authn_response.response.clientDataJSON") and its RFC 6901 pointer.
func fieldError(path []string, detail string) verify.FieldError {
	names := make([]string, len(path))
	var ptr strings.Builder
	for i, p := range path {
		names[i] = clip(p)
		ptr.WriteString("/" + pointerEscaper.Replace(names[i]))
	}
	return verify.FieldError{Field: strings.Join(names, "."), Pointer: ptr.String(), Detail: detail}
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

// scope checks the members of one object of a request body, collecting
// the problems of the whole body. Each check takes a member by its name; a
// member present that allowed does not list is refused with the unknown
// ones, without a check.
type scope struct {
	path    []string
	errs    *[]verify.FieldError
	allowed []string // nil: every member checked
	refused []string
}

// add reports a problem of the member name ("": of the object itself).
func (s *scope) add(name, format string, a ...any) {
	if len(*s.errs) >= maxFieldErrors {
		return
	}
	path := s.path
	if name != "" {
		path = s.at(name)
	}
	*s.errs = append(*s.errs, fieldError(path, fmt.Sprintf(format, a...)))
}

// in is the scope of the object member name, which may carry allowed.
func (s *scope) in(name string, allowed []string) *scope {
	return &scope{path: s.at(name), errs: s.errs, allowed: allowed}
}

// at is the path of the member name.
func (s *scope) at(name string) []string { return append(slices.Clip(s.path), name) }

// take reports whether the member name, of kind k, is to be checked.
func (s *scope) take(name string, k jsontext.Kind) bool {
	if s.allowed == nil || slices.Contains(s.allowed, name) {
		return true
	}
	if k != 0 {
		s.refused = append(s.refused, name)
	}
	return false
}

// str checks the member name: when absent, it is reported if required;
// when present, it must be a string of minLen to maxLen characters
// (Unicode code points, as JSON Schema counts; maxLen 0 means unbounded).
// It returns the string, or nil when absent or refused.
func (s *scope) str(name string, m member, required bool, minLen, maxLen int) *string {
	switch n := utf8.RuneCountInString(m.s); {
	case !s.take(name, m.kind):
	case m.kind == 0:
		if required {
			s.add(name, "is required")
		}
	case m.kind != '"':
		s.add(name, "must be a string")
	case n < minLen && minLen == 1:
		s.add(name, "must not be empty")
	case n < minLen:
		s.add(name, "must be at least %d characters long", minLen)
	case maxLen > 0 && n > maxLen:
		s.add(name, "must be at most %d characters long", maxLen)
	default:
		return &m.s
	}
	return nil
}

// text is str for a member that must not contain the characters bad matches.
func (s *scope) text(name string, m member, minLen, maxLen int, bad func(rune) bool, why string) *string {
	v := s.str(name, m, false, minLen, maxLen)
	if v != nil && strings.IndexFunc(*v, bad) >= 0 {
		s.add(name, "%s", why)
		return nil
	}
	return v
}

// enum checks the string member name, which must be one of values.
func (s *scope) enum(name string, m member, required bool, values ...string) *string {
	v := s.str(name, m, required, 0, 0)
	if v != nil && !slices.Contains(values, *v) {
		s.add(name, "must be one of: %s", strings.Join(values, ", "))
		return nil
	}
	return v
}

// boolean checks the optional boolean member name.
func (s *scope) boolean(name string, m member) *bool {
	if !s.take(name, m.kind) || m.kind == 0 {
		return nil
	}
	if m.kind != 't' && m.kind != 'f' {
		s.add(name, "must be a boolean")
		return nil
	}
	b := m.kind == 't'
	return &b
}

// object checks that the member name, of kind k, is an object, and
// reports whether it is one.
func (s *scope) object(name string, k jsontext.Kind, required bool) bool {
	switch {
	case k == 0 && required:
		s.add(name, "is required")
	case k != 0 && k != '{':
		s.add(name, "must be an object")
	}
	return k == '{'
}

// refuse reports the members refused and those of rest as not allowed
// (why, then suffix), in name order.
func (s *scope) refuse(rest unknown, why, suffix string) {
	for _, k := range slices.Sorted(slices.Values(append(s.refused, slices.Collect(maps.Keys(rest))...))) {
		s.add(k, "%s%s", why, suffix)
	}
}

// startBody is CreateAuthenticationMethodRequestContent: every type's
// members (webauthn-platform and webauthn-roaming take the passkey
// payload's; mediation is an extension for passkey upgrades).
type startBody struct {
	Type                          member  `json:"type"`
	Connection                    member  `json:"connection"`
	IdentityUserID                member  `json:"identity_user_id"`
	UseExcludeCredentials         member  `json:"use_exclude_credentials"`
	Mediation                     member  `json:"mediation"`
	Email                         member  `json:"email"`
	PhoneNumber                   member  `json:"phone_number"`
	PreferredAuthenticationMethod member  `json:"preferred_authentication_method"`
	Unknown                       unknown `json:",unknown"`
}

// startFields are the members each type's start request may carry besides
// "type"; a type not listed takes none.
var startFields = map[verify.Type][]string{
	verify.TypePasskey:          {"connection", "identity_user_id", "use_exclude_credentials", "mediation"},
	verify.TypeWebAuthnPlatform: {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypeWebAuthnRoaming:  {"connection", "identity_user_id", "use_exclude_credentials"},
	verify.TypePassword:         {"connection", "identity_user_id"},
	verify.TypeEmail:            {"email"},
	verify.TypePhone:            {"phone_number", "preferred_authentication_method"},
}

// decodeStart decodes and validates the body of POST /authentication-methods.
func (h *Handler) decodeStart(body []byte) (verify.StartRequest, error) {
	return decode(h.decodeOpts, body, func(s *scope, b *startBody) (req verify.StartRequest) {
		t := s.enum("type", b.Type, true, typeNames...)
		if t == nil {
			return req // without a valid type no member can be judged
		}
		req.Type = verify.Type(*t)
		s.allowed = append([]string{"type"}, startFields[req.Type]...) // never nil: a type may take no other member
		req.Connection = value(s.text("connection", b.Connection, 1, pattern.MaxConnection, pattern.NotConnection, "must contain only letters, digits and '-'"))
		req.IdentityUserID = value(s.text("identity_user_id", b.IdentityUserID, 1, pattern.MaxIdentity, pattern.Space, "must not contain whitespace"))
		req.UseExcludeCredentials = s.boolean("use_exclude_credentials", b.UseExcludeCredentials)
		req.Mediation = value(s.enum("mediation", b.Mediation, false, "conditional"))
		req.Email = value(s.str("email", b.Email, true, 1, maxEmail))
		req.PhoneNumber = value(s.str("phone_number", b.PhoneNumber, true, 1, maxPhoneNumber))
		req.PreferredAuthenticationMethod = value(s.enum("preferred_authentication_method", b.PreferredAuthenticationMethod, false, "sms", "voice"))
		s.refuse(b.Unknown, "is not allowed for type ", string(req.Type))
		return req
	})
}

// value is *s, or "" for nil.
func value(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// isControl matches the characters new_password's pattern excludes:
// U+0000–U+001F and U+007F–U+009F.
func isControl(r rune) bool { return r <= 0x1f || r >= 0x7f && r <= 0x9f }

// proofBody holds the members of the enrollment proof (POST
// /authentication-methods/{id}/verify) and of the sign-in proof (POST
// .../{id}/authenticate, POST /passkey/authenticate).
type proofBody struct {
	AuthSession   member                 `json:"auth_session"`
	OTPCode       member                 `json:"otp_code"`
	NewPassword   member                 `json:"new_password"`
	RecoveryCode  member                 `json:"recovery_code"`
	Password      member                 `json:"password"`
	AuthnResponse object[credentialBody] `json:"authn_response"`
	Unknown       unknown                `json:",unknown"`
}

var (
	enrollProof = []string{"auth_session", "otp_code", "new_password", "authn_response"}
	signInProof = []string{"auth_session", "otp_code", "recovery_code", "password", "authn_response"}
)

// decodeProof decodes and validates the body of an enrollment's proof
// or, with signIn, of a sign-in's, where an authn_response is an
// assertion: auth_session and at most one proof, each within its bounds.
// Whether the proof suits the sealed method type is for the service.
func (h *Handler) decodeProof(body []byte, signIn bool) (verify.VerifyRequest, error) {
	return decode(h.decodeOpts, body, func(s *scope, b *proofBody) (req verify.VerifyRequest) {
		proofs := "otp_code, authn_response and new_password"
		s.allowed = enrollProof
		if signIn {
			s.allowed, proofs = signInProof, "otp_code, recovery_code, password and authn_response"
		}
		req.AuthSession = value(s.str("auth_session", b.AuthSession, true, 0, h.cfg.MaxAuthSession))
		req.OTPCode = s.str("otp_code", b.OTPCode, false, 0, maxOTPCode)
		req.NewPassword = s.text("new_password", b.NewPassword, 1, maxNewPassword, isControl, "must not contain control characters")
		req.RecoveryCode = s.str("recovery_code", b.RecoveryCode, false, 1, maxRecoveryCode)
		req.Password = s.str("password", b.Password, false, 1, maxPassword)
		req.AuthnResponse = s.credential(body, b.AuthnResponse, &h.cfg, signIn)
		s.refuse(b.Unknown, "is not allowed", "")
		if _, one := req.Proof(); !one {
			s.add("", "carry at most one of %s", proofs)
		}
		return req
	})
}

// typeNames are the names of verify.Types(), in spec order.
var typeNames = func() (names []string) {
	for _, t := range verify.Types() {
		names = append(names, string(t))
	}
	return names
}()

// updateBody is UpdateAuthenticationMethodRequestContent.
type updateBody struct {
	Name                          member  `json:"name"`
	PreferredAuthenticationMethod member  `json:"preferred_authentication_method"`
	Unknown                       unknown `json:",unknown"`
}

// decodeUpdate decodes and validates the body of PATCH
// /authentication-methods/{id}. Whether the method's type has a name or a
// preferred channel is for the Manager to decide.
func (h *Handler) decodeUpdate(body []byte) (verify.UpdateRequest, error) {
	return decode(h.decodeOpts, body, func(s *scope, b *updateBody) (req verify.UpdateRequest) {
		req.Name = s.text("name", b.Name, 1, verify.MaxNameLength, isControl, "must not contain control characters")
		req.PreferredAuthenticationMethod = s.enum("preferred_authentication_method", b.PreferredAuthenticationMethod, false, "sms", "voice")
		s.refuse(b.Unknown, "is not allowed", "")
		return req
	})
}

// decodeEmpty accepts the body of a route that takes no members: none at
// all, or an empty JSON object.
func (h *Handler) decodeEmpty(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	_, err := decode(h.decodeOpts, body, func(s *scope, b *struct {
		Unknown unknown `json:",unknown"`
	}) struct{} {
		s.refuse(b.Unknown, "is not allowed", "")
		return struct{}{}
	})
	return err
}

// credentialBody is a PublicKeyCredential in its JSON form.
type credentialBody struct {
	ID                      member               `json:"id"`
	RawID                   member               `json:"rawId"`
	Type                    member               `json:"type"`
	AuthenticatorAttachment member               `json:"authenticatorAttachment"`
	ClientExtensionResults  member               `json:"clientExtensionResults"`
	Response                object[responseBody] `json:"response"`
	Unknown                 unknown              `json:",unknown"`
}

// responseBody holds the members of an AuthenticatorAttestationResponse
// and of an AuthenticatorAssertionResponse.
type responseBody struct {
	AttestationObject  member  `json:"attestationObject"`
	ClientDataJSON     member  `json:"clientDataJSON"`
	Transports         member  `json:"transports"`
	AuthenticatorData  member  `json:"authenticatorData"`
	PublicKey          member  `json:"publicKey"`
	PublicKeyAlgorithm member  `json:"publicKeyAlgorithm"`
	Signature          member  `json:"signature"`
	UserHandle         member  `json:"userHandle"`
	Unknown            unknown `json:",unknown"`
}

var (
	// The copies PublicKeyCredential.toJSON() and @simplewebauthn/browser
	// add to an attestation (authenticatorData, publicKey,
	// publicKeyAlgorithm; an extension of the spec's closed schema) are
	// bounded here and checked against the attestation object by the
	// passkey engine.
	attestationMembers = []string{"attestationObject", "clientDataJSON", "transports", "authenticatorData", "publicKey", "publicKeyAlgorithm"}
	assertionMembers   = []string{"clientDataJSON", "authenticatorData", "signature", "userHandle"}
)

// credential checks authn_response a: with assertion, WebAuthn's
// AuthenticationResponseJSON (sign-in), else the spec's
// RegistrationResponseJSON. No member beyond those named is accepted, at
// any level but clientExtensionResults (an object, within
// Config.MaxDepth). It returns a copy of the member as sent, nil when
// absent or refused.
func (s *scope) credential(body []byte, a object[credentialBody], cfg *Config, assertion bool) []byte {
	before := len(*s.errs)
	if !s.take("authn_response", a.kind) || !s.object("authn_response", a.kind, false) {
		return nil
	}
	allowed, minLen, maxAuthData := attestationMembers, 0, cfg.MaxAttestationObject
	if assertion {
		allowed, minLen, maxAuthData = assertionMembers, 1, maxAuthenticatorData
	}
	c := s.in("authn_response", nil)
	c.str("id", a.v.ID, true, minLen, maxCredentialID)
	c.str("rawId", a.v.RawID, true, minLen, maxCredentialID)
	if t := c.str("type", a.v.Type, true, 0, 0); t != nil && *t != "public-key" {
		c.add("type", `must be "public-key"`)
	}
	c.enum("authenticatorAttachment", a.v.AuthenticatorAttachment, false, "platform", "cross-platform")
	if k := a.v.ClientExtensionResults.kind; k != 0 && k != '{' {
		c.add("clientExtensionResults", "must be an object")
	}
	if c.object("response", a.v.Response.kind, true) {
		r, v := c.in("response", allowed), a.v.Response.v
		r.str("attestationObject", v.AttestationObject, true, 0, cfg.MaxAttestationObject)
		r.str("clientDataJSON", v.ClientDataJSON, true, minLen, cfg.MaxClientDataJSON)
		r.transports(v.Transports)
		r.str("authenticatorData", v.AuthenticatorData, assertion, minLen, maxAuthData)
		if !assertion && v.PublicKey.kind == 'n' {
			v.PublicKey = member{}
		}
		r.str("publicKey", v.PublicKey, false, 0, cfg.MaxAttestationObject)
		if k := v.PublicKeyAlgorithm.kind; r.take("publicKeyAlgorithm", k) && k != 0 && (k != '0' || len(v.PublicKeyAlgorithm.s) > 12) {
			r.add("publicKeyAlgorithm", "must be an integer")
		}
		r.str("signature", v.Signature, true, 1, maxSignature)
		if assertion && v.UserHandle.kind == 'n' { // null: no user handle (§5.2.2)
			v.UserHandle = member{}
		}
		r.str("userHandle", v.UserHandle, false, 0, maxUserHandle)
		r.refuse(v.Unknown, "is not allowed", "")
	}
	c.refuse(a.v.Unknown, "is not allowed", "")
	if len(*s.errs) != before {
		return nil
	}
	return bytes.Clone(a.raw(body))
}

// transports checks the optional transports member: an array of at most
// maxTransports strings.
func (s *scope) transports(m member) {
	switch {
	case !s.take("transports", m.kind) || m.kind == 0:
	case m.kind != '[':
		s.add("transports", "must be an array of strings")
	case len(m.items) > maxTransports:
		s.add("transports", "must have at most %d items", maxTransports)
	default:
		items := s.in("transports", nil)
		for i, it := range m.items {
			items.str(strconv.Itoa(i), it, true, 0, maxTransport)
		}
	}
}
