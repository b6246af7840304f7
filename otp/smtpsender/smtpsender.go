// Package smtpsender implements otp.Sender for e-mail over SMTP (RFC 5321)
// with net/smtp: STARTTLS (RFC 3207) or implicit TLS (RFC 8314), then AUTH
// PLAIN (RFC 4954), then one message per code.
//
// # Security
//
// TLS is mandatory by default: a server that does not offer STARTTLS is
// refused before any credential or code is sent, and the server
// certificate is verified against Config.TLSConfig (the system roots when
// nil) for Config.ServerName. AUTH PLAIN is used only inside TLS. A
// development relay on loopback without TLS needs Config.AllowPlaintext,
// which never applies when credentials are configured.
//
// The recipient is validated again, by the otp e-mail engine's rule, and the
// subject is Q-encoded (RFC 2047), so no header can be injected; the body
// is quoted-printable (RFC 2045), so no line is too long and no byte
// sequence ends the DATA phase. Every message has an Auto-Submitted header
// (RFC 3834) so that auto-responders do not answer it.
//
// The code travels inside the message: the sender never logs messages,
// and its errors carry the SMTP reply but never the message.
//
// # Connections
//
// Each Send opens a connection, delivers one message and QUITs, bounded by
// Config.Timeout and by the context: codes are few and time-critical, and
// a fresh connection keeps no shared state between requests.
package smtpsender

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verifykit/verifykit/internal/mailaddr"
	"github.com/verifykit/verifykit/otp"
)

// Limits and defaults of Config (each field's comment states its range
// and default).
const (
	defaultTimeout = 30 * time.Second
	minTimeout     = time.Second
	maxTimeout     = 5 * time.Minute
	// defaultHelloName is the EHLO name when Config.HelloName is empty.
	defaultHelloName = "localhost"
	// maxFromNameLen bounds Config.FromName in bytes.
	maxFromNameLen = 100
)

// errNoTLS is matched by the error of Send when the server does not offer
// STARTTLS and plaintext is not allowed.
var errNoTLS = errors.New("smtpsender: server does not offer STARTTLS")

// Config configures a Sender.
type Config struct {
	// Addr is the server's "host:port", e.g. "smtp.example.com:587".
	// Required.
	Addr string
	// ServerName is the name the server certificate must be valid for, and
	// the host AUTH PLAIN is bound to. Default: the host of Addr.
	ServerName string
	// From is the envelope sender and From address, an addr-spec accepted
	// by the otp e-mail engine (printable ASCII, a host name for domain).
	// Required.
	From string
	// FromName is the display name of the From header; optional, at most
	// 100 bytes of UTF-8 without control characters.
	FromName string
	// Username and Password are the AUTH PLAIN credentials; an empty
	// Username sends without AUTH. Credentials require TLS.
	Username, Password string
	// TLSConfig verifies the server; nil means the system roots. Its
	// ServerName, when empty, is set to ServerName. Never set
	// InsecureSkipVerify outside tests.
	TLSConfig *tls.Config
	// ImplicitTLS speaks TLS from the first byte (port 465, RFC 8314)
	// instead of STARTTLS. Default false.
	ImplicitTLS bool
	// AllowPlaintext delivers without TLS when the server offers no
	// STARTTLS: for a development relay on loopback only, since the code
	// then crosses the network in clear. Refused with credentials.
	// Default false.
	AllowPlaintext bool
	// Timeout bounds one Send, from dialling to QUIT. Default 30s; range
	// [1s, 5m].
	Timeout time.Duration
	// HelloName is the EHLO name, the client's host name. Default
	// "localhost".
	HelloName string
	// Now is the clock of the Date header; nil means time.Now.
	Now func() time.Time
}

// Sender delivers otp.Message values of otp.ChannelEmail over SMTP. It is
// immutable and safe for concurrent use.
type Sender struct {
	cfg        Config
	fromDomain string
}

var _ otp.Sender = (*Sender)(nil)

// configError is an error of New: it reads
// "smtpsender: invalid config: …", naming the field and its range, and matches
// otp.ErrConfig.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return otp.ErrConfig }

func configErrorf(format string, args ...any) error {
	return &configError{msg: "smtpsender: invalid config: " + fmt.Sprintf(format, args...)}
}

// New validates cfg and returns a Sender. Its errors match otp.ErrConfig
// and name the field and its allowed range.
func New(cfg Config) (*Sender, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, configErrorf("Addr %q is not host:port", cfg.Addr)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	from, err := mailaddr.Normalize(cfg.From)
	if err != nil {
		return nil, configErrorf("From is not an e-mail address: %v", err)
	}
	cfg.From = from
	if len(cfg.FromName) > maxFromNameLen || !utf8.ValidString(cfg.FromName) || strings.IndexFunc(cfg.FromName, unicode.IsControl) >= 0 {
		return nil, configErrorf("FromName must be at most %d bytes of UTF-8 without control characters", maxFromNameLen)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, configErrorf("Password without Username")
	}
	if cfg.Username != "" && cfg.AllowPlaintext {
		return nil, configErrorf("AllowPlaintext with credentials: credentials are only sent over TLS")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Timeout < minTimeout || cfg.Timeout > maxTimeout {
		return nil, configErrorf("Timeout %v out of range [%v, %v]", cfg.Timeout, minTimeout, maxTimeout)
	}
	if cfg.HelloName == "" {
		cfg.HelloName = defaultHelloName
	}
	if strings.ContainsAny(cfg.HelloName, " \r\n\t") {
		return nil, configErrorf("HelloName contains white space")
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = cfg.ServerName
	}
	if cfg.TLSConfig.MinVersion < tls.VersionTLS12 {
		cfg.TLSConfig.MinVersion = tls.VersionTLS12
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg, fromDomain: from[strings.LastIndexByte(from, '@')+1:]}, nil
}

// Send delivers m, which must be of otp.ChannelEmail, to m.To. It returns
// once the server has accepted the message (250 after DATA).
func (s *Sender) Send(ctx context.Context, m otp.Message) (err error) {
	if m.Channel != otp.ChannelEmail {
		return fmt.Errorf("smtpsender: cannot send a %q message", m.Channel)
	}
	to, err := mailaddr.Normalize(m.To)
	if err != nil {
		return fmt.Errorf("smtpsender: recipient: %w", err)
	}
	msg, err := s.compose(to, m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtpsender: dial: %w", err)
	}
	// Every read and write is bounded by the deadline, and cancelling ctx
	// interrupts them.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer func() {
		if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
	}()

	if s.cfg.ImplicitTLS {
		tc := tls.Client(conn, s.cfg.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtpsender: tls: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.ServerName)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtpsender: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fmt.Errorf("smtpsender: EHLO: %w", err)
	}
	if !s.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.cfg.TLSConfig); err != nil {
				return fmt.Errorf("smtpsender: STARTTLS: %w", err)
			}
		} else if !s.cfg.AllowPlaintext {
			return errNoTLS
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtpsender: server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.ServerName)); err != nil {
			return fmt.Errorf("smtpsender: AUTH: %w", err)
		}
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return fmt.Errorf("smtpsender: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtpsender: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtpsender: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtpsender: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtpsender: DATA: %w", err)
	}
	// The message is accepted; a failed QUIT does not undo it.
	_ = c.Quit()
	return nil
}

// compose returns the RFC 5322 message: headers, then the body in
// quoted-printable, with CRLF line endings.
func (s *Sender) compose(to string, m otp.Message) ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("smtpsender: random: %w", err)
	}
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	from := "<" + s.cfg.From + ">"
	if s.cfg.FromName != "" {
		from = mime.QEncoding.Encode("utf-8", s.cfg.FromName) + " " + from
	}
	subject := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, m.Subject)
	header("From", from)
	header("To", "<"+to+">")
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", s.cfg.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+s.fromDomain+">")
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, fmt.Errorf("smtpsender: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("smtpsender: encode body: %w", err)
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
