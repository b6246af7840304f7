package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/verifykit/verifykit/bench/internal/capture"
)

// quantity is what a pair compares.
type quantity int

const (
	nsPerOp   quantity = iota // ns/op of a benchmark or Node script
	reqPerSec                 // requests per second of a load run
	cpuPerReq                 // the server's CPU time per request of a load run
)

// pair is one row of the table: verifykit's side, the side it is compared
// with, and the goal on their ratio.
type pair struct {
	group       string
	what        string // the row's title
	ours, other string // metric names
	oursLabel   string
	otherLabel  string
	// faster: the ratio is other/ours ("× faster", for a slower peer);
	// otherwise ours/other ("× the floor", for a faster reference, or the
	// share of a bare handler's requests per second).
	faster bool
	of     quantity
	goal   string
	// met says whether a ratio meets the goal; nil for a row shown for
	// context, with no goal of its own (-check ignores it).
	met func(ratio float64) bool
}

var pairs = []pair{
	{groupSession, "auth_session seal+unseal vs @hapi/iron seal+unseal (Node), same object",
		"go:BenchmarkSealUnseal", "node:iron", "session.Sealer", "@hapi/iron 7.0.1",
		true, nsPerOp, "Go ≥ 20× faster", func(r float64) bool { return r >= 20 }},
	{groupSession, "the same, with node pinned to one CPU (taskset -c 0), iron's best case",
		"go:BenchmarkSealUnseal", "node:iron-1cpu", "session.Sealer", "@hapi/iron 7.0.1, one CPU",
		true, nsPerOp, "(context: iron's best case; no goal of its own)", nil},
	{groupSession, "auth_session seal+unseal vs the standard-library floor: 4 PBKDF2-SHA1, AES-256-CBC encrypt + decrypt, 2 HMAC-SHA256, called the plain way",
		"go:BenchmarkSealUnseal", "go:BenchmarkPrimitives", "session.Sealer", "bare crypto primitives",
		false, nsPerOp, "≤ 1.3×", func(r float64) bool { return r <= 1.3 }},
	{groupTOTP, "TOTP confirm through verify.Service (memory store) vs pquerna/otp totp.ValidateCustom of a code matching none of 3 steps",
		"go:BenchmarkTOTPConfirmService", "go:BenchmarkValidateCustomBaseline", "verify.Service + otp.TOTP", "pquerna/otp v1.5.0",
		false, nsPerOp, "≤ 3×", func(r float64) bool { return r <= 3 }},
	{groupPasskey, "passkey confirm of a Chromium packed (x5c) ES256 registration vs go-webauthn parse + verify",
		"go:BenchmarkChromiumConfirm", "go:BenchmarkChromiumGoWebAuthn", "passkey.Engine.Confirm", "go-webauthn v0.18.2",
		false, nsPerOp, "≤ 1.3×", func(r float64) bool { return r <= 1.3 }},
	{groupPasskey, "passkey confirm vs its floor: one P-256 ECDSA verification",
		"go:BenchmarkChromiumConfirm", "go:BenchmarkChromiumP256Verify", "passkey.Engine.Confirm", "crypto/ecdsa.VerifyASN1",
		false, nsPerOp, "≤ 2.5×", func(r float64) bool { return r <= 2.5 }},
	{groupPasskey, "passkey confirm vs @simplewebauthn/server verifyRegistrationResponse (Node), same registration",
		"go:BenchmarkChromiumConfirm", "node:simplewebauthn", "passkey.Engine.Confirm", "@simplewebauthn/server 14.0.3",
		true, nsPerOp, "Go ≥ 10× faster", func(r float64) bool { return r >= 10 }},
	{groupSignIn, "passkey sign-in: the check of a Chromium ES256 assertion (step-up) vs go-webauthn's bare login validation (ParseCredentialRequestResponseBytes + Verify)",
		"go:BenchmarkChromiumAuthenticate", "go:BenchmarkChromiumGoWebAuthnLogin", "passkey.Engine.Authenticate", "go-webauthn v0.18.2",
		false, nsPerOp, "≤ 1.3×", func(r float64) bool { return r <= 1.3 }},
	{groupSignIn, "passkey sign-in vs @simplewebauthn/server verifyAuthenticationResponse (Node), same assertion",
		"go:BenchmarkChromiumAuthenticate", "node:simplewebauthn-auth", "passkey.Engine.Authenticate", "@simplewebauthn/server 14.0.3",
		true, nsPerOp, "Go ≥ 10× faster", func(r float64) bool { return r >= 10 }},
	{groupHTTP, "HTTP: TOTP start route, POST /me/v1/authentication-methods {\"type\":\"totp\"}, vs a bare net/http handler",
		"http:start", "http:baseline", "examples/server", "bench/baseline",
		false, reqPerSec, "≥ 0.45", func(r float64) bool { return r >= 0.45 }},
	{groupHTTP, "HTTP: verify route's server CPU per confirm (a correct TOTP confirm per request, 201) vs bench/floor's, the least a correct confirm must do, same pool",
		"http:verify", "http:floor", "examples/server", "bench/floor",
		false, cpuPerReq, "≤ 1.5×", func(r float64) bool { return r <= 1.5 }},
	{groupHTTP, "HTTP: verify route, a correct TOTP confirm per request (201), vs a bare net/http handler",
		"http:verify", "http:baseline-pool", "examples/server", "bench/baseline",
		false, reqPerSec, "(context; the goal ≥ 0.5 is retired)", nil},
	{groupHTTP, "HTTP: the verify route's floor (bench/floor: unseal, TOTP check, attempt count, single use, save, audit line), same pool, vs a bare net/http handler",
		"http:floor", "http:baseline-pool", "bench/floor", "bench/baseline",
		false, reqPerSec, "(context: the best ratio any implementation can reach here)", nil},
	{groupHTTP, "HTTP: the same floor without its audit line (bench/floor -audit=false), vs a bare net/http handler",
		"http:floor-silent", "http:baseline-pool", "bench/floor -audit=false", "bench/baseline",
		false, reqPerSec, "(context: the floor if confirms were not logged)", nil},
}

// httpLabels name the HTTP measurements in the report.
var httpLabels = map[string]string{
	"http:start":         "examples/server, start",
	"http:baseline":      "bench/baseline, start's request",
	"http:verify":        "examples/server, verify",
	"http:baseline-pool": "bench/baseline, the confirms' requests",
	"http:floor":         "bench/floor, the confirms",
	"http:floor-silent":  "bench/floor -audit=false, the confirms",
}

// nodeLabels name the Node measurements in the report.
var nodeLabels = map[string]string{
	"node:iron":                "@hapi/iron",
	"node:iron-1cpu":           "@hapi/iron on one CPU",
	"node:simplewebauthn":      "@simplewebauthn/server, registration",
	"node:simplewebauthn-auth": "@simplewebauthn/server, sign-in",
}

// row is a measured pair.
type row struct {
	pair
	ours, other *metric
	ratio       float64 // median of the per-round ratios
	lo, hi      float64 // their range
	met         bool    // the goal is met, or the row has none
	err         error
}

func (r *runner) table(groups map[string]bool) []row {
	var rows []row
	for _, p := range pairs {
		if !groups[p.group] {
			continue
		}
		w := row{pair: p, ours: r.metric(p.ours), other: r.metric(p.other)}
		switch {
		case w.ours.err != nil:
			w.err = w.ours.err
		case w.other.err != nil:
			w.err = w.other.err
		}
		if w.err == nil {
			a, b := w.ours.ns, w.other.ns
			switch p.of {
			case reqPerSec:
				a, b = w.ours.rps, w.other.rps
			case cpuPerReq:
				a, b = w.ours.cpu, w.other.cpu
			}
			var ratios []float64
			for i := range min(len(a), len(b)) {
				x, y := a[i], b[i]
				if p.faster {
					x, y = y, x
				}
				ratios = append(ratios, x/y)
			}
			if len(ratios) == 0 {
				w.err = errNotMeasured
			} else {
				w.ratio = median(ratios)
				w.lo, w.hi = slicesMin(ratios), slicesMax(ratios)
				w.met = p.met == nil || p.met(w.ratio)
			}
		}
		rows = append(rows, w)
	}
	return rows
}

func slicesMin(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

func slicesMax(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}

// machine describes where the run happened.
type machine struct {
	date, cpu, kernel, goVersion, node, wrk, chromium string
	cpus                                              int
	loadBefore, loadAfter                             string
}

func machineInfo(ctx context.Context, root string) machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), cpus: runtime.NumCPU(), loadBefore: loadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	first := func(name string, args ...string) string {
		b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil && len(b) == 0 {
			return "not found"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		return line
	}
	m.goVersion = first("go", "version")
	m.node = first("node", "--version")
	m.wrk, _, _ = strings.Cut(first("wrk", "--version"), " Copyright")
	if r, err := capture.Load(filepath.Join(root, capture.File)); err == nil {
		m.chromium = r.Browser
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// writeReport prints the table and the machine, in Markdown.
func writeReport(w io.Writer, m machine, rows []row, o options) {
	fmt.Fprintf(w, "| pair | verifykit | compared with | ratio (median, range over %d rounds) | goal |\n", o.rounds)
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | %s | %s | **not measured** | %s |\n", r.what, r.oursLabel, r.otherLabel, r.goal)
			continue
		}
		verdict := "met"
		switch {
		case r.pair.met == nil:
			verdict = "—"
		case !r.met:
			verdict = "**missed**"
		}
		fmt.Fprintf(w, "| %s | %s: %s | %s: %s | %s | %s: %s |\n", r.what,
			r.oursLabel, r.side(r.ours), r.otherLabel, r.side(r.other), r.ratioText(), r.goal, verdict)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Machine: %s, %d CPUs (nproc), %s; %s; node %s; %s", m.cpu, m.cpus, m.kernel, m.goVersion, m.node, m.wrk)
	if m.chromium != "" {
		fmt.Fprintf(w, "; registration made by %s", m.chromium)
	}
	fmt.Fprintf(w, ". Run %s, load average %s before, %s after.\n", m.date, m.loadBefore, m.loadAfter)
	fmt.Fprintf(w, "Command: bench/run -rounds %d -benchtime %s -node-warmup %s -node-time %s -duration %s -connections %d\n",
		o.rounds, o.benchtime, o.nodeWarmup, o.nodeRun, o.duration, o.connections)
	var nodeCPU []string
	for _, name := range []string{"node:iron", "node:iron-1cpu", "node:simplewebauthn", "node:simplewebauthn-auth"} {
		for _, r := range rows {
			if r.err == nil && r.other.name == name && !slices.Contains(nodeCPU, nodeLabels[name]) {
				nodeCPU = append(nodeCPU, fmt.Sprintf("%s %s ns", nodeLabels[name], thousands(median(r.other.cpu))))
				break
			}
		}
	}
	if len(nodeCPU) > 0 {
		fmt.Fprintf(w, "Node CPU time (user + system, all threads) per op, median: %s.\n", strings.Join(nodeCPU, "; "))
	}
	var cpu []string
	for _, r := range rows {
		if r.of != nsPerOp && r.err == nil {
			for _, m := range []*metric{r.ours, r.other} {
				if c := fmt.Sprintf("%s %.1f µs", httpLabels[m.name], median(m.cpu)/1000); !slices.Contains(cpu, c) {
					cpu = append(cpu, c)
				}
			}
		}
	}
	if len(cpu) > 0 {
		fmt.Fprintf(w, "Server CPU time (user + system) per request, median: %s.\n", strings.Join(cpu, "; "))
	}
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(w, "\nNot measured: %s:\n%s\n", r.what, r.err)
		}
	}
}

// side formats a metric's medians.
func (r row) side(m *metric) string {
	switch r.of {
	case reqPerSec:
		return fmt.Sprintf("%s req/s", thousands(median(m.rps)))
	case cpuPerReq:
		return fmt.Sprintf("%.1f µs CPU per request", median(m.cpu)/1000)
	}
	s := thousands(median(m.ns)) + " ns/op"
	if a := median(m.allocs); m.allocs != nil && !math.IsNaN(a) {
		return s + fmt.Sprintf(", %s allocs/op", thousands(a))
	}
	return s + ", allocs/op n/a"
}

func (r row) ratioText() string {
	f := func(x float64) string {
		if x >= 10 {
			return fmt.Sprintf("%.0f", x)
		}
		return fmt.Sprintf("%.2f", x)
	}
	suffix := "×"
	switch {
	case r.faster:
		suffix = "× faster"
	case r.of == reqPerSec:
		suffix = ""
	}
	return fmt.Sprintf("%s%s (%s–%s)", f(r.ratio), suffix, f(r.lo), f(r.hi))
}

// thousands formats x rounded, with thin thousands separators.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
