// Package fuzzseed derives seed corpus entries for the repository's fuzz
// targets from the known-answer files in testdata/ directories and from
// the spec's request examples, and keeps them in sync: its test fails
// when a committed entry (pkg/testdata/fuzz/FuzzX/testdata-*) differs from
// what the sources give, and `go test ./internal/fuzzseed -update`
// rewrites them.
//
// Go runs every entry of testdata/fuzz/FuzzX/ as a seed, both in plain
// `go test` and before fuzzing, so these known answers (RFC 4226 and
// RFC 6238 codes, the spec's request bodies, real WebAuthn registrations,
// @hapi/iron seals, passwords hashed by other tools, the spec's password
// policy) are where each target starts. The seeds the targets add with
// f.Add in their own files stay as they are.
//
// The package has no API; its test is the point.
package fuzzseed
