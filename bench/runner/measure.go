package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/verifykit/verifykit/bench/internal/capture"
)

// metric is one measured quantity, one value per round: ns/op and
// allocs/op of a benchmark, or requests per second of a load run.
type metric struct {
	name            string
	ns, allocs, rps []float64 // per round; allocs nil for Node
	cpu             []float64 // Node: CPU time per op; HTTP: the server's per request; ns
	err             error     // the first failure: the metric is not measured
}

func (m *metric) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// runner holds the compiled binaries and the results so far.
type runner struct {
	opts    options
	root    string
	tmp     string
	log     io.Writer
	results map[string]*metric

	bins    map[string]string // package → compiled test binary or command
	prepErr map[string]error  // package → why it cannot run
	node    string            // node binary
	taskset string            // taskset binary
	wrk     string            // wrk binary
}

func (r *runner) metric(name string) *metric {
	m, ok := r.results[name]
	if !ok {
		m = &metric{name: name}
		r.results[name] = m
	}
	return m
}

// goSet is the Go benchmarks a group runs from one package directory.
type goSet struct {
	pkg   string
	names []string
	needs []string // preparation keys beside the package's test binary
}

// groupBenchmarks are the Go benchmarks of each group.
var groupBenchmarks = map[string][]goSet{
	groupSession: {{pkg: "session", names: []string{"BenchmarkSealUnseal", "BenchmarkPrimitives"}}},
	groupTOTP:    {{pkg: "otp", names: []string{"BenchmarkTOTPConfirmService", "BenchmarkValidateCustomBaseline"}}},
	groupPasskey: {{pkg: "bench", names: []string{"BenchmarkChromiumConfirm", "BenchmarkChromiumGoWebAuthn", "BenchmarkChromiumP256Verify"},
		needs: []string{"capture"}}},
	groupSignIn: {{pkg: "bench", names: []string{"BenchmarkChromiumAuthenticate", "BenchmarkChromiumGoWebAuthnLogin"},
		needs: []string{"capture", "assertion"}}},
}

// prepare compiles what the selected groups run and finds their peers.
// What fails is recorded and makes the metrics that need it fail.
func (r *runner) prepare(ctx context.Context, groups map[string]bool) {
	r.bins, r.prepErr = map[string]string{}, map[string]error{}
	build := func(key string, args ...string) {
		out := filepath.Join(r.tmp, strings.ReplaceAll(key, "/", "_"))
		cmd := exec.CommandContext(ctx, "go", append(args[:1:1], append([]string{"-o", out}, args[1:]...)...)...)
		cmd.Dir = r.root
		if b, err := cmd.CombinedOutput(); err != nil {
			r.prepErr[key] = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, tail(b))
			return
		}
		r.bins[key] = out
	}
	for _, g := range allGroups {
		if !groups[g] {
			continue
		}
		for _, set := range groupBenchmarks[g] {
			if _, done := r.bins[set.pkg]; done || r.prepErr[set.pkg] != nil {
				continue
			}
			fmt.Fprintf(r.log, "compiling the benchmarks of ./%s\n", set.pkg)
			build(set.pkg, "test", "-c", "./"+set.pkg)
		}
	}
	if groups[groupPasskey] || groups[groupSignIn] {
		for key, file := range map[string]string{"capture": capture.File, "assertion": capture.AssertionFile} {
			if _, err := os.Stat(filepath.Join(r.root, file)); err != nil {
				r.prepErr[key] = fmt.Errorf("no Chromium capture %s (record one with: go run ./bench/capture): %w", file, err)
			}
		}
	}
	if groups[groupSession] || groups[groupPasskey] || groups[groupSignIn] {
		var err error
		if r.node, err = exec.LookPath("node"); err != nil {
			r.prepErr["node"] = fmt.Errorf("node is not installed: %w", err)
		}
		if r.taskset, err = exec.LookPath("taskset"); err != nil {
			r.prepErr["taskset"] = fmt.Errorf("taskset (util-linux) is not installed: %w", err)
		}
		for _, p := range []string{"@hapi/iron", "@simplewebauthn/server"} {
			if _, err := os.Stat(filepath.Join(r.root, "interop/node_modules", p, "package.json")); err != nil {
				r.prepErr["node:"+p] = fmt.Errorf("%s is not installed (run npm ci in interop/): %w", p, err)
			}
		}
	}
	if groups[groupHTTP] {
		var err error
		if r.wrk, err = exec.LookPath("wrk"); err != nil {
			r.prepErr["wrk"] = fmt.Errorf("wrk is not installed (apt-get install wrk): %w", err)
		}
		fmt.Fprintln(r.log, "building examples/server and bench/baseline")
		build("server", "build", "./examples/server")
		build("baseline", "build", "./bench/baseline")
		build("floor", "build", "./bench/floor")
	}
}

// need returns the first preparation failure among keys.
func (r *runner) need(keys ...string) error {
	for _, k := range keys {
		if err := r.prepErr[k]; err != nil {
			return err
		}
	}
	return nil
}

// round runs every selected measurement once.
func (r *runner) round(ctx context.Context, groups map[string]bool) {
	for _, g := range allGroups {
		if !groups[g] {
			continue
		}
		for _, set := range groupBenchmarks[g] {
			r.goBench(ctx, set)
		}
		switch g {
		case groupSession:
			r.nodeBench(ctx, "node:iron", "bench/node/iron.js", false, "@hapi/iron")
			r.nodeBench(ctx, "node:iron-1cpu", "bench/node/iron.js", true, "@hapi/iron")
		case groupPasskey:
			r.nodeBench(ctx, "node:simplewebauthn", "bench/node/simplewebauthn.js", false, "@simplewebauthn/server", "capture")
		case groupSignIn:
			r.nodeBench(ctx, "node:simplewebauthn-auth", "bench/node/simplewebauthn-auth.js", false, "@simplewebauthn/server", "assertion")
		case groupHTTP:
			r.httpRound(ctx)
		}
	}
}

// goBench runs the benchmarks of set once and records them as "go:NAME".
func (r *runner) goBench(ctx context.Context, set goSet) {
	pkg, names := set.pkg, set.names
	if err := r.need(append([]string{pkg}, set.needs...)...); err != nil {
		for _, n := range names {
			r.metric("go:" + n).fail(err)
		}
		return
	}
	fmt.Fprintf(r.log, "  go test -bench ./%s\n", pkg)
	cmd := exec.CommandContext(ctx, r.bins[pkg], "-test.run", "^$", "-test.bench", "^("+strings.Join(names, "|")+")$",
		"-test.benchmem", "-test.benchtime", r.opts.benchtime, "-test.count", "1")
	cmd.Dir = filepath.Join(r.root, pkg)
	out, err := cmd.CombinedOutput()
	results := parseGoBench(out)
	for _, n := range names {
		m := r.metric("go:" + n)
		res, ok := results[n]
		switch {
		case !ok && err != nil:
			m.fail(fmt.Errorf("./%s %s: %v\n%s", pkg, n, err, tail(out)))
		case !ok:
			m.fail(fmt.Errorf("./%s: no result for %s\n%s", pkg, n, tail(out)))
		default:
			m.ns = append(m.ns, res.ns)
			m.allocs = append(m.allocs, res.allocs)
		}
	}
}

type goResult struct{ ns, allocs float64 }

var benchLine = regexp.MustCompile(`^(Benchmark\w+)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(?:\s+[0-9.]+ B/op\s+([0-9.]+) allocs/op)?`)

// parseGoBench reads go test -bench -benchmem output.
func parseGoBench(out []byte) map[string]goResult {
	res := map[string]goResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		allocs := math.NaN()
		if m[3] != "" {
			allocs, _ = strconv.ParseFloat(m[3], 64)
		}
		res[m[1]] = goResult{ns: ns, allocs: allocs}
	}
	return res
}

// nodeBench runs one Node script once and records its ns/op and CPU
// time per op as name. With oneCPU it runs node under taskset -c 0, so
// that libuv's thread pool and the main thread share one CPU.
func (r *runner) nodeBench(ctx context.Context, name, script string, oneCPU bool, pkgs ...string) {
	m := r.metric(name)
	keys := []string{"node"}
	if oneCPU {
		keys = append(keys, "taskset")
	}
	for _, p := range pkgs {
		if strings.HasPrefix(p, "@") {
			keys = append(keys, "node:"+p)
		} else {
			keys = append(keys, p)
		}
	}
	if err := r.need(keys...); err != nil {
		m.fail(err)
		return
	}
	args := []string{script,
		"--warmup-ms", strconv.FormatInt(r.opts.nodeWarmup.Milliseconds(), 10),
		"--min-ms", strconv.FormatInt(r.opts.nodeRun.Milliseconds(), 10), "--runs", "1"}
	bin := r.node
	if oneCPU {
		bin, args = r.taskset, append([]string{"-c", "0", r.node}, args...)
	}
	fmt.Fprintf(r.log, "  %s %s\n", filepath.Base(bin), strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		m.fail(fmt.Errorf("node %s: %v\n%s", script, err, tail(stderr.Bytes())))
		return
	}
	ns, cpu, err := parseNode(out)
	if err != nil {
		m.fail(fmt.Errorf("node %s: %w", script, err))
		return
	}
	m.ns = append(m.ns, ns)
	m.cpu = append(m.cpu, cpu)
}

// parseNode reads the JSON line of a bench/node script: ns/op and CPU
// time per op.
func parseNode(out []byte) (ns, cpu float64, err error) {
	var res struct {
		NS  *float64 `json:"ns_per_op"`
		CPU *float64 `json:"cpu_ns_per_op"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		return 0, 0, fmt.Errorf("output %q: %w", tail(out), err)
	}
	for _, v := range []*float64{res.NS, res.CPU} {
		if v == nil || *v <= 0 || math.IsInf(*v, 0) {
			return 0, 0, fmt.Errorf("output %q has no ns_per_op and cpu_ns_per_op", tail(out))
		}
	}
	return *res.NS, *res.CPU, nil
}

// wrkResult is what bench/run reads from wrk's summary.
type wrkResult struct {
	requests     int
	rps          float64
	non2xx       int
	socketErrors int
	poolUsed     int // verify.lua: entries used, and requests past the pool
	poolOver     int
	serverCPU    time.Duration // user + system time of the server during the run
}

var (
	wrkRPS     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket  = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkPoolUse = regexp.MustCompile(`(?m)^pool: size (\d+) used (\d+) over (\d+)`)
)

// parseWrk reads wrk's summary.
func parseWrk(out []byte) (wrkResult, error) {
	var w wrkResult
	m := wrkRPS.FindSubmatch(out)
	t := wrkTotal.FindSubmatch(out)
	if m == nil || t == nil {
		return w, fmt.Errorf("no Requests/sec in wrk's output:\n%s", tail(out))
	}
	w.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	w.requests, _ = strconv.Atoi(string(t[1]))
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		w.non2xx, _ = strconv.Atoi(string(m[1]))
	}
	if m := wrkSocket.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			w.socketErrors += n
		}
	}
	if m := wrkPoolUse.FindSubmatch(out); m != nil {
		w.poolUsed, _ = strconv.Atoi(string(m[2]))
		w.poolOver, _ = strconv.Atoi(string(m[3]))
	}
	return w, nil
}

// runWrk loads url for d with script and its arguments, and refuses a run
// with socket errors or non-2xx answers.
func (r *runner) runWrk(ctx context.Context, d time.Duration, url, script string, args ...string) (wrkResult, error) {
	a := []string{"-t1", "-c" + strconv.Itoa(r.opts.connections), "-d" + strconv.Itoa(int(d.Seconds())) + "s",
		"--timeout", "10s", "-s", filepath.Join(r.root, "bench/wrk", script), url, "--"}
	cmd := exec.CommandContext(ctx, r.wrk, append(a, args...)...)
	cmd.Dir = r.tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v\n%s", err, tail(out))
	}
	w, err := parseWrk(out)
	if err != nil {
		return w, err
	}
	switch {
	case w.requests == 0:
		return w, fmt.Errorf("wrk made no requests:\n%s", tail(out))
	case w.socketErrors > 0:
		return w, fmt.Errorf("wrk: %d socket errors:\n%s", w.socketErrors, tail(out))
	case w.poolOver > 0:
		return w, fmt.Errorf("%w (%d used, %d over)", errPoolExhausted, w.poolUsed, w.poolOver)
	case w.non2xx > 0:
		return w, fmt.Errorf("wrk: %d of %d answers were not 2xx:\n%s", w.non2xx, w.requests, tail(out))
	}
	return w, nil
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// tail returns the last lines of b, for error messages.
func tail(b []byte) string {
	const max = 1500
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}

var (
	errNotMeasured   = errors.New("not measured")
	errPoolExhausted = errors.New("wrk ran past the pool of confirms")
)
