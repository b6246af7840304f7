// Package bench holds verifykit's performance comparisons: the benchmarks
// of the passkey engine on a registration and a sign-in assertion made by
// Chromium (passkey_bench_test.go, signin_bench_test.go) and, around them, the bench/run script that measures every pair of the
// "Performance" section of bench/README.md in one run — Go benchmarks of
// this and the measured packages, the Node peers of bench/node, and HTTP
// load with wrk against examples/server and the bare server of
// bench/baseline.
package bench
