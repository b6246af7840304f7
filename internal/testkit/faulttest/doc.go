// Package faulttest holds the shared fixtures of verifykit's fault,
// load and secret-leak tests.
//
//   - Store wraps any store.Store (and the optional store.Purger,
//     store.PushDevices and store.Nonces) and fails a chosen operation at
//     its Nth call with a plain error, an error wrapping
//     context.DeadlineExceeded or context.Canceled, or by blocking until
//     the caller's context is done; with Fault.After the call reaches the
//     wrapped store first and only its answer is lost. Store records every
//     call, so a test learns the steps of a flow from a run without faults
//     and then fails each one (Faults).
//   - Kit is a verify.Service with the real engine of all nine method
//     types, served by verify/httpapi over such a Store, with a pinned
//     clock, a capturing logger and outbox, and the client side of every
//     method: a software WebAuthn authenticator (Authenticator), a push
//     device (Device), TOTP codes and wrong proofs.
//   - RunLoad runs many concurrent clients mixing valid, replayed and
//     wrong-code confirms over many TOTP enrollments on a given store and
//     checks single use and the attempt limit.
//
// It is imported by tests only.
//
// # Security
//
// The fixtures exist to show that verifykit fails closed: a store outage
// is an internal error (HTTP 500), never "invalid code" and never a
// confirmed method; nothing is written half-way; the auth_session stays
// usable; concurrent confirms of one session succeed once; and no code,
// secret or token reaches a log line or an error message.
package faulttest
