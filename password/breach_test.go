package password

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rangeServer serves testdata/hibp/range/PREFIX like the Pwned Passwords
// API, recording the requests it receives.
type rangeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newRangeServer(t *testing.T, handler http.HandlerFunc) *rangeServer {
	t.Helper()
	rs := &rangeServer{}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			prefix := strings.TrimPrefix(r.URL.Path, "/range/")
			if !regexp.MustCompile(`^[0-9A-F]{5}$`).MatchString(prefix) {
				http.Error(w, "bad prefix", http.StatusBadRequest)
				return
			}
			b, err := os.ReadFile(filepath.Join("testdata", "hibp", "range", prefix))
			if err != nil {
				// The real API answers every prefix: without a fixture, a
				// range of padding lines only.
				b = []byte("0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n")
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(b)
		}
	}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, r.Clone(context.Background()))
		rs.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func newRangeClient(t *testing.T, url string, timeout time.Duration) *RangeClient {
	t.Helper()
	c, err := NewRangeClient(RangeConfig{BaseURL: url + "/range/", Timeout: timeout})
	require.NoError(t, err)
	return c
}

func TestRangeClient(t *testing.T) {
	srv := newRangeServer(t, nil)
	c := newRangeClient(t, srv.URL, time.Second)
	tests := []struct {
		pw   string
		want int64
	}{
		{"password", 9545824},
		{"correct horse battery staple", 368},
		{"Tr0ub4dor&3 wears a hat", 2},
		{"unremarkable lantern orchard", 0}, // present only as a padding line (count 0)
		{"quietly grazing violet moose", 0}, // absent from its range
	}
	for _, tc := range tests {
		t.Run(tc.pw, func(t *testing.T) {
			n, err := c.Breached(ctx, tc.pw)
			require.NoError(t, err)
			assert.Equal(t, tc.want, n)
		})
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Len(t, srv.reqs, len(tests))
	for i, r := range srv.reqs {
		h := sha1Hex(tests[i].pw)
		assert.Equal(t, "/range/"+h[:5], r.URL.Path, "only the 5-character prefix is sent")
		assert.Empty(t, r.URL.RawQuery)
		assert.Equal(t, "true", r.Header.Get("Add-Padding"))
		assert.Equal(t, "verifykit-password", r.Header.Get("User-Agent"))
		assert.Equal(t, http.MethodGet, r.Method)
	}
}

func TestRangeClientFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name    string
		handler http.HandlerFunc
		also    error // a second error the failure matches, if any
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }, nil},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, nil},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://example.invalid/range/00000", http.StatusFound)
		}, nil},
		{"timeout (PW-07)", func(w http.ResponseWriter, r *http.Request) {
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
		}, context.DeadlineExceeded},
		{"interrupted body (PW-07)", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			_, _ = w.Write([]byte("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n"))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, nil},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {}, nil},
		{"malformed line", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("not a range line\r\n")) }, nil},
		{"bad count", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("0018A45C4D1DEF81644B54AB7F969B88D65:-1\r\n"))
		}, nil},
		{"oversized", func(w http.ResponseWriter, r *http.Request) {
			line := []byte("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n")
			_, _ = w.Write(bytes.Repeat(line, 30000)) // 1.2 MB
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRangeServer(t, tc.handler)
			c := newRangeClient(t, srv.URL, 100*time.Millisecond)
			n, err := c.Breached(ctx, "password")
			require.ErrorIs(t, err, errBreachUnavailable, "a failed lookup is never \"not breached\"")
			if tc.also != nil {
				assert.ErrorIs(t, err, tc.also)
			}
			assert.Zero(t, n)
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		srv := newRangeServer(t, nil)
		c := newRangeClient(t, srv.URL, time.Second)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Breached(cctx, "password")
		assert.ErrorIs(t, err, errBreachUnavailable)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestRangeConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     RangeConfig
		wantErr string
	}{
		{"default", RangeConfig{}, ""},
		{"https mirror", RangeConfig{BaseURL: "https://pwned.internal.example/range/"}, ""},
		{"http loopback", RangeConfig{BaseURL: "http://127.0.0.1:8080/range/"}, ""},
		{"http localhost", RangeConfig{BaseURL: "http://localhost/range/"}, ""},
		{"http remote", RangeConfig{BaseURL: "http://api.pwnedpasswords.com/range/"}, "must be https"},
		{"relative", RangeConfig{BaseURL: "/range/"}, "not an absolute URL"},
		{"query", RangeConfig{BaseURL: "https://x.example/range?p="}, "not an absolute URL"},
		{"timeout low", RangeConfig{Timeout: time.Millisecond}, "Timeout 1ms out of range [100ms, 10s]"},
		{"timeout high", RangeConfig{Timeout: time.Minute}, "out of range [100ms, 10s]"},
		{"max bytes", RangeConfig{MaxResponseBytes: 100}, "MaxResponseBytes 100 out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewRangeClient(tc.cfg)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
			assert.Nil(t, c)
		})
	}
}

func TestFileChecker(t *testing.T) {
	crlf, err := os.ReadFile("testdata/pwned-sha1-ordered.txt")
	require.NoError(t, err)
	lf := bytes.ReplaceAll(crlf, []byte("\r\n"), []byte("\n"))
	noFinalNewline := bytes.TrimSuffix(lf, []byte("\n"))
	variants := map[string][]byte{"crlf": crlf, "lf": lf, "no final newline": noFinalNewline}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			c, err := newFileChecker(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			for pw, want := range map[string]int64{
				"password": 9545824, "correct horse battery staple": 368, "Tr0ub4dor&3 wears a hat": 2,
				"quietly grazing violet moose": 0, "unremarkable lantern orchard": 0,
			} {
				n, err := c.Breached(ctx, pw)
				require.NoError(t, err)
				assert.Equal(t, want, n, pw)
			}
			// Every line is found, the first and last included, and a hash
			// just beside each is not.
			lines := strings.Split(strings.TrimSpace(string(lf)), "\n")
			for _, line := range lines {
				h, count, err := parseHashLine([]byte(line))
				require.NoError(t, err)
				n, err := c.lookup(ctx, h)
				require.NoError(t, err)
				require.Equal(t, count, n, h)
				n, err = c.lookup(ctx, h[:39]+string("0123456789ABCDEF"[(strings.IndexByte("0123456789ABCDEF", h[39])+1)%16]))
				require.NoError(t, err)
				require.Zero(t, n)
			}
		})
	}
	t.Run("open file", func(t *testing.T) {
		c, err := OpenFileChecker("testdata/pwned-sha1-ordered.txt")
		require.NoError(t, err)
		defer c.Close()
		n, err := c.Breached(ctx, "password")
		require.NoError(t, err)
		assert.Equal(t, int64(9545824), n)
		_, err = OpenFileChecker("testdata/does-not-exist")
		assert.Error(t, err)
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := newFileChecker(strings.NewReader("hello\n"), 6)
		assert.ErrorContains(t, err, "first line")
		_, err = newFileChecker(strings.NewReader(""), 0)
		assert.Error(t, err)
		// A 2000-byte line in the middle, where the first probe lands.
		cut := bytes.IndexByte(lf[len(lf)/2:], '\n') + len(lf)/2 + 1
		long := string(lf[:cut]) + strings.Repeat("9", 2000) + "\n" + string(lf[cut:])
		c, err := newFileChecker(strings.NewReader(long), int64(len(long)))
		require.NoError(t, err)
		_, err = c.lookup(ctx, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")
		assert.ErrorIs(t, err, errBreachUnavailable)
	})
	t.Run("cancelled", func(t *testing.T) {
		c, err := newFileChecker(bytes.NewReader(lf), int64(len(lf)))
		require.NoError(t, err)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = c.Breached(cctx, "password")
		assert.ErrorIs(t, err, errBreachUnavailable)
		assert.ErrorIs(t, err, context.Canceled)
	})
}
