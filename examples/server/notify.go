package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/verify"
)

// Bounds of a notifier.
const (
	notifyQueue   = 64               // notices waiting for the sender; more are dropped
	notifyTimeout = 10 * time.Second // per message
)

// notifier is a verify.Observer that tells a user by e-mail, through an
// otp.Sender, when an authentication method is added to or removed from
// their account (SECURITY-CHECKLIST PU-06; NIST SP 800-63B §6.1.2.1: "the
// CSP SHOULD send a notification of the event to the subscriber"). The
// message names the method type, the time and the client's address; never
// a code, secret, method id or auth_session (events carry none).
//
// Observe never blocks and never fails the enrollment: it queues the
// notice (at most notifyQueue; beyond that it is dropped and logged) for
// one goroutine that sends each with a timeout and logs failures. close
// sends what is queued, within its context.
type notifier struct {
	sender otp.Sender
	email  func(subject string) string // the subject's address, "" if unknown
	log    *slog.Logger

	mu     sync.RWMutex // guards closed against Observe's send on queue
	closed bool
	queue  chan otp.Message
	done   chan struct{}
}

var _ verify.Observer = (*notifier)(nil)

func newNotifier(sender otp.Sender, email func(string) string, logger *slog.Logger) *notifier {
	n := &notifier{sender: sender, email: email, log: logger, queue: make(chan otp.Message, notifyQueue), done: make(chan struct{})}
	go n.run()
	return n
}

// Observe queues the notification of a confirmed or deleted method.
func (n *notifier) Observe(ctx context.Context, e verify.Event) {
	var subject, verb string
	switch e.Kind {
	case verify.EventConfirmed:
		subject, verb = "A sign-in method was added to your account", "added to"
		if e.Type == verify.TypePassword {
			subject = "Your password was set"
		}
	case verify.EventDeleted:
		subject, verb = "A sign-in method was removed from your account", "removed from"
	default:
		return
	}
	to := n.email(e.Subject)
	if to == "" {
		n.log.LogAttrs(ctx, slog.LevelDebug, "notification not sent: no e-mail address for the user",
			slog.String("user", e.Subject), slog.String("event", string(e.Kind)))
		return
	}
	text := fmt.Sprintf("%s was %s your account on %s UTC", describe(e.Type), verb, e.Time.UTC().Format("2006-01-02 15:04"))
	if e.Type == verify.TypePassword && e.Kind == verify.EventConfirmed {
		text = fmt.Sprintf("The password of your account was set on %s UTC", e.Time.UTC().Format("2006-01-02 15:04"))
	}
	if e.Client.IP != "" {
		text += " from the address " + e.Client.IP
	}
	text += ".\n\nIf this was you, there is nothing to do. If it was not, sign in, review your sign-in methods and change your password.\n"
	m := otp.Message{Channel: otp.ChannelEmail, To: to, Subject: subject, Text: text}

	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		n.dropped(ctx, e, "the notifier is closed")
		return
	}
	select {
	case n.queue <- m:
	default:
		n.dropped(ctx, e, "the queue is full")
	}
}

func (n *notifier) dropped(ctx context.Context, e verify.Event, why string) {
	n.log.LogAttrs(ctx, slog.LevelWarn, "notification dropped: "+why,
		slog.String("user", e.Subject), slog.String("event", string(e.Kind)), slog.String("type", string(e.Type)))
}

func (n *notifier) run() {
	defer close(n.done)
	for m := range n.queue {
		ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
		err := n.sender.Send(ctx, m)
		cancel()
		if err != nil {
			// The message itself is not logged, only its subject line and
			// the sender's error.
			n.log.LogAttrs(context.Background(), slog.LevelWarn, "notification failed",
				slog.String("subject", m.Subject), slog.String("error", err.Error()))
		}
	}
}

// close stops accepting notices and waits, until ctx is done, for the
// queued ones to be sent. It reports whether all were.
func (n *notifier) close(ctx context.Context) bool {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
		return true
	case <-ctx.Done():
		n.log.Warn("notifications still queued at shutdown are not sent", slog.Int("queued", len(n.queue)))
		return false
	}
}

// describe names a method type for a message to its owner.
func describe(t verify.Type) string {
	switch t {
	case verify.TypePassword:
		return "A password"
	case verify.TypePasskey:
		return "A passkey"
	case verify.TypeWebAuthnPlatform:
		return "A device's built-in security key (such as Touch ID or Windows Hello)"
	case verify.TypeWebAuthnRoaming:
		return "A security key"
	case verify.TypeTOTP:
		return "An authenticator app"
	case verify.TypePhone:
		return "A phone number for sign-in codes"
	case verify.TypeEmail:
		return "An e-mail address for sign-in codes"
	case verify.TypePushNotification:
		return "A device for push notifications"
	case verify.TypeRecoveryCode:
		return "A recovery code"
	}
	return "A sign-in method"
}
