// Package push implements the push-notification enrollment engine,
// modelled on Auth0 Guardian: the user scans a QR code with an
// authenticator app, the app enrolls itself with the server (the device
// API), and the user's client then confirms the enrollment with verify.
//
// # Enrollment, step by step
//
//  1. The client starts: POST /me/v1/authentication-methods
//     {"type":"push-notification"}. Start draws a ticket (the
//     enrollment_tx_id, 128 bits from crypto/rand by default) and a TOTP
//     secret, records SHA-256(ticket) in the store (store.PushDevices) for
//     this user and pending method until the auth_session expires, and
//     answers 202 with
//
//     barcode_uri:       otpauth://totp/{issuer}:{account}?enrollment_tx_id=<ticket>&base_url=<BaseURL>&secret=<base32>&issuer=<issuer>
//     manual_input_code: <base32 TOTP secret>
//
//  2. The app scans the barcode and calls the device API (EnrollHandler,
//     or Enroll from Go):
//
//     POST <base_url>/api/enroll
//     Authorization: Ticket id="<enrollment_tx_id>"
//     Content-Type: application/json
//
//     {"identifier": "<device id>", "name": "<friendly name>",
//     "push_credentials": {"service": "FCM", "token": "<push token>"},
//     "public_key": {<JWK>},
//     "proof": "<compact JWS>"}
//
//     public_key is the app's public key: RSA 2048–4096 bits with
//     e = 65537 (RS256), or EC P-256 (ES256). proof is a JWT signed with
//     the matching private key (header {"alg": "RS256"|"ES256", "typ":
//     "JWT"}), whose claims are
//
//     {"aud": "<base_url>/api/enroll", "sub": "<enrollment_tx_id>",
//     "iss": "<identifier>", "iat": <now>, "exp": <now + at most 10 min>}
//
//     Answers: 201 {"id": "<pending method id>", "issuer": "<issuer>"};
//     400 for a malformed body or an invalid proof; 401 (WWW-Authenticate:
//     Ticket) for a missing, malformed, unknown, expired or already used
//     ticket, one answer for all four.
//
//  3. The client polls POST /me/v1/authentication-methods/{id}/verify
//     {"auth_session": "…"}: 400 "enrollment pending" (verify.ErrPending)
//     until the device has enrolled, then 201 with the method, named after
//     the device.
//
// The proof field is this package's addition to Guardian's request:
// Guardian's enroll carries the public key without proving possession of
// the private key, which SECURITY-CHECKLIST PU-02 (NIST binding
// requirements) asks for. The challenge signed is the ticket itself: it is
// random, single use and known only to whoever scanned the barcode, so a
// proof is fresh by construction and cannot be replayed for another
// enrollment; aud binds it to this server and iss to the device.
//
// # Security
//
// Ticket: TicketSize bytes from crypto/rand, at least 112 bits (NIST SP
// 800-63B-4 binding code; PU-01). Only its SHA-256 is stored, so a copy of
// the store cannot redeem anything. Redemption is one atomic store
// operation (store.PushDevices.RedeemPushTicket): of two devices using
// one ticket exactly one enrolls. The ticket expires with the auth_session
// (at most 10 minutes) and travels in the barcode only, never by e-mail or
// SMS. A malformed request or an invalid proof does not spend it.
//
// Binding (PU-03): the ticket's hash is sealed in the auth_session, so
// confirm looks at this enrollment's ticket only; a device enrolled with
// another session's or another user's ticket never satisfies it, and the
// ticket's recorded user and method id are checked again.
//
// Device key (PU-02): JWKs with private members are refused; JWS headers
// that would change how a signature is checked (crit, jwk, jku, x5u, x5c,
// b64) are refused; "alg" must match the key, so "none" and algorithm
// confusion are impossible.
//
// Polling: the service counts every verify call before the engine
// answers, and "pending" is the normal answer while the user installs the
// app. Push therefore implements verify.AttemptLimiter with a poll budget
// of Config.MaxPolls (60 by default: a poll every 5 s for a 5-minute
// session) instead of the service's 5 attempts. Polls guess nothing: only
// a device that redeemed this session's ticket with a valid proof
// completes it.
//
// Throttling (PU-04): enrollment starts are limited per user
// (Config.StartLimit, 20 an hour), since each records a ticket. Sign-in
// pushes are sent by the host through a Notifier, throttled per user and
// with number matching (Notification.MatchNumber).
//
// # Storage
//
// Pending: the ticket record (hash, user, method id, expiry, and the
// device once redeemed) lives in store.PushDevices until it expires.
// Confirmed: the device — identifier, name, push service and token, public
// key (canonical JWK) and TOTP secret — is the Secret of the
// push-notification method (Device, ParseDevice), written atomically with
// the method by the service's commit and encrypted at rest by persistent
// stores. Its CredentialID is a hash of the user and the device
// identifier, so the store refuses a second enrollment of one device by
// one user (PU-05); revoking a device is deleting its method.
package push
