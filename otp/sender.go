package otp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/internal/jsoncompat"
)

// Channel is how a code travels to the user.
type Channel string

// The channels of the Email and Phone engines.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
	ChannelVoice Channel = "voice"
)

// id is the channel's byte in sealed states; 0 for an unknown channel.
func (c Channel) id() byte {
	switch c {
	case ChannelEmail:
		return 1
	case ChannelSMS:
		return 2
	case ChannelVoice:
		return 3
	}
	return 0
}

func channelOf(id byte) Channel {
	switch id {
	case 1:
		return ChannelEmail
	case 2:
		return ChannelSMS
	case 3:
		return ChannelVoice
	}
	return ""
}

// Message is one code to deliver. It carries the code in clear: a Sender
// must not log it, and must deliver it to To only.
type Message struct {
	Channel Channel
	// To is the destination, validated and normalised by the engine: an
	// addr-spec of printable ASCII for ChannelEmail, an E.164 number
	// ("+" and 8 to 15 digits) for ChannelSMS and ChannelVoice. It contains no CR, LF
	// or other control character.
	To string
	// Code is the one-time code, Digits ASCII digits.
	Code string
	// Subject is the e-mail subject line; empty for SMS and voice.
	Subject string
	// Text is the whole message body, containing Code: the e-mail body, the
	// SMS text or the words to speak.
	Text string
	// ExpiresAt is when the code stops being accepted.
	ExpiresAt time.Time
}

// Sender delivers codes. Send returns once the message is accepted for
// delivery (by the mail server, the SMS gateway); an error makes the
// enrollment start fail as an internal error (HTTP 500), never as a
// client mistake. Implementations must be safe for concurrent use and
// honour ctx.
//
// Shipped senders: Outbox (development), otp/smtpsender (e-mail over
// SMTP with STARTTLS and AUTH), otp/webhook (a signed JSON POST for SMS
// and voice gateways).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Outbox is a development Sender: it appends every message to a writer as
// one JSON line
//
//	{"channel":"email","to":"user@example.com","code":"012345","text":"…"}
//
// so that a developer, or an end-to-end test, reads codes from a file.
// It writes each line with a single Write call under a mutex; with a file
// opened O_APPEND, lines of concurrent processes do not interleave.
//
// The outbox holds live codes in clear: never use it in production.
type Outbox struct {
	mu sync.Mutex
	w  io.Writer
}

// NewOutbox returns an Outbox writing to w.
func NewOutbox(w io.Writer) *Outbox { return &Outbox{w: w} }

// OutboxLine is the JSON form of one Outbox line.
type OutboxLine struct {
	Channel Channel `json:"channel"`
	To      string  `json:"to"`
	Code    string  `json:"code"`
	Text    string  `json:"text"`
}

var errNoOutbox = errors.New("otp: outbox has no writer")

// Send appends m to the outbox.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o == nil || o.w == nil {
		return errNoOutbox
	}
	line, err := json.Marshal(OutboxLine{Channel: m.Channel, To: m.To, Code: m.Code, Text: m.Text}, jsoncompat.SentBytes)
	if err != nil {
		return fmt.Errorf("otp: outbox: %w", err)
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.w.Write(line); err != nil {
		return fmt.Errorf("otp: outbox: %w", err)
	}
	return nil
}
