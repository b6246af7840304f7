// Package otp implements the verifykit engines of the code-based
// authentication methods: TOTP authenticator apps (verify.TypeTOTP,
// RFC 6238), recovery codes (verify.TypeRecoveryCode), and one-time codes
// sent by e-mail or to a phone (verify.TypeEmail, verify.TypePhone; see
// NewEmail and NewPhone). Each engine implements verify.Engine for
// enrollment through a verify.Service, and verify.Engine for the
// sign-in with a confirmed method (Challenge, then Authenticate: a pure
// check of the proof against the stored record, whose result the service
// writes with store.SignIn, atomically with consuming the auth_session).
//
// # TOTP
//
// NewTOTP returns the engine. Start creates a secret of SecretSize bytes
// (default 20, 160 bits) from crypto/rand and returns it as a Google Key URI
// in barcode_uri,
//
//	otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
//
// and as base32 without padding in manual_input_code. The account label is
// the subject's Email, else its Username, else its ID. Issuer and account
// are percent-encoded (a space is %20); a ':' or control character in the
// account becomes '_', so a label such as "a@b.c:evil?secret=AAAA" cannot
// add or change a URI parameter (SECURITY-CHECKLIST TO-11).
//
// Confirm checks the otp_code and returns the key (TOTPKey in its binary
// form: secret, algorithm, digits and period, so that a later change of the
// engine's Config does not break enrolled apps) in Confirmation.Secret and
// the matched time step in Confirmation.Counter.
//
// At sign-in, Challenge sends nothing; Authenticate checks the code
// against the stored key and returns the matched time step, which must be
// later than the method's last accepted one (see Security).
//
// # Recovery codes
//
// NewRecoveryCode returns the engine. Start returns one code of 24 symbols
// of Crockford's base32 alphabet (0-9 and A-Z without I, L, O, U): 24 × 5 =
// 120 bits from crypto/rand (RecoveryCodeBits). It is shown once, in
// recovery_code. The enrollment's verify carries only the auth_session:
// Confirm records that the user acknowledged the code; it checks no code
// and consumes nothing (RC-08). At sign-in, Auth0's behaviour: one code,
// replaced on every use. Authenticate checks the code and returns a new
// one, shown once (verify.SignIn.RecoveryCode), with its keyed hash as the
// method's new secret, written conditional on the record's version: the
// old code never works again, and of concurrent uses exactly one succeeds
// (RC-03, SI-07).
//
// Input is normalised before hashing (NormalizeRecoveryCode): hyphens and
// spaces are removed, letters upper-cased, and O, I, L read as 0, 1, 1; so
// "ABCD-EFGH…" and "abcdefgh…" are the same code (RC-05).
//
// To regenerate a user's recovery code, after a fresh strong
// authentication (a second factor, not only a password; RC-07): start and
// confirm a new recovery-code enrollment, then delete the old method
// (verify's DELETE /authentication-methods/{id}, store.Methods.Delete). The
// delete is atomic: the old code stops working at once. Deleting first and
// enrolling afterwards also works, but leaves the user without a recovery
// code if the enrollment is abandoned. A sign-in never leaves the user
// without a code: it replaces the one used (RC-09).
//
// # Storage
//
// Pending enrollments have no table. What Start creates travels in the
// auth_session, which the service's Sealer encrypts and authenticates
// (SECURITY-CHECKLIST AS-19, pinned design): for TOTP the secret with its
// parameters, since the app must be able to use it before confirmation;
// for recovery codes only the keyed hash, never the code. The store sees
// a method only when it is confirmed, in one atomic write with the
// consumption of the auth_session: the TOTP key and last used time step
// (store.Method.Secret and Counter), or the recovery code's keyed hash.
// Persistent stores encrypt Secret at rest (TO-12); no engine here logs.
//
// # Security
//
// Replay (RFC 6238 §5.2: a verifier "MUST NOT accept the second attempt of
// the OTP after the successful validation"): the time step that confirmed a
// TOTP enrollment becomes the method's counter, and Authenticate accepts a
// code only for a later step, which the service records with
// store.SignIn, a compare-and-set in the store (store.ErrStale for a step
// not greater than the stored one). So one code
// is accepted once, even by many processes at the same instant, and a code
// older than the last accepted one is refused even inside the skew window
// (TO-03, TO-08). When one code is the code of two candidate steps (one
// chance in 10^Digits per pair), the later step is recorded, so the same
// digits are never accepted twice. The enrollment's own auth_session is single use through
// the service.
//
// Window: a code may be for the current time step or up to Skew steps
// either side (default 1, at most 2; TO-04). Steps before the Unix epoch
// do not exist, so near t = 0 no counter wraps around (TO-10).
//
// Constant time: every candidate step's code is computed and compared with
// subtle.ConstantTimeCompare; the results are combined with masks, with no
// early exit and no branch on a comparison. Recovery-code hashes are
// compared the same way. Input checks
// (length, characters) are made first and may exit early: they depend on
// the input only, never on a secret.
//
// Input: an otp_code is exactly Digits ASCII digits. Nothing is trimmed:
// " 123456", "123 456", "12345a", full-width "１２３４５６" and "" are
// invalid proofs, counted like a wrong code (TO-06). Every failure —
// malformed, wrong or replayed — is the same verify.ErrInvalidProof with
// the same client-facing detail; only Error.Reason, for logs, differs
// (TO-13).
//
// Secrets: TOTP secrets come from crypto/rand, at least 128 bits (RFC 4226
// §4 R6; TO-02). Recovery codes carry 120 bits and are kept only as
// HMAC-SHA256 under RecoveryCodeConfig.HashKey (≥ 32 bytes) of a domain
// label, the method id (a per-method salt) and the normalised code: at 120
// bits a fast keyed hash suffices (NIST SP 800-63B §5.1.2.2 asks for a
// slow salted hash only below 112 bits), and a copy of the store without
// the key gives nothing to test guesses against (RC-01, RC-02). A code is
// compared only with the code of the challenged method of the user who
// presents it (RC-04) and is replaced by a write conditional on the
// method's version, an atomic store operation (RC-03).
// Errors never carry codes, secrets or hashes.
//
// Rate limiting is not done here: the service limits attempts per
// auth_session, and the sign-in service (or a host calling the engines
// itself) must limit failures per user across every path that checks codes
// (TO-07, RC-06).
//
// # E-mail and phone codes
//
// NewEmail and NewPhone take a Sender (Outbox for development,
// otp/smtpsender for SMTP with STARTTLS and AUTH, otp/webhook for a signed
// POST to an SMS or voice gateway) and a verify.Limiter, both required.
// Start validates the destination — NormalizeEmail: an RFC 5322 addr-spec
// as net/mail parses it, at most 254 bytes of printable ASCII, with a host
// name for domain; ParsePhone: E.164, '+' and 8 to 15 digits, visual
// separators dropped ("+1 (201) 555-0123" is "+12015550123"; OT-10), valid
// for its country by libphonenumber's numbering plan
// (github.com/nyaruka/phonenumbers), in canonical form (no trunk 0 after
// the country code), of a number type the channel accepts and of a region
// PhoneConfig.Countries allows (AB-05, AB-06) —
// then charges the send budgets: of the user and, separately, of the
// destination (default 10 an hour each; an e-mail destination is its
// mailbox, lower-cased without a +tag, AB-07), of the client IP across
// accounts (20), and for phones of the number range (the number without
// its last 3 digits, 10), of the country calling code (200) and a ceiling
// (1000), for e-mail of the domain (300), all per hour and kept in the
// Limiter, so cluster-wide with a shared one (SMS pumping and mail
// bombing; AB-03, AB-04, AB-08, AB-14). A refusal is
// verify.ErrRateLimited carrying the bucket (HTTP 429 with the rate-limit
// headers and retry-after) and nothing is sent (OT-06). Then it draws a code of Digits
// digits (6 to 10, default 6) uniformly from crypto/rand (OT-01), sends it
// (ChannelEmail, or ChannelSMS / ChannelVoice from the phone's
// preferred_authentication_method, sms by default), and seals the
// destination, the channel, the code's expiry (TTL, default 5 minutes, at
// most 10; OT-02) and HMAC-SHA256 under HashKey of the code bound to the
// user, method id, channel, destination and expiry (OT-04, OT-07). The
// code itself is kept nowhere.
//
// Confirm checks the code's expiry on the engine clock, reads exactly
// Digits ASCII digits, and compares the keyed hashes with
// subtle.ConstantTimeCompare. The service counts the attempt before, voids
// the auth_session after verify.Config.MaxAttempts (5) failures (OT-05) and
// makes it single use (OT-03). The method carries the sealed address, or
// number and channel: nothing in the verify request can change them (OT-08,
// OT-10). A resend is a new enrollment with its own auth_session and code;
// an earlier code never confirms it, and expires with its own session.
//
// At sign-in, Challenge sends a fresh code to the method's address, or to
// its number by its preferred_authentication_method, through Start's own
// path: the same send limits, shared with enrollment, the same TTL and the
// same keyed hash, bound to the method id. Authenticate checks it as
// Confirm does, and refuses a code sent to another destination than the
// method has now (SI-06). EmailConfig.Forbidden and PhoneConfig.Forbidden
// refuse sign-in as they refuse enrollment.
//
// Assurance: e-mail proves access to a mailbox, not possession of a
// device: it is low assurance (Email.Assurance; NIST SP 800-63B §5.1.3.1
// forbids it as an out-of-band authenticator, ASVS 6.3.6 as an MFA factor),
// and EmailConfig.Forbidden refuses it (OT-09). SMS and voice are
// restricted authenticators (Phone.Assurance; NIST §5.1.3.3): offer a
// stronger one, and use PhoneConfig.Forbidden or PhoneConfig.Channels to
// restrict them (OT-08). Neither engine looks at whether another account
// uses the destination, so the answer is the same either way (OT-11).
package otp
