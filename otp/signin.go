package otp

// Sign-in (verify.Engine) for the engines of this package: TOTP,
// recovery codes, and the e-mailed and texted codes. Each Authenticate is a
// pure check of the proof against the stored record the service read; what
// must change (a TOTP step, a recovery code's replacement) is returned in
// verify.Confirmation and written by the service with store.SignIn,
// atomically with consuming the auth_session and conditional on the
// record's counter or version, so that of concurrent uses of one code
// exactly one succeeds.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

var (
	_ verify.Engine = (*TOTP)(nil)
	_ verify.Engine = (*RecoveryCode)(nil)
	_ verify.Engine = (*Email)(nil)
	_ verify.Engine = (*Phone)(nil)
)

// errMethodNotFound is the error for a record that is not a method of the
// engine's type owned by the subject signing in (a pending enrollment has
// no record at all, SECURITY-CHECKLIST TO-09).
func errMethodNotFound() error {
	return verify.NewError(verify.ErrNotFound, "method_not_found", "No such authentication method")
}

// ownRecord checks that rec is a stored method of type typ of sub: a
// record of another user (RC-04) or type is not found.
func ownRecord(sub verify.Subject, rec *store.Method, typ verify.Type) error {
	if sub.ID == "" || rec.ID == "" || rec.Subject != sub.ID || rec.Type != string(typ) {
		return errMethodNotFound()
	}
	return nil
}

// Challenge implements verify.Engine: a TOTP sign-in has nothing to
// send, and its state is empty. It fails with verify.ErrNotFound unless
// req.Record is a TOTP method of req.Subject, and with an internal error
// when the stored key is corrupt.
func (e *TOTP) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypeTOTP); err != nil {
		return nil, err
	}
	if _, err := parseKey(req.Record.Secret); err != nil {
		return nil, fmt.Errorf("otp: stored totp method %q: %w", req.Record.ID, err)
	}
	return &verify.Challenge{}, nil
}

// Authenticate implements verify.Engine: it checks otp_code against
// the key of req.Record with the key's digits, algorithm and period and
// the engine's Skew. Every candidate step is computed and compared in
// constant time (match). The matched step must be later than
// Record.Counter, the last accepted step (the enrollment's included: RFC
// 6238 §5.2, SECURITY-CHECKLIST TO-03, SI-05); it is returned in
// Confirmation.Counter, always ≥ 1, and the service's store.SignIn
// refuses it with store.ErrStale unless it is still greater than the
// stored counter, so of concurrent submissions of one code exactly one
// succeeds (TO-08).
//
// Errors: verify.ErrNotFound unless req.Record is a TOTP method of
// req.Subject; verify.ErrInvalidRequest without otp_code;
// verify.ErrInvalidProof for a code that is not exactly Digits ASCII
// digits ("totp_code_format"), matches no step ("totp_code") or only
// steps already used ("totp_replayed"), all with one client message
// (TO-13); an internal error for a corrupt stored key.
func (e *TOTP) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypeTOTP); err != nil {
		return nil, err
	}
	if req.Request.OTPCode == nil {
		return nil, verify.InvalidField("otp_code", "/otp_code", "totp requires otp_code")
	}
	k, err := parseKey(req.Record.Secret)
	if err != nil {
		return nil, fmt.Errorf("otp: stored totp method %q: %w", req.Record.ID, err)
	}
	var in [8]byte
	if !readDigits(in[:], *req.Request.OTPCode, k.digits) {
		return nil, invalidProof("totp_code_format")
	}
	// A stored counter is ≥ 0 (Confirm records the matched step); reading
	// it as at least 0 keeps the returned step positive, which is what
	// makes the store compare it.
	step, ok, replayed := e.match(&k, in[:k.digits], max(req.Record.Counter, 0))
	if !ok {
		if replayed {
			return nil, invalidProof("totp_replayed")
		}
		return nil, invalidProof("totp_code")
	}
	return &verify.Confirmation{Method: req.Method, Record: req.Record, Counter: step}, nil
}

// Challenge implements verify.Engine: a recovery-code sign-in has
// nothing to send, and its state is empty. It fails with
// verify.ErrNotFound unless req.Record is a recovery-code method of
// req.Subject.
func (e *RecoveryCode) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypeRecoveryCode); err != nil {
		return nil, err
	}
	if len(req.Record.Secret) != sha256.Size {
		return nil, fmt.Errorf("otp: stored recovery-code method %q has a malformed secret", req.Record.ID)
	}
	return &verify.Challenge{}, nil
}

// Authenticate implements verify.Engine with Auth0's behaviour: one
// code, replaced on every use. The recovery_code is normalised
// (hyphens and spaces dropped, letters upper-cased, O, I, L read as 0, 1,
// 1) and its keyed hash, bound to the method id, is
// compared in constant time with req.Record's, never with another user's
// (SECURITY-CHECKLIST RC-04, RC-05). On a match a new code of
// 24 symbols is drawn from crypto/rand and returned in
// Confirmation.RecoveryCode, to be shown once, and its keyed hash in
// Confirmation.Secret: the service's store.SignIn writes it conditional
// on Record.Version, so the old code never works again, and of concurrent
// uses of one code exactly one succeeds; the others fail with
// store.ErrConflict (RC-03, SI-07).
//
// Errors: verify.ErrNotFound unless req.Record is a recovery-code method
// of req.Subject; verify.ErrInvalidRequest without recovery_code;
// verify.ErrInvalidProof for a malformed ("recovery_code_format") or wrong
// ("recovery_code") code; an internal error for a corrupt record.
func (e *RecoveryCode) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypeRecoveryCode); err != nil {
		return nil, err
	}
	if req.Request.RecoveryCode == nil {
		return nil, verify.InvalidField("recovery_code", "/recovery_code", "recovery-code requires recovery_code")
	}
	if len(req.Record.Secret) != sha256.Size || req.Record.Version < 1 {
		// Without a version the replacement would not be conditional.
		return nil, fmt.Errorf("otp: stored recovery-code method %q is malformed", req.Record.ID)
	}
	norm, ok := normalizeRecoveryCode(*req.Request.RecoveryCode)
	if !ok {
		return nil, invalidProof("recovery_code_format")
	}
	h := e.hash(req.Record.ID, norm)
	if subtle.ConstantTimeCompare(h[:], req.Record.Secret) != 1 {
		return nil, invalidProof("recovery_code")
	}
	code, err := randomSymbols(recoveryCodeAlphabet, recoveryCodeLen)
	if err != nil {
		return nil, err
	}
	next := e.hash(req.Record.ID, code)
	return &verify.Confirmation{Method: req.Method, Record: req.Record, Secret: next[:], RecoveryCode: code}, nil
}

// Challenge implements verify.Engine: it sends a fresh code to the
// method's address by running the enrollment's own Start for it, so that
// everything Start applies applies to a sign-in too: the address check,
// the send budgets (per user and per address, shared with enrollment:
// SECURITY-CHECKLIST OT-06), the TTL, and the keyed hash, bound to the
// user, the method id, the channel, the address and the expiry (OT-04,
// OT-07). Only that hash is sealed (SI-06).
//
// Errors: verify.ErrForbidden when EmailConfig.Forbidden (the policy that
// e-mail is no authentication factor holds for sign-in too), or when the
// stored address is refused by Start's checks ("email_destination_refused";
// the client sent no address to correct); verify.ErrNotFound unless
// req.Record is an email method of req.Subject; verify.ErrRateLimited when
// a send budget is exhausted, and nothing is sent; an internal error when
// the limiter or the Sender fails.
func (e *Email) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypeEmail); err != nil {
		return nil, err
	}
	return startSignIn(ctx, e, req, verify.StartRequest{Type: verify.TypeEmail, Email: req.Method.Email})
}

// Authenticate implements verify.Engine: it checks otp_code against
// the keyed hash sealed by Challenge in constant time, after the code's
// own expiry, for the address the method still has.
//
// Errors: verify.ErrForbidden when EmailConfig.Forbidden;
// verify.ErrNotFound unless req.Record is an email method of req.Subject;
// verify.ErrInvalidRequest without otp_code; verify.ErrInvalidSession for
// an unreadable state; verify.ErrExpired for a code past its TTL;
// verify.ErrInvalidProof for a malformed or wrong code, or a code sent to
// another address than the method's.
func (e *Email) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if e.forbidden {
		return nil, verify.NewError(verify.ErrForbidden, "email_forbidden", "Email is not allowed as an authentication method")
	}
	if err := ownRecord(req.Subject, &req.Record, verify.TypeEmail); err != nil {
		return nil, err
	}
	return e.core.authenticate(req, req.Method.Email)
}

// Challenge implements verify.Engine: it sends a fresh code to the
// method's number by the method's preferred_authentication_method (sms or
// voice; empty means the first of PhoneConfig.Channels) by running the
// enrollment's own Start for them, so that everything Start applies
// applies to a sign-in too: the number and channel checks, the send
// budgets (per user and per number, shared with enrollment:
// SECURITY-CHECKLIST OT-06), the TTL, and the keyed hash, bound to the
// user, the method id, the channel, the number and the expiry (OT-04,
// OT-07, SI-06).
//
// Errors: verify.ErrForbidden when PhoneConfig.Forbidden, when the
// method's channel is no longer in PhoneConfig.Channels, or when the
// stored number or channel is refused by Start's checks
// ("phone_destination_refused"); verify.ErrNotFound unless req.Record is a
// phone method of req.Subject; verify.ErrRateLimited when a send budget is
// exhausted, and nothing is sent; an internal error when the limiter or
// the Sender fails.
func (e *Phone) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if err := ownRecord(req.Subject, &req.Record, verify.TypePhone); err != nil {
		return nil, err
	}
	return startSignIn(ctx, e, req, verify.StartRequest{
		Type: verify.TypePhone, PhoneNumber: req.Method.PhoneNumber,
		PreferredAuthenticationMethod: req.Method.PreferredAuthenticationMethod,
	})
}

// Authenticate implements verify.Engine: it checks otp_code against
// the keyed hash sealed by Challenge in constant time, after the code's
// own expiry, for the number the method still has. Errors as
// Email.Authenticate's, with PhoneConfig.Forbidden.
func (e *Phone) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if e.forbidden {
		return nil, verify.NewError(verify.ErrForbidden, "phone_forbidden", "Phone is not allowed as an authentication method")
	}
	if err := ownRecord(req.Subject, &req.Record, verify.TypePhone); err != nil {
		return nil, err
	}
	return e.core.authenticate(req, req.Method.PhoneNumber)
}

// startSignIn is the sign-in challenge of Email and Phone: e's enrollment
// Start for the stored method id and start, the method's destination. A
// destination Start refuses (ErrInvalidRequest: the stored address or
// number no longer passes a check, such as a country allow-list) is
// ErrForbidden here, since the client sent nothing to correct.
func startSignIn(ctx context.Context, e verify.Engine, req *verify.EngineStart, start verify.StartRequest) (*verify.Challenge, error) {
	ch, err := e.Start(ctx, &verify.EngineStart{
		Subject: req.Subject, Request: start, Client: req.Client, MethodID: req.Record.ID, ExpiresAt: req.ExpiresAt,
	})
	if errors.Is(err, verify.ErrInvalidRequest) {
		return nil, &verify.Error{
			Kind: verify.ErrForbidden, Reason: string(start.Type) + "_destination_refused",
			Detail: "This authentication method can no longer receive codes", Err: err,
		}
	}
	if err != nil {
		return nil, err
	}
	return &verify.Challenge{State: ch.State}, nil
}

// authenticate is the sign-in check of Email and Phone: the enrollment's
// confirm, for the stored method id, then the sealed destination must be
// to, the method's stored destination (what its enrollment sealed, which
// Start's normalisation leaves as it is).
func (e *codeEngine) authenticate(req *verify.EngineConfirm, to string) (*verify.Confirmation, error) {
	st, err := e.confirm(&verify.EngineConfirm{
		Subject: req.Subject, MethodID: req.Record.ID, State: req.State, Client: req.Client, IssuedAt: req.IssuedAt,
		Request: verify.VerifyRequest{AuthSession: req.Request.AuthSession, OTPCode: req.Request.OTPCode},
	})
	if errors.Is(err, verify.ErrExpired) {
		return nil, verify.NewError(verify.ErrExpired, "code_expired", "The code has expired; request a new one")
	}
	if err != nil {
		return nil, err
	}
	// The destination is public and the code already matched: no
	// constant-time comparison is needed.
	if st.to != to {
		return nil, invalidProof(string(e.typ) + "_destination")
	}
	return &verify.Confirmation{Method: req.Method, Record: req.Record}, nil
}
