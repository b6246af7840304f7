package password

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// BreachChecker reports whether a password is known from data breaches
// (ASVS 5.0 6.2.12, checklist PW-06).
type BreachChecker interface {
	// Breached returns how many times password appears in the breach
	// corpus, 0 if it does not. An error means the lookup did not complete
	// (a timeout, a cancelled context, an interrupted or malformed
	// response); it never means "not breached" (checklist PW-07). The
	// engine passes the NFKC-normalised password.
	Breached(ctx context.Context, password string) (int64, error)
}

// errBreachUnavailable matches every error of RangeClient and FileChecker:
// the lookup did not complete. The engine then fails closed or open as
// its Config.BreachFailOpen says.
var errBreachUnavailable = errors.New("password: breach check unavailable")

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBreachUnavailable}, args...)...)
}

// sha1Hex returns the uppercase hex SHA-1 of s, the key of the Pwned
// Passwords corpus.
func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// RangeConfig configures a RangeClient.
type RangeConfig struct {
	// BaseURL is the range endpoint; the 5-hex-character prefix is appended
	// to it. Default "https://api.pwnedpasswords.com/range/". It must be
	// https, or http to a loopback address (a local mirror, tests).
	BaseURL string
	// Timeout bounds each lookup, connection and body included. Default 2s;
	// range [100ms, 10s].
	Timeout time.Duration
	// Client is the HTTP client; nil means a new one. Redirects are never
	// followed (a 3xx fails the lookup).
	Client *http.Client
	// UserAgent is sent with each request. Default "verifykit-password".
	UserAgent string
	// MaxResponseBytes bounds the body read. Default 1 MiB; range
	// [4 KiB, 16 MiB]. (A padded range response is about 30 KiB.)
	MaxResponseBytes int64
}

// defaultRangeURL is the Pwned Passwords range API.
const defaultRangeURL = "https://api.pwnedpasswords.com/range/"

// RangeClient is a BreachChecker querying a k-anonymity range API (Have I
// Been Pwned's Pwned Passwords v3): it sends only the first 5 hex
// characters of the password's SHA-1, asks for padding (Add-Padding: true)
// so the response size does not reveal the prefix's bucket, and looks for
// the other 35 characters in the "SUFFIX:COUNT" lines returned, ignoring
// padding lines (count 0). Safe for concurrent use.
type RangeClient struct {
	base    string
	timeout time.Duration
	client  *http.Client
	ua      string
	max     int64
}

var _ BreachChecker = (*RangeClient)(nil)

// NewRangeClient validates cfg and returns a RangeClient.
func NewRangeClient(cfg RangeConfig) (*RangeClient, error) {
	c := &RangeClient{base: cfg.BaseURL, timeout: cfg.Timeout, ua: cfg.UserAgent, max: cfg.MaxResponseBytes}
	if c.base == "" {
		c.base = defaultRangeURL
	}
	u, err := url.Parse(c.base)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("password: RangeConfig.BaseURL %q is not an absolute URL without query", c.base)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("password: RangeConfig.BaseURL must be https (or http to a loopback address), got %q", u.Scheme)
	}
	if c.timeout == 0 {
		c.timeout = 2 * time.Second
	}
	if c.timeout < 100*time.Millisecond || c.timeout > 10*time.Second {
		return nil, fmt.Errorf("password: RangeConfig.Timeout %v out of range [100ms, 10s]", c.timeout)
	}
	if c.ua == "" {
		c.ua = "verifykit-password"
	}
	if c.max == 0 {
		c.max = 1 << 20
	}
	if c.max < 4<<10 || c.max > 16<<20 {
		return nil, fmt.Errorf("password: RangeConfig.MaxResponseBytes %d out of range [%d, %d]", c.max, 4<<10, 16<<20)
	}
	hc := http.Client{}
	if cfg.Client != nil {
		hc = *cfg.Client
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &hc
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Breached implements BreachChecker. A failure is an error, never 0; a
// timeout or cancellation matches the context's error.
func (c *RangeClient) Breached(ctx context.Context, password string) (int64, error) {
	h := sha1Hex(password)
	prefix, suffix := h[:5], h[5:]
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+prefix, nil)
	if err != nil {
		return 0, unavailable("range request: %w", err)
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, unavailable("range lookup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, unavailable("range lookup: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		// An interrupted body is a failed lookup, not an empty range
		// (kratos 362366d2).
		return 0, unavailable("range response: %w", err)
	}
	if int64(len(body)) > c.max {
		return 0, unavailable("range response exceeds %d bytes", c.max)
	}
	return findSuffix(body, suffix)
}

// findSuffix parses a range response and returns the count of suffix,
// 0 when absent or a padding line. A malformed line fails the lookup.
func findSuffix(body []byte, suffix string) (int64, error) {
	var found int64
	lines := 0
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		lines++
		s, n, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(s) != 35 || !isHex(s) {
			return 0, unavailable("range response line %d is not SUFFIX:COUNT", lines)
		}
		count, ok := parseDecimal(string(n), 19)
		if !ok {
			return 0, unavailable("range response line %d has a bad count", lines)
		}
		if count > 0 && strings.EqualFold(string(s), suffix) {
			found = int64(count)
		}
	}
	if lines == 0 {
		return 0, unavailable("empty range response")
	}
	return found, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// FileChecker is an offline BreachChecker over a local copy of the Pwned
// Passwords SHA-1 corpus "ordered by hash": lines "SHA1HEX:COUNT" (LF or
// CRLF) sorted by hash, as the official downloader writes them. Lookups
// binary-search the file with ReadAt, reading about 20 lines' worth of
// bytes for the full 2 billion-line corpus, and never load it. Safe for
// concurrent use.
type FileChecker struct {
	r      io.ReaderAt
	size   int64
	closer io.Closer
}

var _ BreachChecker = (*FileChecker)(nil)

// OpenFileChecker opens the sorted hash file at path, which must hold
// "SHA1HEX:COUNT" lines sorted by hash, and checks its first line. Close it
// when done.
func OpenFileChecker(path string) (*FileChecker, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password: breach file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("password: breach file: %w", err)
	}
	c, err := newFileChecker(f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	c.closer = f
	return c, nil
}

// newFileChecker returns a FileChecker over size bytes of r, which must
// hold sorted "SHA1HEX:COUNT" lines. It checks the first line.
func newFileChecker(r io.ReaderAt, size int64) (*FileChecker, error) {
	c := &FileChecker{r: r, size: size}
	if size <= 0 {
		return nil, errors.New("password: breach file is empty")
	}
	_, line, _, err := c.lineFrom(0)
	if err != nil {
		return nil, err
	}
	if _, _, err := parseHashLine(line); err != nil {
		return nil, fmt.Errorf("password: breach file: first line: %w", err)
	}
	return c, nil
}

// Close closes the file opened by OpenFileChecker.
func (c *FileChecker) Close() error {
	if c.closer == nil {
		return nil
	}
	return c.closer.Close()
}

// maxHashLine bounds a line: 40 hex, ':', up to 19 digits, CRLF.
const maxHashLine = 64

// Breached implements BreachChecker.
func (c *FileChecker) Breached(ctx context.Context, password string) (int64, error) {
	return c.lookup(ctx, sha1Hex(password))
}

// lookup binary-searches the file for the uppercase hex hash target.
func (c *FileChecker) lookup(ctx context.Context, target string) (int64, error) {
	lo, hi := int64(0), c.size // the target's line, if any, starts in [lo, hi); lo is a line start
	for lo < hi {
		if err := ctx.Err(); err != nil {
			return 0, unavailable("breach file lookup: %w", err)
		}
		mid := lo + (hi-lo)/2
		start, line, next, err := c.lineFrom(mid)
		if err != nil {
			return 0, err
		}
		if start >= hi {
			hi = mid
			continue
		}
		h, count, err := parseHashLine(line)
		if err != nil {
			return 0, unavailable("breach file at byte %d: %v", start, err)
		}
		switch cmp := strings.Compare(h, target); {
		case cmp == 0:
			return count, nil
		case cmp < 0:
			lo = next
		default:
			hi = start
		}
	}
	return 0, nil
}

// lineFrom returns the first line starting at or after off (without its
// line ending), its start, and the start of the line after it. A start at
// or beyond the end of the file means there is none.
func (c *FileChecker) lineFrom(off int64) (start int64, line []byte, next int64, err error) {
	var buf [2*maxHashLine + 1]byte
	from := max(off-1, 0)
	n, err := c.r.ReadAt(buf[:], from)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, 0, unavailable("breach file read: %w", err)
	}
	b := buf[:n]
	start = from
	if off > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if from+int64(n) >= c.size {
				return c.size, nil, c.size, nil
			}
			return 0, nil, 0, unavailable("breach file has a line longer than %d bytes near byte %d", maxHashLine, off)
		}
		start, b = from+int64(i)+1, b[i+1:]
	}
	if start >= c.size {
		return c.size, nil, c.size, nil
	}
	end := bytes.IndexByte(b, '\n')
	switch {
	case end >= 0:
		next = start + int64(end) + 1
		b = b[:end]
	case start+int64(len(b)) >= c.size:
		next = c.size
	default:
		return 0, nil, 0, unavailable("breach file has a line longer than %d bytes near byte %d", maxHashLine, start)
	}
	return start, bytes.TrimSuffix(b, []byte("\r")), next, nil
}

// parseHashLine parses "SHA1HEX:COUNT", returning the hash in uppercase.
func parseHashLine(line []byte) (string, int64, error) {
	h, n, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(h) != 40 || !isHex(h) {
		return "", 0, errors.New("line is not SHA1HEX:COUNT")
	}
	count, ok := parseDecimal(string(n), 19)
	if !ok {
		return "", 0, errors.New("line has a bad count")
	}
	return strings.ToUpper(string(h)), int64(count), nil
}
