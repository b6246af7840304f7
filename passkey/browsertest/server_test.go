package browsertest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// server is examples/server under test, reached at origin.
type server struct {
	origin  string // http://localhost:PORT
	baseURL string // origin + "/me/v1"
	token   string
	user    string
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// goTool is the go command running the tests: the toolchain's own when
// the go command switched toolchains (it sets GOROOT for the tests), else
// the one on PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// freePort returns a TCP port free on the loopback interface now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer builds examples/server from source and runs it on a free
// port with -rp-id localhost and -origin http://localhost:PORT, the
// origin the browser opens (a secure context for WebAuthn).
func startServer(t *testing.T) *server {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	s := &server{origin: "http://localhost:" + port, token: "browsertest-token-0123456789abcdef", user: "auth0|browser"}
	s.baseURL = s.origin + "/me/v1"
	runServer(t, s, s.origin, "-addr", "127.0.0.1:"+port, "-origin", s.origin)
	return s
}

// runServer builds examples/server and runs it for s with args, after the
// flags every test shares, until it announces its demo page at demo.
func runServer(t *testing.T, s *server, demo string, args ...string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command(goTool(), "build", "-o", bin, "./examples/server")
	build.Dir = moduleRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/server: %s", out)

	cmd := exec.Command(bin, append([]string{"-base-url", s.baseURL, "-token", s.token, "-user", s.user,
		"-rp-id", "localhost", "-rate-limit", "0", "-log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "demo:  "+demo+"/") {
			ready = true
			break
		}
	}
	require.True(t, ready, "examples/server did not announce its demo page at %s; stderr: %s", demo, stderr.String())
	go func() {
		for sc.Scan() {
		}
	}()
}

// syncBuffer is a strings.Builder safe for the writer goroutine of exec.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
