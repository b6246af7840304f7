package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/verifykit/verifykit/internal/visible"
	"github.com/verifykit/verifykit/store"
)

// MaxListed is the most methods List returns (the spec's
// ListAuthenticationMethodsResponseContent maxItems).
const MaxListed = 20

// MaxNameLength bounds a method's friendly name, in characters.
const MaxNameLength = 100

// Factor is one entry of GET /me/v1/factors: a method type the service
// offers and its usage.
type Factor struct {
	Type  Type    `json:"type"`
	Usage []Usage `json:"usage"`
}

// Factors lists the method types s serves, in spec order.
func (s *Service) Factors() []Factor {
	fs := make([]Factor, 0, len(s.engines))
	for _, t := range s.Types() {
		fs = append(fs, Factor{Type: t, Usage: t.DefaultUsage()})
	}
	return fs
}

// List returns sub's confirmed methods, oldest first, of type t when t is
// not empty; at most MaxListed.
func (s *Service) List(ctx context.Context, sub Subject, t Type) ([]Method, error) {
	if err := checkSubject(sub); err != nil {
		return nil, err
	}
	if t != "" && !t.Valid() {
		return nil, InvalidField("type", "/type", "unknown authentication method type")
	}
	recs, err := s.cfg.Store.List(ctx, sub.ID)
	if err != nil {
		return nil, fmt.Errorf("verify: list methods: %w", err)
	}
	ms := make([]Method, 0, len(recs))
	for _, r := range recs {
		if t != "" && r.Type != string(t) {
			continue
		}
		m, err := MethodFromRecord(r)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		if len(ms) == MaxListed {
			break
		}
	}
	return ms, nil
}

// Get returns sub's method id, or ErrNotFound (also for another user's).
func (s *Service) Get(ctx context.Context, sub Subject, id string) (*Method, error) {
	_, m, err := s.load(ctx, sub, id)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// load reads sub's method id, as stored and decoded; ErrNotFound also for
// another user's method.
func (s *Service) load(ctx context.Context, sub Subject, id string) (store.Method, Method, error) {
	if err := checkSubject(sub); err != nil {
		return store.Method{}, Method{}, err
	}
	r, err := s.cfg.Store.Get(ctx, sub.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, Method{}, &Error{Kind: ErrNotFound, Reason: "not_found", Detail: "Authentication method not found", Err: err}
	}
	if err != nil {
		return r, Method{}, fmt.Errorf("verify: get method: %w", err)
	}
	m, err := MethodFromRecord(r)
	return r, m, err
}

// UpdateRequest is the body of PATCH /authentication-methods/{id}; a nil
// field is left unchanged.
type UpdateRequest struct {
	Name                          *string
	PreferredAuthenticationMethod *string // phone only: "sms" or "voice"
}

// Update changes the friendly name or, for a phone method, the preferred
// channel of sub's method id. A request that changes nothing (both fields
// nil) returns the method as it is, without a write or an event. The
// EventUpdated event carries client.
func (s *Service) Update(ctx context.Context, sub Subject, id string, req UpdateRequest, client Client) (*Method, error) {
	r, m, err := s.load(ctx, sub, id)
	if err != nil {
		return nil, err
	}
	if req.Name == nil && req.PreferredAuthenticationMethod == nil {
		return &m, nil
	}
	if req.Name != nil {
		if !m.Type.hasName() {
			return nil, InvalidField("name", "/name", fmt.Sprintf("a %s method has no name", m.Type))
		}
		if err := checkName(*req.Name); err != nil {
			return nil, err
		}
		m.Name = *req.Name
	}
	if req.PreferredAuthenticationMethod != nil {
		if m.Type != TypePhone {
			return nil, InvalidField("preferred_authentication_method", "/preferred_authentication_method", "only a phone method has a preferred authentication method")
		}
		if p := *req.PreferredAuthenticationMethod; p != "sms" && p != "voice" {
			return nil, InvalidField("preferred_authentication_method", "/preferred_authentication_method", `must be "sms" or "voice"`)
		}
		m.PreferredAuthenticationMethod = *req.PreferredAuthenticationMethod
	}
	nr, err := m.Record()
	if err != nil {
		return nil, err
	}
	nr.Secret, nr.Version = r.Secret, r.Version
	if _, err := s.cfg.Store.Update(ctx, nr); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: ErrConflict, Reason: "concurrent_update", Detail: "The authentication method was changed concurrently; retry", Err: err}
		}
		return nil, fmt.Errorf("verify: update method: %w", err)
	}
	s.emit(ctx, Event{Kind: EventUpdated, Subject: sub.ID, Type: m.Type, MethodID: m.ID, Client: client})
	return &m, nil
}

// hasName reports whether the spec's schema of t has a "name" field.
func (t Type) hasName() bool {
	return t != TypePassword && t != TypePasskey && t != TypeRecoveryCode
}

func checkName(name string) error {
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n < 1 || n > MaxNameLength {
		return InvalidField("name", "/name", fmt.Sprintf("name must be 1 to %d characters", MaxNameLength))
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return InvalidField("name", "/name", "name must not contain control characters")
		}
		// AB-11: a format character (U+202E reverses what follows, U+200B
		// hides inside a word, joiners included) makes a name read other
		// than it is.
		if visible.Format(r) {
			return InvalidField("name", "/name", "name must not contain format characters (bidi controls, zero-width characters)")
		}
	}
	if !visible.Has(name) {
		return InvalidField("name", "/name", "name must contain a visible character")
	}
	return nil
}

// Delete removes sub's method id. Unless Config.AllowNoPrimary is set, it
// refuses (ErrConflict) to delete the user's last primary method, which
// would leave them unable to sign in. The EventDeleted event carries
// client.
//
// The guard is the store's: a primary method is deleted with
// store.Methods.DeletePrimary, given the ids of the user's primary methods
// as read, which refuses atomically when no other of them remains. Of
// concurrent deletes of a user's last two primary methods one succeeds and
// the other fails with ErrConflict, deleting nothing.
func (s *Service) Delete(ctx context.Context, sub Subject, id string, client Client) error {
	if err := checkSubject(sub); err != nil {
		return err
	}
	recs, err := s.cfg.Store.List(ctx, sub.ID)
	if err != nil {
		return fmt.Errorf("verify: list methods: %w", err)
	}
	var target *Method
	var primaries []string
	for _, r := range recs {
		m, err := MethodFromRecord(r)
		if err != nil {
			return err
		}
		if slices.Contains(m.Usage, UsagePrimary) {
			primaries = append(primaries, m.ID)
		}
		if m.ID == id {
			target = &m
		}
	}
	if target == nil {
		return &Error{Kind: ErrNotFound, Reason: "not_found", Detail: "Authentication method not found"}
	}
	if !s.cfg.AllowNoPrimary && slices.Contains(primaries, id) {
		err = s.cfg.Store.DeletePrimary(ctx, sub.ID, id, primaries)
	} else {
		err = s.cfg.Store.Delete(ctx, sub.ID, id)
	}
	switch {
	case errors.Is(err, store.ErrLastPrimary):
		return &Error{Kind: ErrConflict, Reason: "last_primary", Detail: "The last primary authentication method cannot be deleted", Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: ErrNotFound, Reason: "not_found", Detail: "Authentication method not found", Err: err}
	case err != nil:
		return fmt.Errorf("verify: delete method: %w", err)
	}
	s.emit(ctx, Event{Kind: EventDeleted, Subject: sub.ID, Type: target.Type, MethodID: id, Client: client})
	return nil
}
