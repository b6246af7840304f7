package verify

import (
	"fmt"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/store"
)

// storedAttrs is the store encoding of a Method's attributes: every field,
// including those the public JSON leaves out (sign count, attestation
// format). ID, Subject, Type and CreatedAt are store columns instead.
//
// The member names are those stored rows hold (WebAuthnCredential's are
// its Go field names, as encoding/json wrote them before json/v2); nil
// slices are written as null, as they were, and unknown members are
// ignored on reading, so that rows written by an older or a newer version
// still decode.
type storedAttrs struct {
	Name                          string              `json:"name,omitempty"`
	Usage                         []Usage             `json:"usage,omitempty"`
	LastAuthAt                    time.Time           `json:"last_auth_at,omitzero"`
	PhoneNumber                   string              `json:"phone_number,omitempty"`
	PreferredAuthenticationMethod string              `json:"preferred_authentication_method,omitempty"`
	Email                         string              `json:"email,omitempty"`
	IdentityUserID                string              `json:"identity_user_id,omitempty"`
	LastPasswordReset             time.Time           `json:"last_password_reset,omitzero"`
	WebAuthn                      *WebAuthnCredential `json:"webauthn,omitempty"`
}

// Record returns m as a store record, without Secret, CredentialID or
// Counter, which the engine supplies.
func (m *Method) Record() (store.Method, error) {
	a := storedAttrs{
		Name: m.Name, Usage: m.Usage, LastAuthAt: m.LastAuthAt,
		PhoneNumber: m.PhoneNumber, PreferredAuthenticationMethod: m.PreferredAuthenticationMethod,
		Email: m.Email, IdentityUserID: m.IdentityUserID, LastPasswordReset: m.LastPasswordReset,
		WebAuthn: m.WebAuthn,
	}
	attrs, err := json.Marshal(a, json.FormatNilSliceAsNull(true))
	if err != nil {
		return store.Method{}, fmt.Errorf("verify: encode method %q: %w", m.ID, err)
	}
	return store.Method{ID: m.ID, Subject: m.Subject, Type: string(m.Type), CreatedAt: m.CreatedAt, Attrs: attrs}, nil
}

// MethodFromRecord decodes a store record into a Method. A stored method
// is confirmed by definition.
func MethodFromRecord(r store.Method) (Method, error) {
	t := Type(r.Type)
	if !t.Valid() {
		return Method{}, fmt.Errorf("verify: stored method %q: unknown method type %q", r.ID, r.Type)
	}
	var a storedAttrs
	if err := json.Unmarshal(r.Attrs, &a); err != nil {
		return Method{}, fmt.Errorf("verify: decode stored method %q: %w", r.ID, err)
	}
	m := Method{
		ID: r.ID, Type: t, Subject: r.Subject, Confirmed: true, CreatedAt: r.CreatedAt,
		Name: a.Name, Usage: a.Usage, PhoneNumber: a.PhoneNumber,
		PreferredAuthenticationMethod: a.PreferredAuthenticationMethod, Email: a.Email,
		IdentityUserID: a.IdentityUserID, WebAuthn: a.WebAuthn,
		LastAuthAt: a.LastAuthAt, LastPasswordReset: a.LastPasswordReset,
	}
	if m.Usage == nil {
		m.Usage = t.DefaultUsage()
	}
	return m, nil
}
