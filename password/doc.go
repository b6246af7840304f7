// Package password implements the password authentication method of the
// My Account API: a verify.Engine whose Start returns the password policy
// (spec: PasswordCreationResponse, id "password|new") and whose Confirm
// checks new_password against that policy, a breach corpus and the
// user's password history, then hashes it; plus the hashing, comparison
// and rehash functions a sign-in path needs.
//
// # Flow
//
// Start resolves the identity (identity_user_id, by default the subject's
// own id; another identity only if verify.Config.AllowIdentity allows it) and the
// connection, and returns the Policy, sealed into the auth_session too.
// Confirm enforces, in order: the spec's schema for new_password (1 to 256
// code points as typed — after NFC —, no control characters, at least one
// visible character: a 400 naming new_password);
// NFKC normalisation; the local rules of the sealed and of the current
// policy, all reported at once (a 400 with one validation error per
// broken rule, never echoing the password); the breach check; the
// history; then hashing. The confirmed method is
// "password|" + base64url(identity_user_id), usage primary, with
// last_password_reset set. Its store.Method.Secret holds a versioned
// JSON document of the current hash and the previous ones.
//
// Policy violations are verify.ErrInvalidRequest errors whose cause is a
// *PolicyError listing every broken Rule; errors.As finds it:
//
//	var pe *password.PolicyError
//	if errors.As(err, &pe) && pe.Broke(password.RuleDictionary) { … }
//
// # Sign-in
//
// The Engine signs in too (verify.Engine's Challenge and Authenticate). Challenge has nothing to
// send. Authenticate compares the password with the stored hash, in any
// format Hasher.Compare reads, and when Hasher.NeedsRehash finds the hash
// outdated returns a new one (the history unchanged) for the service to
// write conditional on the record's version (PW-11). For a method that
// does not exist, which the service passes as the zero store.Method, it
// compares with a dummy hash at the hasher's parameters and answers as for
// a wrong password: the same work and the same error (SI-08).
//
// # Security
//
//   - Length is counted in Unicode code points as typed, after NFC and
//     never after NFKC, so U+FDFA (18 code points after NFKC) is one
//     character (NIST SP 800-63B-4 §3.1.1.2, checklist PW-01, AB-09). A
//     password of only white space, zero-width, format or filler
//     characters (15 × U+200B, 15 × U+3164) is refused (AB-10). The default policy asks for 15, the NIST
//     minimum for a password used as a single factor; 8 suffices when it is
//     only ever a second factor. Any printable character, space and Unicode
//     are accepted; composition rules are off by default (PW-05) and
//     available for parity with Auth0 tenants (Preset).
//   - Normalisation is NFKC, pinned: Hasher.Hash and Hasher.Compare
//     both apply it, so set and sign-in agree (PW-08).
//   - Nothing truncates a password (PW-03). "truncate" is refused as a
//     max_length_exceeded value. With bcrypt, a password over 72 bytes is
//     a policy violation stated in bytes (PW-04), and a longer password
//     never matches a bcrypt hash.
//   - The dictionary rule refuses the embedded list's entries and the
//     custom words, case-insensitively, whole or as the base word (of 4
//     or more characters) left once leading and trailing non-letters are
//     removed, so
//     "Password1234567" is refused as "password" (PW-06, ASVS 6.2.4, 6.2.11).
//   - The profile-data rule refuses passwords containing any run of 3 or
//     more letters or digits of the blocked fields' values (the email's
//     local part for "email"), case-insensitively.
//   - The breach check runs only for passwords that pass the local rules.
//     A lookup that times out or is interrupted is a failure, never "not
//     breached" (PW-07): by default the confirm fails closed with an
//     internal error; Config.BreachFailOpen accepts and logs instead.
//     RangeClient sends only a 5-hex-character SHA-1 prefix and asks for
//     padding; FileChecker reads a local copy of the corpus.
//   - History compares with the stored hashes, one hash computation each;
//     the store's optimistic version (verify.Confirmation.Replace) makes
//     two concurrent changes end in one success and one conflict, so no
//     history is lost.
//   - argon2id at m=19 MiB, t=2, p=1 by default (OWASP); ASVS 5.0
//     Appendix C suggests m=46 MiB, t=1: set HashConfig.Argon2 for it
//     (PW-11). bcrypt needs cost ≥ 10 (PW-12). Parameters read from stored
//     hashes are bounded by Limits before anything is computed, and a
//     Hasher runs at most MaxConcurrent computations at once (PW-13).
//   - There are no hints, security questions or expiry (PW-14, PW-15):
//     the policy has no such fields and ParsePolicy refuses unknown ones.
//     Nothing in this package looks at typing speed or refuses pasting
//     (PW-17).
//   - The auth_session seals the identity (in the method id) and the
//     policy, never the password; errors and log entries carry no
//     password and no hash.
//
// # Auth0 parity
//
// On printable ASCII the complexity rules (min_length, character_types
// with all or three_of_four, identical_characters, sequential_characters,
// and with bcrypt the 72-byte bound of max_length_exceeded "error") give
// Auth0's verdicts rule for rule: TestAuth0ComplexityDifferential compares
// them with auth0-password-policies 3.1.0 on password-sheriff 2.0.0
// (AB-12). Sequences are case-sensitive, as password-sheriff compares
// character codes: "abc" and "CBA" are sequences, "aBc" is not. Beyond
// ASCII the rules differ on purpose:
//
//   - Length: password-sheriff counts UTF-16 code units (an emoji is 2,
//     a decomposed "é" 2); this package counts code points after NFC (1
//     and 1), never after NFKC (AB-09).
//   - Character types: password-sheriff knows only A-Z, a-z, 0-9 and
//     ASCII punctuation and space; this package reads Unicode categories
//     after NFKC, so "É" is upper case, "٣" a number and "€" special.
//   - Identical and sequential runs are judged after NFKC: fullwidth
//     "ａａａ" and "ａｂｃ" are runs here, not for password-sheriff.
//   - The 72-byte bound applies only with bcrypt, whose input it is;
//     with argon2id passwords up to 256 characters are accepted (PW-02).
//   - A password with no visible character (spaces, U+200B, U+3164) is
//     refused here (AB-10) and accepted by password-sheriff when long
//     enough.
//
// # Storage
//
// The engine reads the current method through store.Methods (history and
// version) and never writes it: verify.Service commits the Confirmation
// atomically with the session's consumption, replacing the previous
// method only if its version is unchanged. No store extension is needed.
//
// # Hashes
//
// Hasher.Compare verifies bcrypt ($2a$, $2b$, $2y$),
// argon2id and argon2i PHC strings (v=19), PBKDF2-SHA256/SHA512 (PHC, as
// written by @phc/pbkdf2 and passlib, and Django's pbkdf2_sha256) and
// scrypt (passlib's $scrypt$ and Django's scrypt$), so that imported
// hashes keep working and are upgraded by Hasher.NeedsRehash and
// Engine.Authenticate at the next sign-in.
package password
