package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/verify"
)

// The HTTP measurements, each on a freshly started server, with wrk (one
// thread, -connections connections, keep-alive):
//
//   - http:start: examples/server -rate-limit 0, POST
//     /me/v1/authentication-methods {"type":"totp"} (bench/wrk/post.lua);
//   - http:baseline: the same requests to bench/baseline;
//   - http:verify: examples/server -rate-limit 0, POST
//     /me/v1/authentication-methods/{id}/verify, each request the correct
//     confirm of its own TOTP enrollment, started beforehand over HTTP
//     (the pool; bench/wrk/verify.lua): unseal, bind, count the attempt,
//     check the code, commit the method and answer 201, as a user's
//     confirm does. (A wrong code would skip the commit and answer 400; a
//     reused session would stop at the store: neither is the route's
//     work.)
//   - http:floor: the same pool, once, to bench/floor, the least a
//     correct confirm must do (unseal, check the code, count the attempt,
//     consume the session, save the method, one audit line), written as
//     cheaply as possible, with the server's sealing password: the ratio
//     no implementation of the route can beat on the machine;
//   - http:floor-silent: the same without the audit line (bench/floor
//     -audit=false), what the line costs the floor;
//   - http:baseline-pool: the same pool of requests to bench/baseline, so
//     that both sides pay the same per-request cost in wrk's Lua.
const (
	startPath = "/me/v1/authentication-methods"
	startBody = `{"type":"totp"}`
	warmup    = time.Second
	// The pool holds enough confirms for the verify run at the start
	// route's rate of the same round, times poolMargin.
	poolMargin = 1.5
	minPool    = 20000
	maxPool    = 400000
)

func (r *runner) httpRound(ctx context.Context) {
	names := []string{"http:baseline", "http:start", "http:baseline-pool", "http:verify", "http:floor", "http:floor-silent"}
	if err := r.need("wrk", "server", "baseline", "floor"); err != nil {
		for _, n := range names {
			r.metric(n).fail(err)
		}
		return
	}
	token, password := randomToken(), randomToken()
	baseline := func() (*process, error) {
		return startProcess(ctx, r.tmp, r.bins["baseline"], "listening on http://", "-addr", "127.0.0.1:0")
	}
	server := func() (*process, error) {
		return startProcess(ctx, r.tmp, r.bins["server"], "verifykit demo server listening on http://",
			"-addr", "127.0.0.1:0", "-token", token, "-rate-limit", "0", "-demo-users",
			"-session-password", password, "-hash-key", randomToken())
	}
	post := func(p *process) (wrkResult, error) {
		if _, err := r.runWrk(ctx, warmup, p.url, "post.lua", startPath, startBody, token); err != nil {
			return wrkResult{}, err
		}
		return r.measured(ctx, p, "post.lua", startPath, startBody, token)
	}
	r.httpMeasure(ctx, "http:baseline", baseline, post)
	r.httpMeasure(ctx, "http:start", server, post)

	// The verify pair: a pool of correct confirms, sent once to a server
	// that started them, then, as they are, to the baseline. The pool is
	// sized from the rates measured so far; a run that exhausts it is run
	// again, once, with a pool twice as large.
	pool := filepath.Join(r.tmp, "pool.tsv")
	defer os.Remove(pool)
	rate := 4000.0
	for _, name := range []string{"http:start", "http:verify", "http:floor"} {
		if m := r.metric(name); len(m.rps) > 0 {
			rate = max(rate, m.rps[len(m.rps)-1])
		}
	}
	// bench/floor, which uses the pool last, answers faster than the
	// server: until a round has measured it, size for twice the fastest
	// rate seen (a first round's floor outran a pool sized for 1.5 times
	// the start route's rate).
	if len(r.metric("http:floor").rps) == 0 {
		rate *= 2
	}
	n := min(maxPool, max(minPool, int(rate*r.opts.duration.Seconds()*poolMargin)))
	verify := func(p *process) (wrkResult, error) {
		fmt.Fprintf(r.log, "    starting %d TOTP enrollments for the pool of confirms\n", n)
		if err := makePool(ctx, p.url, token, n, pool); err != nil {
			return wrkResult{}, err
		}
		return r.measured(ctx, p, "verify.lua", pool, token)
	}
	if err := r.httpMeasure(ctx, "http:verify", server, verify); errors.Is(err, errPoolExhausted) && n < maxPool {
		n = min(maxPool, 2*n)
		r.metric("http:verify").err = nil
		r.httpMeasure(ctx, "http:verify", server, verify)
	}
	if r.metric("http:verify").err != nil {
		r.metric("http:baseline-pool").fail(errors.New("no pool of confirms: the verify run failed"))
		return
	}
	// The floor gets the pool as the server did, each confirm once: it
	// keeps its own record of consumed sessions.
	for _, f := range []struct{ name, audit string }{{"http:floor", "true"}, {"http:floor-silent", "false"}} {
		name, audit := f.name, f.audit
		r.httpMeasure(ctx, name, func() (*process, error) {
			return startProcess(ctx, r.tmp, r.bins["floor"], "listening on http://", "-addr", "127.0.0.1:0",
				"-session-password", password, "-token", token, "-audit="+audit)
		}, func(p *process) (wrkResult, error) {
			return r.measured(ctx, p, "verify.lua", pool, token)
		})
	}
	r.httpMeasure(ctx, "http:baseline-pool", baseline, func(p *process) (wrkResult, error) {
		return r.measured(ctx, p, "verify.lua", pool, token, "cycle")
	})
}

// httpMeasure starts a server, loads it and records its requests/sec. It
// returns the failure it records.
func (r *runner) httpMeasure(ctx context.Context, name string, start func() (*process, error), load func(*process) (wrkResult, error)) error {
	m := r.metric(name)
	if m.err != nil {
		return m.err // failed in an earlier round
	}
	fmt.Fprintf(r.log, "  wrk %s\n", strings.TrimPrefix(name, "http:"))
	p, err := start()
	if err != nil {
		m.fail(fmt.Errorf("%s: %w", name, err))
		return m.err
	}
	w, err := load(p)
	if err != nil {
		err = fmt.Errorf("%w\nserver log:\n%s", err, p.logTail())
	}
	if serr := p.stop(); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		m.fail(fmt.Errorf("%s: %w", name, err))
		return m.err
	}
	m.rps = append(m.rps, w.rps)
	m.cpu = append(m.cpu, float64(w.serverCPU.Nanoseconds())/float64(w.requests))
	return nil
}

// measured is the timed wrk run of a round against p, with the server's
// CPU time during it.
func (r *runner) measured(ctx context.Context, p *process, script string, args ...string) (wrkResult, error) {
	before, err := cpuTime(p.cmd.Process.Pid)
	if err != nil {
		return wrkResult{}, err
	}
	w, err := r.runWrk(ctx, r.opts.duration, p.url, script, args...)
	if err != nil {
		return w, err
	}
	after, err := cpuTime(p.cmd.Process.Pid)
	w.serverCPU = after - before
	return w, err
}

// cpuTime is the user and system time a process has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// process is a server started by bench/run.
type process struct {
	cmd  *exec.Cmd
	url  string
	log  *os.File // standard error, a file so that logging never waits on bench/run
	done chan error
}

// logTail returns the end of the process's standard error.
func (p *process) logTail() string {
	b, _ := os.ReadFile(p.log.Name())
	return tail(b)
}

// startProcess starts bin, with its standard error in a file in dir, and
// waits until it prints ready followed by its address on standard output.
func startProcess(ctx context.Context, dir, bin, ready string, args ...string) (*process, error) {
	log, err := os.CreateTemp(dir, filepath.Base(bin)+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Close()
		return nil, err
	}
	p := &process{cmd: cmd, log: log, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), ready); ok {
				found <- "http://" + strings.TrimSpace(addr)
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-found:
		return p, nil
	case err := <-p.done:
		defer log.Close()
		return nil, fmt.Errorf("%s exited: %v\n%s", filepath.Base(bin), err, p.logTail())
	case <-time.After(30 * time.Second):
		msg := p.logTail()
		p.stop()
		return nil, fmt.Errorf("%s did not print %q within 30s\n%s", filepath.Base(bin), ready, msg)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// stop interrupts the process, as Ctrl-C would, kills it if it has not
// exited 10 seconds later, and removes its log.
func (p *process) stop() error {
	defer os.Remove(p.log.Name())
	defer p.log.Close()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return nil // already gone; Wait has reported it
	}
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("server exit: %w", err)
		}
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("server did not stop within 10s of an interrupt")
	}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// enrollment is what the pool needs of a start response.
type enrollment struct {
	ID          string `json:"id"`
	AuthSession string `json:"auth_session"`
	BarcodeURI  string `json:"barcode_uri"`
}

// makePool starts n TOTP enrollments on the server at base and writes, for
// each, its verify path, a body with the code its authenticator shows
// codeLead after the last one started and the bearer token of the user who
// started it, one "PATH<TAB>BODY<TAB>TOKEN" line each, for
// bench/wrk/verify.lua. Every code is valid from then on for at least 45
// seconds (the server accepts the step before and after the current one),
// for the verify and floor runs that use the pool. The enrollments are spread over
// demo users (the server runs with -demo-users: TOKEN.uN acts for user N),
// perUser each, because one user may hold at most verify.MaxListed methods
// and the server enforces that bound when a confirm commits.
func makePool(ctx context.Context, base, token string, n int, file string) error {
	const perUser = verify.MaxListed
	const workers = 8
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	ens := make([]started, n)
	next := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				en, err := startOne(ctx, client, base, fmt.Sprintf("%s.u%d", token, i/perUser))
				if err != nil {
					errc <- err
					return
				}
				ens[i] = en
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errc:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return fmt.Errorf("verify pool: %w", err)
	}
	// Every code is the one its authenticator shows codeLead after the
	// pool is complete: the server accepts it from the time step before
	// that one to the step after, so from now until at least 45 seconds
	// from now, whatever the phase of the 30-second steps — the verify and
	// floor runs that use the pool, one after the other, take about 25.
	at := time.Now().Add(codeLead)
	lines := make([]string, n)
	for i, en := range ens {
		code, err := codeAt(en.barcodeURI, at)
		if err != nil {
			return fmt.Errorf("verify pool: %w", err)
		}
		vb, err := json.Marshal(map[string]string{"auth_session": en.authSession, "otp_code": code})
		if err != nil {
			return err
		}
		lines[i] = startPath + "/" + url.PathEscape(en.id) + "/verify\t" + string(vb) + "\t" + en.token
	}
	return os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// codeLead is how far after the pool is complete its codes are taken.
const codeLead = 15 * time.Second

// started is an enrollment of the pool: its id, auth_session, Key URI and
// the bearer token of the user who started it.
type started struct{ id, authSession, barcodeURI, token string }

func startOne(ctx context.Context, client *http.Client, base, token string) (started, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+startPath, strings.NewReader(startBody))
	if err != nil {
		return started{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return started{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return started{}, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return started{}, fmt.Errorf("start answered %d: %s", resp.StatusCode, tail(body))
	}
	var en enrollment
	if err := json.Unmarshal(body, &en); err != nil {
		return started{}, err
	}
	return started{id: en.ID, authSession: en.AuthSession, barcodeURI: en.BarcodeURI, token: token}, nil
}

// codeAt returns the code at time t of the otpauth:// URI of a start
// response, with the algorithm, digits and period it names.
func codeAt(uri string, t time.Time) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" {
		return "", fmt.Errorf("barcode_uri %q is not an otpauth URI", uri)
	}
	q := u.Query()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(q.Get("secret"))
	if err != nil {
		return "", fmt.Errorf("barcode_uri secret: %w", err)
	}
	k := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}
	if a := q.Get("algorithm"); a != "" {
		k.Algorithm = otp.Algorithm(a)
	}
	if d := q.Get("digits"); d != "" {
		if k.Digits, err = strconv.Atoi(d); err != nil {
			return "", fmt.Errorf("barcode_uri digits: %w", err)
		}
	}
	if p := q.Get("period"); p != "" {
		s, err := strconv.Atoi(p)
		if err != nil {
			return "", fmt.Errorf("barcode_uri period: %w", err)
		}
		k.Period = time.Duration(s) * time.Second
	}
	return k.Code(t)
}
