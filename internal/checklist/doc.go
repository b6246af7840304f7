// Package checklist holds the tests that keep SECURITY.md honest: every ID
// of the project's security checklist (testdata/ids.txt) is mapped exactly
// once, every test SECURITY.md names exists in the package it names, and
// the CI scripts run the gates the checklist asks for (FZ-06). It has no
// code of its own.
package checklist
