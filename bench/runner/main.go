// Command runner is bench/run: it measures every pair of the performance
// table of bench/README.md in one run on one machine and prints the table
// (Markdown), with the machine it ran on.
//
//	bench/run [-rounds 5] [-benchtime 1s] [-duration 5s] [-only session,totp,passkey,signin,http] [-check]
//
// The measurements are interleaved: each round runs every measurement once
// — the Go benchmarks (go test -bench, compiled once), the Node peers of
// bench/node, and wrk against examples/server and bench/baseline, each
// server started afresh — and a pair's ratio is the median over the rounds
// of its two sides' ratio within one round, so that both sides of a ratio
// ran minutes apart at most, under the same load. The table also shows
// each side's median and the range of the per-round ratios.
//
// It exits 1 when it cannot measure a pair (a missing peer — node,
// interop/node_modules, wrk, the Chromium capture —, a failed benchmark, a
// server that does not start, a load run with errors or non-2xx answers),
// after printing what it could measure; with -check it exits 3 when every
// pair was measured but a goal is missed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	rounds      int
	benchtime   string
	nodeWarmup  time.Duration
	nodeRun     time.Duration
	duration    time.Duration
	connections int
	check       bool
	only        string
}

func main() {
	var o options
	fs := flag.NewFlagSet("bench/run", flag.ContinueOnError)
	fs.IntVar(&o.rounds, "rounds", 5, "rounds; each runs every measurement once")
	fs.StringVar(&o.benchtime, "benchtime", "1s", "go test -benchtime of each Go benchmark per round")
	fs.DurationVar(&o.nodeWarmup, "node-warmup", time.Second, "warm-up of each Node measurement per round")
	fs.DurationVar(&o.nodeRun, "node-time", 2*time.Second, "timed run of each Node measurement per round")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "wrk -d of each HTTP measurement per round")
	fs.IntVar(&o.connections, "connections", 32, "wrk -c (one thread)")
	fs.BoolVar(&o.check, "check", false, "exit 3 when a goal is missed")
	fs.StringVar(&o.only, "only", "", "comma-separated groups to measure: session, totp, passkey, signin, http (default all)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if o.rounds < 1 || o.rounds > 100 || o.duration < time.Second || o.connections < 1 || o.nodeRun < 100*time.Millisecond {
		fmt.Fprintln(os.Stderr, "bench/run: -rounds in [1, 100], -duration ≥ 1s, -connections ≥ 1, -node-time ≥ 100ms")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/run:", err)
	}
	os.Exit(code)
}

// run measures, prints the table on stdout and progress on stderr, and
// returns the exit code.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (int, error) {
	root, err := moduleRoot()
	if err != nil {
		return 1, err
	}
	groups, err := selectGroups(o.only)
	if err != nil {
		return 2, err
	}
	tmp, err := os.MkdirTemp("", "verifykit-bench-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)

	r := &runner{opts: o, root: root, tmp: tmp, log: stderr, results: map[string]*metric{}}
	m := machineInfo(ctx, root)
	r.prepare(ctx, groups)
	for i := 1; i <= o.rounds && ctx.Err() == nil; i++ {
		fmt.Fprintf(stderr, "round %d/%d\n", i, o.rounds)
		r.round(ctx, groups)
	}
	if err := ctx.Err(); err != nil {
		return 1, err
	}
	m.loadAfter = loadAvg()
	rows := r.table(groups)
	writeReport(stdout, m, rows, o)
	missing, missed := 0, 0
	for _, row := range rows {
		switch {
		case row.err != nil:
			missing++
		case !row.met:
			missed++
		}
	}
	switch {
	case missing > 0:
		return 1, fmt.Errorf("%d of %d pairs could not be measured", missing, len(rows))
	case missed > 0 && o.check:
		return 3, fmt.Errorf("%d of %d goals missed", missed, len(rows))
	}
	return 0, nil
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/verifykit/verifykit\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the verifykit module")
		}
		dir = parent
	}
}

// The groups of pairs, which -only selects.
const (
	groupSession = "session"
	groupTOTP    = "totp"
	groupPasskey = "passkey"
	groupSignIn  = "signin"
	groupHTTP    = "http"
)

var allGroups = []string{groupSession, groupTOTP, groupPasskey, groupSignIn, groupHTTP}

func selectGroups(only string) (map[string]bool, error) {
	sel := map[string]bool{}
	if only == "" {
		for _, g := range allGroups {
			sel[g] = true
		}
		return sel, nil
	}
	for _, g := range strings.Split(only, ",") {
		g = strings.TrimSpace(g)
		known := false
		for _, a := range allGroups {
			known = known || a == g
		}
		if !known {
			return nil, fmt.Errorf("-only: unknown group %q (want %s)", g, strings.Join(allGroups, ", "))
		}
		sel[g] = true
	}
	return sel, nil
}
