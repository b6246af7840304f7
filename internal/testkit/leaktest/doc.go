// Package leaktest holds verifykit's end-to-end secret-leak test: a full
// run of every method type through verify/httpapi — successes, wrong
// proofs, tampered and foreign auth_sessions, replays, exhausted attempts,
// expired sessions, store outages, push device enrollment — with every
// log record (slog at Debug, including slog.Default) and every error
// string captured, and checked to contain no code, secret, password,
// recovery code, WebAuthn challenge, auth_session, push ticket, access
// token or key (SECURITY-CHECKLIST GN-07). TestNoSecretLeaksAtSignIn does
// the same for the step-up sign-in with the engines that sign in (SI-11).
//
// The package has no API; its test is the point.
package leaktest
