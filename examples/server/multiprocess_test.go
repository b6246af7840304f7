package main

import (
	"bufio"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/store/sqlstore"
)

// postgresSchema creates a schema of its own in the database of
// VERIFYKIT_POSTGRES_DSN, dropped when t ends, and returns a DSN using it.
func postgresSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	base := os.Getenv("VERIFYKIT_POSTGRES_DSN")
	requirePeer(t, base != "", "PostgreSQL (VERIFYKIT_POSTGRES_DSN, see .ci/services)")
	db, err := sql.Open(sqlstore.DriverPostgres, base)
	require.NoError(t, err)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "vk_server_" + hex.EncodeToString(b[:])
	_, err = db.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		assert.NoError(t, err)
		db.Close()
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), db
}

// process is a demo server running as a separate OS process.
type process struct {
	api    string // http://127.0.0.1:PORT/me/v1
	stderr *lockedBuffer
}

// buildServer builds this command into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// startProcess runs bin with args and the shared secrets in its
// environment, and waits for its listening line. The process gets SIGTERM
// when t ends.
func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{stderr: &lockedBuffer{}}
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-token", testToken, "-log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "verifykit demo server listening on "); ok {
				listening <- u
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	select {
	case u := <-listening:
		p.api = u + "/me/v1"
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start; stderr: %s", p.stderr.String())
	}
	return p
}

var mpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 60 * time.Second}

// call posts body to path of p and returns the status and the problem
// type (or the created method's id).
func (p *process) call(path, body string) (int, map[string]any, error) {
	r, err := http.NewRequest(http.MethodPost, p.api+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	r.Header.Set("Authorization", "Bearer "+testToken)
	r.Header.Set("Content-Type", "application/json")
	res, err := mpClient.Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		return res.StatusCode, nil, fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	return res.StatusCode, m, nil
}

// totpEnrollment starts a TOTP enrollment on p and returns its id, its
// auth_session and its key.
func totpEnrollment(t *testing.T, p *process) (id, authSession string, key otp.TOTPKey) {
	t.Helper()
	status, e, err := p.call("/authentication-methods", `{"type":"totp"}`)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, status, e)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e["manual_input_code"].(string))
	require.NoError(t, err)
	return e["id"].(string), e["auth_session"].(string), otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}
}

// burst sends n calls released together, call i to ps[i%len(ps)], and
// counts the answers by "status type" (type is the problem type, or
// "created").
func burst(t *testing.T, ps []*process, n int, path string, body func(i int) string) map[string]int {
	t.Helper()
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			status, m, err := ps[i%len(ps)].call(path, body(i))
			if !assert.NoError(t, err) {
				return
			}
			typ, _ := m["type"].(string)
			if status == http.StatusCreated || status == http.StatusAccepted {
				typ = "created"
			}
			mu.Lock()
			counts[fmt.Sprint(status, " ", typ)]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return counts
}

// TestMultiProcess runs two server processes on one PostgreSQL database
// (and one Redis): single use, the attempt limit and the rate limit hold
// across them.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	dsn, db := postgresSchema(t)
	bin := buildServer(t)
	hashKey, storeKey := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(hashKey)
	_, _ = rand.Read(storeKey)
	// The secrets every process of one deployment shares.
	env := []string{
		"VERIFYKIT_SESSION_PASSWORD=a-session-password-shared-by-both-processes",
		"VERIFYKIT_HASH_KEY=" + base64.RawURLEncoding.EncodeToString(hashKey),
		"VERIFYKIT_STORE_KEYS=k1:" + base64.RawURLEncoding.EncodeToString(storeKey),
	}
	ps := []*process{
		startProcess(t, bin, env, "-store", dsn, "-rate-limit", "0"),
		startProcess(t, bin, env, "-store", dsn, "-rate-limit", "0"),
	}

	t.Run("single use", func(t *testing.T) {
		// 200 concurrent confirms of one auth_session with the right code,
		// spread over both processes: exactly one 201, 400 for the rest.
		id, as, key := totpEnrollment(t, ps[0])
		code, err := key.Code(time.Now())
		require.NoError(t, err)
		body, _ := json.Marshal(map[string]string{"auth_session": as, "otp_code": code})
		counts := burst(t, ps, 200, verifyPath(id), func(int) string { return string(body) })
		assert.Equal(t, 1, counts["201 created"], "%v", counts)
		assert.Equal(t, 199, counts["400 session_already_used"]+counts["400 too_many_attempts"], "%v", counts)
		var n int
		require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM `+schemaOf(t, dsn)+`.verifykit_methods WHERE type = 'totp'`).Scan(&n))
		assert.Equal(t, 1, n, "one method saved")
	})

	t.Run("attempt limit", func(t *testing.T) {
		// 100 concurrent wrong codes over both processes: exactly the five
		// allowed attempts are evaluated; then even the right code fails.
		id, as, key := totpEnrollment(t, ps[1])
		now := time.Now()
		valid := map[string]bool{}
		for d := -3; d <= 3; d++ {
			c, err := key.Code(now.Add(time.Duration(d) * 30 * time.Second))
			require.NoError(t, err)
			valid[c] = true
		}
		wrong := "000000"
		for i := 0; valid[wrong]; i++ {
			wrong = fmt.Sprintf("%06d", 111111*(i+1)%1000000)
		}
		body, _ := json.Marshal(map[string]string{"auth_session": as, "otp_code": wrong})
		counts := burst(t, ps, 100, verifyPath(id), func(int) string { return string(body) })
		assert.Equal(t, 5, counts["400 invalid_proof"], "at most MaxAttempts codes are checked: %v", counts)
		assert.Equal(t, 95, counts["400 too_many_attempts"], "%v", counts)
		code, err := key.Code(time.Now())
		require.NoError(t, err)
		right, _ := json.Marshal(map[string]string{"auth_session": as, "otp_code": code})
		status, m, err := ps[0].call(verifyPath(id), string(right))
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "too_many_attempts", m["type"])
	})

	t.Run("shared rate limit", func(t *testing.T) {
		// With -redis, the per-user limit of 5 per minute holds across
		// both processes: 20 concurrent starts, 5 accepted.
		redisURL := os.Getenv("VERIFYKIT_REDIS_URL")
		requirePeer(t, redisURL != "", "Redis (VERIFYKIT_REDIS_URL, see .ci/services)")
		user := []string{"-user", "auth0|ratelimited-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
		rl := []*process{
			startProcess(t, bin, env, append(user, "-store", dsn, "-redis", redisURL, "-rate-limit", "5")...),
			startProcess(t, bin, env, append(user, "-store", dsn, "-redis", redisURL, "-rate-limit", "5")...),
		}
		counts := burst(t, rl, 20, "/authentication-methods", func(int) string { return `{"type":"recovery-code"}` })
		assert.Equal(t, 5, counts["202 created"], "%v", counts)
		assert.Equal(t, 15, counts["429 rate_limited"], "%v", counts)
	})

	for _, p := range ps {
		assert.NotContains(t, p.stderr.String(), `"level":"ERROR"`)
	}
}

func schemaOf(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	return u.Query().Get("search_path")
}
