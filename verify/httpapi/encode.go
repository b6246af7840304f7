package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/verifykit/verifykit/internal/jsonw"
	"github.com/verifykit/verifykit/verify"
)

// This file writes the response bodies of the hot routes — the enrollment
// of a start, the method of a confirm, get and update, and every error
// body — by appending JSON to one buffer, instead of encoding/json's
// reflection, Method.MarshalJSON's second encoding and the Encoder's
// compaction of its result. The bytes are exactly those of the reference
// encoding, a json.Encoder with SetEscapeHTML(false) (Method's own
// strings HTML-escaped, as json.Marshal inside MarshalJSON writes them):
// TestAppendJSONMatchesEncodingJSON and FuzzAppendJSON hold them to it,
// and TestAppendJSONKnowsEveryField fails when one of the types gains a
// field. Anything else — the list and factors bodies, a method this file
// does not write (an unknown type, a WebAuthn method without its
// credential) — goes through encoding/json.

// maxPooledBody is the largest response buffer kept for reuse.
const maxPooledBody = 16 << 10

// smallBody is the size of the response buffer net/http fills before it
// writes anything (its bufferBeforeChunkingSize): a body up to this size,
// written at once as the handler's last act, is sent with a Content-Length
// net/http computes itself; a longer one gets the handler's own, so that
// it is not chunked.
const smallBody = 2048

// appendJSON appends the JSON of v, and the newline json.Encoder ends it
// with, to b.
func appendJSON(b []byte, v any) ([]byte, error) {
	var ok bool
	switch v := v.(type) {
	case *verify.Enrollment:
		b, ok = appendEnrollment(b, v)
	case *verify.Method:
		b, ok = appendMethod(b, v)
	case problemBody:
		b, ok = appendProblem(b, &v), true
	}
	if ok {
		return append(b, '\n'), nil
	}
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // application/json with nosniff: no HTML context
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	return buf.Bytes(), nil
}

// appendEnrollment writes verify.Enrollment's JSON; false when a raw
// member is not valid JSON (encoding/json then reports it).
func appendEnrollment(b []byte, e *verify.Enrollment) ([]byte, bool) {
	start := len(b)
	b = append(b, `{"id":`...)
	b = jsonw.AppendString(b, e.ID, false)
	b = append(b, `,"auth_session":`...)
	b = jsonw.AppendString(b, e.AuthSession, false)
	b = appendOptString(b, `,"barcode_uri":`, e.BarcodeURI, false)
	b = appendOptString(b, `,"manual_input_code":`, e.ManualInputCode, false)
	b = appendOptString(b, `,"recovery_code":`, e.RecoveryCode, false)
	for _, raw := range []struct {
		key string
		v   json.RawMessage
	}{{`,"authn_params_public_key":`, e.AuthnParamsPublicKey}, {`,"policy":`, e.Policy}} {
		if len(raw.v) == 0 {
			continue
		}
		b = append(b, raw.key...)
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, raw.v); err != nil {
			return b[:start], false
		}
		b = buf.Bytes()
	}
	return append(b, '}'), true
}

// spec timestamps: verify.Timestamp's layout.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// appendMethod writes verify.Method's JSON (Method.MarshalJSON, the spec's
// schema of m.Type); false for a method MarshalJSON refuses.
func appendMethod(b []byte, m *verify.Method) ([]byte, bool) {
	if !m.Type.Valid() {
		return b, false
	}
	webauthn := m.Type == verify.TypePasskey || m.Type == verify.TypeWebAuthnPlatform || m.Type == verify.TypeWebAuthnRoaming
	if webauthn && m.WebAuthn == nil {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = jsonw.AppendString(b, m.ID, true)
	b = append(b, `,"type":`...)
	b = jsonw.AppendString(b, string(m.Type), true)
	// Every type but password and passkey is an AuthenticationMethodMfaBase,
	// which requires "confirmed"; all of those but recovery-code have "name".
	if m.Type != verify.TypePassword && m.Type != verify.TypePasskey {
		b = append(b, `,"confirmed":`...)
		b = strconv.AppendBool(b, m.Confirmed)
		if m.Type != verify.TypeRecoveryCode {
			b = appendOptString(b, `,"name":`, m.Name, true)
		}
	}
	switch m.Type {
	case verify.TypePassword:
		b = appendOptString(b, `,"identity_user_id":`, m.IdentityUserID, true)
		if !m.LastPasswordReset.IsZero() {
			b = appendTime(b, `,"last_password_reset":`, m.LastPasswordReset)
		}
	case verify.TypePhone:
		b = appendOptString(b, `,"phone_number":`, m.PhoneNumber, true)
		b = appendOptString(b, `,"preferred_authentication_method":`, m.PreferredAuthenticationMethod, true)
	case verify.TypeEmail:
		b = appendOptString(b, `,"email":`, m.Email, true)
	case verify.TypePasskey:
		c := m.WebAuthn
		b = append(b, `,"credential_device_type":`...)
		b = jsonw.AppendString(b, c.DeviceType(), true)
		b = append(b, `,"credential_backed_up":`...)
		b = strconv.AppendBool(b, c.BackedUp)
		b = appendOptString(b, `,"identity_user_id":`, m.IdentityUserID, true)
		b = appendBase64(b, `,"key_id":`, c.CredentialID)
		b = appendBase64(b, `,"public_key":`, c.PublicKey)
		if len(c.Transports) > 0 {
			b = append(b, `,"transports":[`...)
			for i, t := range c.Transports {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, t, true)
			}
			b = append(b, ']')
		}
		b = appendOptString(b, `,"user_agent":`, c.UserAgent, true)
		b = appendBase64(b, `,"user_handle":`, c.UserHandle)
		b = appendOptString(b, `,"aaguid":`, c.AAGUID, true)
		b = appendOptString(b, `,"relying_party_id":`, c.RelyingPartyID, true)
	case verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
		b = appendBase64(b, `,"key_id":`, m.WebAuthn.CredentialID)
		b = appendBase64(b, `,"public_key":`, m.WebAuthn.PublicKey)
	}
	b = append(b, `,"usage":[`...)
	for i, u := range m.Usage {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, string(u), true)
	}
	b = append(b, ']')
	b = appendTime(b, `,"created_at":`, m.CreatedAt)
	if !m.LastAuthAt.IsZero() && m.Type != verify.TypePassword {
		b = appendTime(b, `,"last_auth_at":`, m.LastAuthAt)
	}
	return append(b, '}'), true
}

// appendProblem writes the ErrorResponse.
func appendProblem(b []byte, p *problemBody) []byte {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, p.Type, false)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	b = append(b, `,"title":`...)
	b = jsonw.AppendString(b, p.Title, false)
	b = append(b, `,"detail":`...)
	b = jsonw.AppendString(b, p.Detail, false)
	if len(p.ValidationErrors) > 0 {
		b = append(b, `,"validation_errors":[`...)
		for i, v := range p.ValidationErrors {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"detail":`...)
			b = jsonw.AppendString(b, v.Detail, false)
			b = appendOptString(b, `,"field":`, v.Field, false)
			b = appendOptString(b, `,"pointer":`, v.Pointer, false)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendOptString writes key and s, unless s is empty (omitempty).
func appendOptString(b []byte, key, s string, escapeHTML bool) []byte {
	if s == "" {
		return b
	}
	return jsonw.AppendString(append(b, key...), s, escapeHTML)
}

// appendBase64 writes key and the unpadded base64url of v, unless v is
// empty (omitempty of the encoded string).
func appendBase64(b []byte, key string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '"')
	b = base64.RawURLEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendTime writes key and verify.Timestamp(t).
func appendTime(b []byte, key string, t time.Time) []byte {
	b = append(b, key...)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timestampLayout)
	return append(b, '"')
}
