package smtpsender

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	vkpeer "github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/otp"
)

// requirePeer skips a test whose external peer is missing, except under
// CI=true, where a missing peer fails the run.
func requirePeer(t testing.TB, peer string, err error) {
	t.Helper()
	if err != nil {
		vkpeer.Missing(t, "test peer %s missing: %v", peer, err)
	}
}

// python returns a Python 3 interpreter that has aiosmtpd (Debian's
// python3-aiosmtpd installs it for /usr/bin/python3).
func python(t testing.TB) string {
	t.Helper()
	var last error
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			last = err
			continue
		}
		if out, err := exec.Command(path, "-c", "import aiosmtpd").CombinedOutput(); err != nil {
			last = errors.New(strings.TrimSpace(string(out)))
			continue
		}
		return path
	}
	requirePeer(t, "python3-aiosmtpd", last)
	return ""
}

// testCert writes a self-signed certificate for localhost and 127.0.0.1 to
// dir and returns the files and a pool trusting it.
func testCert(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile, pool
}

// received is one message as the SMTP server accepted it.
type received struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	Data     string   `json:"data"`
	TLS      bool     `json:"tls"`
	Login    *string  `json:"login"`
}

// smtpd is a running aiosmtpd process.
type smtpd struct {
	addr string
	pool *x509.CertPool
	msgs chan received
}

const (
	testUser     = "mailer"
	testPassword = "s3cret-pass"
)

// startSMTPD starts testdata/smtpd.py; tls false starts it without
// STARTTLS (and so without AUTH, which it refuses in clear).
func startSMTPD(t *testing.T, withTLS bool) *smtpd {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	args := []string{"testdata/smtpd.py"}
	var pool *x509.CertPool
	if withTLS {
		certFile, keyFile, p := testCert(t, dir)
		pool = p
		args = append(args, "--cert", certFile, "--key", keyFile, "--user", testUser, "--password", testPassword)
	}
	cmd := exec.Command(py, args...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	require.True(t, sc.Scan(), "smtpd did not start: %v", sc.Err())
	port, ok := strings.CutPrefix(sc.Text(), "READY ")
	require.True(t, ok, "smtpd said %q", sc.Text())
	s := &smtpd{addr: net.JoinHostPort("127.0.0.1", port), pool: pool, msgs: make(chan received, 16)}
	go func() {
		defer close(s.msgs)
		for sc.Scan() {
			var r received
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				s.msgs <- r
			}
		}
	}()
	return s
}

// next returns the next accepted message. The server prints it before it
// answers 250 to DATA, so it is in the pipe when Send has returned.
func (s *smtpd) next(t *testing.T) received {
	t.Helper()
	select {
	case r, ok := <-s.msgs:
		require.True(t, ok, "smtpd exited")
		return r
	case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("no message received")
		return received{}
	}
}

// none asserts no message was accepted, by sending a marker message after
// the refused one and checking it is the next one received.
func (s *smtpd) noneBefore(t *testing.T, marker *Sender) {
	t.Helper()
	require.NoError(t, marker.Send(context.Background(), otp.Message{Channel: otp.ChannelEmail, To: "marker@example.com", Code: "000000", Text: "marker"}))
	r := s.next(t)
	assert.Equal(t, []string{"marker@example.com"}, r.RcptTos, "a refused send delivered nothing")
}

func (s *smtpd) config() Config {
	return Config{
		Addr: s.addr, ServerName: "localhost", From: "no-reply@example.com", FromName: "Exämple ID",
		Username: testUser, Password: testPassword,
		TLSConfig: &tls.Config{RootCAs: s.pool},
		Now:       func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

func TestSendSTARTTLSAndAuth(t *testing.T) {
	srv := startSMTPD(t, true)
	s := newSender(t, srv.config())
	msg := otp.Message{
		Channel: otp.ChannelEmail, To: "alice@example.com", Code: "012345",
		Subject: "Your code — Exämple", Text: "Your verification code is 012345.\n." + strings.Repeat("x", 200) + "\nbye",
	}
	require.NoError(t, s.Send(context.Background(), msg))
	r := srv.next(t)
	assert.True(t, r.TLS, "delivered inside STARTTLS")
	require.NotNil(t, r.Login)
	assert.Equal(t, testUser, *r.Login, "authenticated")
	assert.Equal(t, "no-reply@example.com", r.MailFrom)
	assert.Equal(t, []string{"alice@example.com"}, r.RcptTos)

	m, err := mail.ReadMessage(strings.NewReader(r.Data))
	require.NoError(t, err)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, msg.Subject, subject)
	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, []*mail.Address{{Name: "Exämple ID", Address: "no-reply@example.com"}}, from)
	to, err := m.Header.AddressList("To")
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", to[0].Address)
	assert.Equal(t, "Fri, 02 Jan 2026 03:04:05 +0000", m.Header.Get("Date"))
	assert.Equal(t, "auto-generated", m.Header.Get("Auto-Submitted"))
	assert.Regexp(t, `^<[0-9a-f]{32}@example\.com>$`, m.Header.Get("Message-ID"))
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	require.NoError(t, err)
	assert.Equal(t, strings.ReplaceAll(msg.Text, "\n", "\r\n")+"\r\n", string(body), "the body survives, the lone dot line included")
	for _, line := range strings.Split(r.Data, "\r\n") {
		assert.LessOrEqual(t, len(line), 78, "quoted-printable keeps lines short")
	}
}

func TestSendRefusals(t *testing.T) {
	srv := startSMTPD(t, true)
	good := newSender(t, srv.config())
	for _, tc := range []struct {
		name string
		cfg  func(c *Config)
		msg  otp.Message
		want string
	}{
		{"wrong password", func(c *Config) { c.Password = "wrong" }, otp.Message{}, "AUTH"},
		{"untrusted certificate", func(c *Config) { c.TLSConfig = &tls.Config{} }, otp.Message{}, "STARTTLS"},
		{"certificate for another name", func(c *Config) { c.ServerName = "smtp.example.com" }, otp.Message{}, "STARTTLS"},
		{"sms message", func(*Config) {}, otp.Message{Channel: otp.ChannelSMS, To: "+15551234567"}, `cannot send a "sms" message`},
		{"header injection in recipient", func(*Config) {}, otp.Message{Channel: otp.ChannelEmail, To: "a@example.com\r\nBcc: eve@example.com"}, "recipient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := srv.config()
			tc.cfg(&cfg)
			msg := tc.msg
			if msg.Channel == "" {
				msg = otp.Message{Channel: otp.ChannelEmail, To: "alice@example.com", Code: "123456", Text: "123456"}
			}
			err := newSender(t, cfg).Send(context.Background(), msg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "123456", "errors never carry the code")
			srv.noneBefore(t, good)
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := good.Send(ctx, otp.Message{Channel: otp.ChannelEmail, To: "alice@example.com", Text: "x"})
		require.ErrorIs(t, err, context.Canceled)
		srv.noneBefore(t, good)
	})
}

// TestNoSTARTTLS: a server without STARTTLS gets neither credentials nor
// the code unless plaintext is allowed explicitly (and without AUTH).
func TestNoSTARTTLS(t *testing.T) {
	srv := startSMTPD(t, false)
	cfg := Config{Addr: srv.addr, From: "no-reply@example.com"}
	err := newSender(t, cfg).Send(context.Background(), otp.Message{Channel: otp.ChannelEmail, To: "alice@example.com", Text: "code"})
	require.ErrorIs(t, err, errNoTLS)

	cfg.AllowPlaintext = true
	plain := newSender(t, cfg)
	require.NoError(t, plain.Send(context.Background(), otp.Message{Channel: otp.ChannelEmail, To: "dev@example.com", Text: "code"}))
	r := srv.next(t)
	assert.False(t, r.TLS)
	assert.Equal(t, []string{"dev@example.com"}, r.RcptTos, "the refused message was never delivered")
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"no addr", Config{From: "a@example.com"}, "Addr"},
		{"addr without port", Config{Addr: "smtp.example.com", From: "a@example.com"}, "Addr"},
		{"no from", Config{Addr: "smtp.example.com:587"}, "From"},
		{"from with name", Config{Addr: "smtp.example.com:587", From: "A <a@example.com>"}, "From"},
		{"from name CRLF", Config{Addr: "smtp.example.com:587", From: "a@example.com", FromName: "A\r\nBcc: e@example.com"}, "FromName"},
		{"password without user", Config{Addr: "smtp.example.com:587", From: "a@example.com", Password: "x"}, "Password without Username"},
		{"plaintext with credentials", Config{Addr: "smtp.example.com:587", From: "a@example.com", Username: "u", Password: "p", AllowPlaintext: true}, "AllowPlaintext"},
		{"timeout", Config{Addr: "smtp.example.com:587", From: "a@example.com", Timeout: time.Millisecond}, "Timeout 1ms out of range [1s, 5m0s]"},
		{"hello name", Config{Addr: "smtp.example.com:587", From: "a@example.com", HelloName: "a b"}, "HelloName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, otp.ErrConfig)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	tc := &tls.Config{}
	s, err := New(Config{Addr: "smtp.example.com:587", From: "a@Example.com", TLSConfig: tc})
	require.NoError(t, err)
	assert.Empty(t, tc.ServerName, "the caller's tls.Config is not modified")
	assert.Equal(t, "smtp.example.com", s.cfg.TLSConfig.ServerName)
	assert.Equal(t, uint16(tls.VersionTLS12), s.cfg.TLSConfig.MinVersion)
	assert.Equal(t, "a@example.com", s.cfg.From)
}
