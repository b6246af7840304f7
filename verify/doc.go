// Package verify is the core of verifykit: the nine authentication method
// types, the confirmed Method, the Engine interface the method engines
// implement, and the Service that runs the two-step enrollment of the Auth0
// My Account API — Start (POST /me/v1/authentication-methods) and Verify
// (POST /me/v1/authentication-methods/{id}/verify).
//
// verify is transport-free: verify/httpapi serves a Service over HTTP, and
// a host may call it directly. The host authenticates the user and passes
// a Subject; verify never parses access tokens.
//
// # Flow
//
// Start asks the engine of the requested type for a challenge (a TOTP
// secret, WebAuthn creation options, a code sent by e-mail …) and seals its
// state, the user, the method id, the type and an expiry into the opaque
// auth_session: pending enrollments need no table.
//
// Verify runs these steps in order and stops at the first failure:
//
//  1. open the auth_session (any failure: ErrInvalidSession, or ErrExpired);
//  2. bind it: sealed user == caller, sealed method id == path id, the
//     proof in the request is the one the sealed type takes, not expired;
//  3. count the attempt in the store, and refuse once the session's
//     attempts (Config.MaxAttempts, default 5) are used up;
//  4. let the engine check the proof — pure checks, no writes;
//  5. in one atomic store operation, consume the session (single use) and
//     save the method, refusing a consumed session or a duplicate
//     credential: of two concurrent confirms of one session exactly one
//     succeeds, on one process or many sharing a database;
//  6. emit an event to the Observer.
//
// # Sign-in
//
// The same Service signs in with a confirmed method: Challenge and
// Authenticate for a step-up of a known user, ChallengePasskey and
// AuthenticatePasskey for a usernameless passkey, whose assertion's
// credential names the user. Authenticate runs the steps of Verify with
// the Engine's sign-in half. A sign-in auth_session is sealed with its own
// purpose: it never opens at Verify, nor an enrollment session at
// Authenticate.
//
// # Errors
//
// Client mistakes are *Error values matching one kind (ErrInvalidRequest,
// ErrInvalidProof, …) with errors.Is; Kind(err) names it. An error
// matching no kind (a store outage, a cancelled context) is an internal
// failure, which verify/httpapi answers with 500, never as an invalid
// code. Error messages and events never carry codes, secrets, challenges,
// passwords or the auth_session.
//
// # Security
//
//   - The auth_session is sealed with hapi/iron's Fe26.2 (package session):
//     encrypted and authenticated, so its state cannot be read or altered.
//     Its payload carries a purpose and a version, is decoded strictly
//     (unknown fields refused), and always expires, at most MaxSessionTTL
//     (10 minutes) after issue, whatever the key holder sealed.
//   - Single use and attempt limits are enforced by the store, not by the
//     token, so they hold across processes that share a store.
//   - A failed proof is reported vaguely (ErrInvalidProof); the precise
//     reason goes to Error.Reason and events only.
package verify
