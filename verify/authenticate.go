package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/store"
)

// signInPurpose is the purpose of a sign-in auth_session. It differs from
// sessionPurpose, so that an enrollment session never opens as a sign-in
// session, nor the reverse (SECURITY-CHECKLIST SI-01, ASVS 9.2.2).
const signInPurpose = "verifykit/signin"

// Challenge starts a sign-in of sub with its method methodID (a step-up):
// it reads the method, lets its engine create the challenge (WebAuthn
// request options, a sent code, a push notification) and seals it into an
// auth_session with the sign-in purpose, bound to sub, methodID and the
// method's type, for SessionTTL. Another user's method and an unknown id
// both fail with ErrNotFound. A usernameless passkey sign-in is started
// with ChallengePasskey, never with a zero sub here.
func (s *Service) Challenge(ctx context.Context, sub Subject, methodID string, client Client) (*SignInChallenge, error) {
	if err := checkSubject(sub); err != nil {
		return nil, err
	}
	rec, m, err := s.load(ctx, sub, methodID)
	if err != nil {
		return nil, err
	}
	return s.challenge(ctx, &EngineStart{Subject: sub, Method: m, Record: rec, Client: client}, m.Type)
}

// ChallengePasskey starts a usernameless passkey sign-in. The request
// options leave allowCredentials empty (a discoverable credential, usable
// with mediation "conditional"); the auth_session is bound to no subject
// and no method: only AuthenticatePasskey accepts it, and the assertion's
// credential says who signs in.
func (s *Service) ChallengePasskey(ctx context.Context, client Client) (*SignInChallenge, error) {
	return s.challenge(ctx, &EngineStart{Client: client}, TypePasskey)
}

// challenge runs a sign-in challenge of type t for ec (ec.Method zero for
// a usernameless passkey sign-in) and seals it.
func (s *Service) challenge(ctx context.Context, ec *EngineStart, t Type) (*SignInChallenge, error) {
	ev := Event{Kind: EventSignInFailed, Subject: ec.Subject.ID, Type: t, MethodID: ec.Method.ID, Client: ec.Client}
	se, ok := s.engines[t]
	if !ok {
		return nil, s.failed(ctx, ev, NewError(ErrInvalidRequest, "sign_in_unsupported", fmt.Sprintf("Sign-in with a %s method is not supported", t)))
	}
	p, exp := s.newSession(signInPurpose, t, ec.Subject.ID, ec.Method.ID)
	ec.ExpiresAt = exp
	st, err := se.Challenge(ctx, ec)
	if err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	if st == nil {
		return nil, fmt.Errorf("verify: %s engine returned no sign-in challenge", t)
	}
	token, err := s.seal(&p, st.State)
	if err != nil {
		return nil, fmt.Errorf("verify: seal %s sign-in auth_session: %w", t, err)
	}
	return &SignInChallenge{
		AuthSession: token, AuthnParamsPublicKey: st.AuthnParamsPublicKey, MatchNumber: st.MatchNumber,
		MethodID: ec.Method.ID, Type: t, ExpiresAt: exp,
	}, nil
}

// Authenticate completes the sign-in of sub with its method methodID, with
// the auth_session of Challenge and the proof in req. It runs, in order,
// stopping at the first failure:
//
//  1. open the auth_session (sign-in purpose only);
//  2. bind it: sealed subject == sub, sealed method id == methodID, req
//     carries exactly the proof of the sealed type (otp_code for totp,
//     email and phone, recovery_code, password, authn_response for the
//     WebAuthn types, none for push-notification), not expired;
//  3. count the attempt in the store (Config.MaxAttempts, or the engine's
//     AttemptLimiter); an attempt that fails on an outage is given back;
//  4. read the method (ErrNotFound if it was deleted meanwhile; for a
//     password, the engine is asked with the zero record, to do the same
//     work, and its refusal is the answer);
//  5. let the engine check the proof (pure: no writes);
//  6. one atomic store write (store.SignIn): consume the session, advance
//     the counter, replace the secret at the version read, and save the
//     attributes with LastAuthAt set to now;
//  7. emit EventSignedIn, or EventSignInFailed with the reason.
//
// A replayed counter (a TOTP step or WebAuthn signature count) and a
// secret changed concurrently (a recovery code used twice) fail with
// ErrInvalidProof; a second use of the auth_session with ErrAlreadyUsed.
func (s *Service) Authenticate(ctx context.Context, sub Subject, methodID string, req VerifyRequest, client Client) (*SignIn, error) {
	if err := checkSubject(sub); err != nil {
		return nil, s.failed(ctx, Event{Kind: EventSignInFailed, MethodID: methodID, Client: client}, err)
	}
	return s.authenticate(ctx, sub, methodID, &req, client)
}

// AuthenticatePasskey completes a usernameless passkey sign-in started by
// ChallengePasskey with the assertion in req.AuthnResponse, by the steps of
// Authenticate. The passkey engine finds the credential the assertion
// names and checks its user handle; SignIn.Subject is its owner.
func (s *Service) AuthenticatePasskey(ctx context.Context, req VerifyRequest, client Client) (*SignIn, error) {
	return s.authenticate(ctx, Subject{}, "", &req, client)
}

// authenticate is Authenticate for sub and methodID, or, with both zero,
// AuthenticatePasskey.
func (s *Service) authenticate(ctx context.Context, sub Subject, methodID string, req *VerifyRequest, client Client) (*SignIn, error) {
	ev := Event{Kind: EventSignInFailed, Subject: sub.ID, MethodID: methodID, Client: client}
	p, e, ec, err := s.begin(ctx, signInPurpose, sub, methodID, req, client)
	ev.Type = p.Type
	if err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	in, err := s.check(ctx, e, &p, ec)
	if err != nil {
		s.refundOutage(ctx, p.ID, err)
		return nil, s.failed(ctx, ev, err)
	}
	ev.Kind, ev.Subject, ev.MethodID = EventSignedIn, in.Subject, in.Method.ID
	s.emit(ctx, ev)
	return in, nil
}

// check runs steps 4 to 6 of Authenticate on an opened, bound and counted
// session.
func (s *Service) check(ctx context.Context, se Engine, p *sealedSession, ea *EngineConfirm) (*SignIn, error) {
	if p.Pending != "" {
		rec, m, err := s.load(ctx, ea.Subject, p.Pending)
		if errors.Is(err, ErrNotFound) && p.Type == TypePassword {
			// The password engine does a comparison's work for a method
			// that does not exist and fails as for a wrong password, so
			// that neither time nor answer tells (SI-08): it is asked with
			// the zero record, and its refusal is the answer.
			if _, perr := se.Authenticate(ctx, ea); perr != nil {
				return nil, perr
			}
		}
		if err != nil {
			return nil, err
		}
		if m.Type != p.Type {
			return nil, NewError(ErrInvalidSession, "type_mismatch", "The auth_session is for another authentication method type")
		}
		ea.Method, ea.Record = m, rec
	}
	a, err := se.Authenticate(ctx, ea)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("verify: %s engine returned no authentication", p.Type)
	}
	rec := a.Record
	switch {
	case p.Pending != "":
		// A step-up signs in with the method read, whatever the engine says.
		if rec.ID == "" {
			rec = ea.Record
		}
		if rec.ID != ea.Record.ID || rec.Subject != ea.Record.Subject {
			return nil, fmt.Errorf("verify: %s engine authenticated another method than the one of the auth_session", p.Type)
		}
	case rec.ID == "" || rec.Subject == "":
		return nil, fmt.Errorf("verify: %s engine returned no method for a usernameless sign-in", p.Type)
	}
	t := Type(rec.Type)
	if !t.Valid() || !t.WebAuthn() && p.Pending == "" {
		return nil, fmt.Errorf("verify: %s engine authenticated a method of type %q", p.Type, rec.Type)
	}
	// The engine's Method carries the attributes to keep; without one, the
	// record's as read.
	m := a.Method
	if m.ID == "" {
		if m, err = MethodFromRecord(rec); err != nil {
			return nil, err
		}
	} else if m.ID != rec.ID {
		return nil, fmt.Errorf("verify: %s engine returned a method other than its record", p.Type)
	}
	m.ID, m.Subject, m.Type, m.Confirmed, m.CreatedAt = rec.ID, rec.Subject, t, true, rec.CreatedAt
	if m.Usage == nil {
		m.Usage = t.DefaultUsage()
	}
	m.LastAuthAt = s.cfg.Now().UTC().Truncate(time.Millisecond)
	attrs, err := m.Record()
	if err != nil {
		return nil, err
	}
	w := store.SignIn{
		SessionID: p.ID, SessionExpires: time.UnixMilli(p.Expires),
		Subject: rec.Subject, MethodID: rec.ID, Counter: a.Counter, Attrs: attrs.Attrs, Secret: a.Secret,
	}
	if a.Secret != nil {
		w.Version = rec.Version
	}
	stored, err := s.cfg.Store.SignIn(ctx, w)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConsumed):
		return nil, NewError(ErrAlreadyUsed, "already_used", "The auth_session has already been used")
	case errors.Is(err, store.ErrStale):
		return nil, &Error{Kind: ErrInvalidProof, Reason: "replay", Detail: "The verification failed", Err: err}
	case errors.Is(err, store.ErrConflict):
		return nil, &Error{Kind: ErrInvalidProof, Reason: "concurrent_use", Detail: "The verification failed", Err: err}
	case errors.Is(err, store.ErrNotFound):
		return nil, &Error{Kind: ErrNotFound, Reason: "not_found", Detail: "Authentication method not found", Err: err}
	default:
		return nil, fmt.Errorf("verify: save sign-in: %w", err)
	}
	out, err := MethodFromRecord(stored)
	if err != nil {
		return nil, err
	}
	return &SignIn{Subject: rec.Subject, Method: out, RecoveryCode: a.RecoveryCode}, nil
}

// signInProof returns the request member that carries the proof of a
// sign-in with a method of type t ("" for push-notification).
func signInProof(t Type) string {
	switch t {
	case TypeRecoveryCode:
		return "recovery_code"
	case TypePassword:
		return "password"
	case TypePushNotification:
		return ""
	}
	return t.Proof()
}
