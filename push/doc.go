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
//  2. The app scans the barcode and calls the device API (Handler, or
//     Enroll from Go) as Guardian's SDKs do:
//
//     POST <base_url>/api/enroll
//     Authorization: Ticket id="<enrollment_tx_id>"
//     Content-Type: application/json; charset=utf-8
//
//     {"identifier": "<device id>", "name": "<friendly name>",
//     "push_credentials": {"service": "GCM", "token": "<push token>"},
//     "public_key": {"kty": "RSA", "alg": "RS256", "use": "sig", "e": "…", "n": "…"}}
//
//     public_key is the app's public key: RSA 2048–4096 bits with
//     e = 65537 (RS256), whose n and e may carry the leading zero byte of
//     Java's BigInteger.toByteArray(), or, as an extension, EC P-256
//     (ES256). Guardian's SDKs prove nothing at enrollment; an app may add
//     "proof", a JWT signed with the matching private key (header
//     {"alg": "RS256"|"ES256", "typ": "JWT"}) whose claims are
//
//     {"aud": "<base_url>/api/enroll", "sub": "<enrollment_tx_id>",
//     "iss": "<identifier>", "iat": <now>, "exp": <now + at most 10 min>}
//
//     A proof that is sent is verified; Config.RequireProof makes it
//     mandatory.
//
//     Answers: 201 {"id": "<device account id>", "url": "<base_url>",
//     "issuer": "<issuer>", "user_id": "<user>", "token": "<device
//     token>", "totp": {"secret", "algorithm": "sha1", "digits": 6,
//     "period": 30}}, the members Guardian.Android requires; 400 for a
//     malformed body or an invalid proof; 401 (WWW-Authenticate: Ticket)
//     for a missing, malformed, unknown, expired or already used ticket,
//     one answer for all four; 409 when this user has this device enrolled
//     already.
//
//  3. The client polls POST /me/v1/authentication-methods/{id}/verify
//     {"auth_session": "…"}: 400 "enrollment pending" (verify.ErrPending)
//     until the device has enrolled, then 201 with the method, named after
//     the device.
//
// Without a proof, possession of the device key is proven by the first
// signature the server accepts from it: every approval
// (resolve-transaction) must be signed with it, so registering a key one
// does not hold gains nothing, and the single-use ticket, known only to
// whoever scanned the barcode, binds the device to the enrollment
// (SECURITY-CHECKLIST PU-01, PU-02). A proof's challenge is the ticket
// itself: random, single use, so a proof is fresh by construction; aud
// binds it to this server and iss to the device.
//
// # Device accounts
//
// The enrollment answer's id and token manage the device afterwards
// (UpdateDevice, DeleteDevice):
//
//	PATCH  <base_url>/api/device-accounts/{id}   {"identifier"?, "name"?, "push_credentials"?} → 200, the current values
//	DELETE <base_url>/api/device-accounts/{id}   → 204, the push method is deleted
//
// both with "Authorization: Bearer <device token>". The token (256 bits
// from crypto/rand) is stored only as its SHA-256, in the method's device
// record, and compared in constant time; it authorizes its own device
// account only. The id is base64url of the method's CredentialID, which
// the store keeps unique, so the account is found without the user.
//
// # Sign-in
//
// Push implements verify.Engine. Challenge sends the device a
// notification through Config.Notifier (Notification.Data: txtkn, c, dai,
// sh, d, s) and records a transaction — SHA-256 of the transaction token
// and of the challenge, the user and method, until the auth_session
// expires — in the store. The device answers
//
//	POST <base_url>/api/resolve-transaction
//	Authorization: Bearer <txtkn>
//
//	{"challenge_response": "<JWT>"}
//
// with a JWT signed by its key (RS256, or ES256 for an EC device; the
// algorithm is pinned to the key's and checked by go-jose), whose claims
// are aud = <base_url>/api/resolve-transaction, iss = the device
// identifier, sub = the challenge, iat and exp with exp − iat ≤ 30 s,
// auth0_guardian_method "push", auth0_guardian_accepted and an optional
// auth0_guardian_reason (Resolve). The answer is recorded once
// (store.PushDevices.ResolvePushTransaction, atomic): a replayed or second
// answer is 401. Authenticate then reads it: verify.ErrPending until the
// device answered, success after an approval, verify.ErrInvalidProof
// after a rejection (SECURITY-CHECKLIST SI-09).
//
// Number matching (Config.NumberMatching, an extension): Challenge draws a
// number for the sign-in page (verify.Challenge.MatchNumber), never sent
// to the device; an approval counts only when its JWT carries the claim
// "verifykit_number" with that number.
//
// ECDSA signatures (ES256 proofs and responses) are accepted with either
// S: single use rests on the ticket or the transaction, never on the
// bytes of a signature, so the second encoding of one signature gains
// nothing (issue 16 item 7: the choice documented rather than low-S).
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
// (Config.StartLimit, 20 an hour), since each records a ticket; sign-in
// pushes per user (Config.ChallengeLimit, 10 in 10 minutes); every device
// API request per client IP (Config.DeviceLimit, 60 a minute, 429 with
// Retry-After). Device API bodies are at most 16 KiB, decoded
// strictly with github.com/go-json-experiment/json.
//
// # Storage
//
// Pending: the ticket record (hash, user, method id, expiry, the TOTP
// secret for the enrollment answer, and the device with its device token's
// hash once redeemed) lives in store.PushDevices until it expires, as do
// sign-in transactions.
// Confirmed: the device — identifier, name, push service and token, public
// key (canonical JWK), TOTP secret and device token hash — is the Secret of the
// push-notification method (Device, ParseDevice), written atomically with
// the method by the service's commit and encrypted at rest by persistent
// stores. Its CredentialID is a hash of the user and the device
// identifier, so the store refuses a second enrollment of one device by
// one user (PU-05); revoking a device is deleting its method, through the
// My Account API or the device's DELETE.
package push
