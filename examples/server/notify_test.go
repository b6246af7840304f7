package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/verify"
)

var notifyTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func demoEmails(sub string) string {
	if sub == "auth0|demo" {
		return "demo@example.com"
	}
	return ""
}

func event(kind verify.EventKind, typ verify.Type) verify.Event {
	return verify.Event{Kind: kind, Time: notifyTime, Subject: "auth0|demo", Type: typ, MethodID: string(typ) + "|dev_SECRETLOOKINGID", Client: verify.Client{IP: "192.0.2.7", UserAgent: "curl/8"}}
}

func outboxLines(t *testing.T, b *lockedBuffer) []otp.OutboxLine {
	t.Helper()
	var lines []otp.OutboxLine
	for _, l := range bytes.Split(bytes.TrimSpace([]byte(b.String())), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var line otp.OutboxLine
		require.NoError(t, json.Unmarshal(l, &line), string(l))
		lines = append(lines, line)
	}
	return lines
}

// TestNotifier pins PU-06: adding (and removing) a method notifies its
// owner once, over the e-mail sender, with the method type and no secret;
// no other event notifies.
func TestNotifier(t *testing.T) {
	out := &lockedBuffer{}
	logs := &lockedBuffer{}
	n := newNotifier(otp.NewOutbox(out), demoEmails, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, k := range []verify.EventKind{verify.EventStarted, verify.EventFailed, verify.EventUpdated} {
		n.Observe(context.Background(), event(k, verify.TypeTOTP))
	}
	n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypeTOTP))
	n.Observe(context.Background(), event(verify.EventDeleted, verify.TypeRecoveryCode))
	n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypePassword))
	other := event(verify.EventConfirmed, verify.TypeTOTP)
	other.Subject = "auth0|someone-else"
	n.Observe(context.Background(), other)
	require.True(t, n.close(context.Background()))

	lines := outboxLines(t, out)
	require.Len(t, lines, 3)
	for _, l := range lines {
		assert.Equal(t, otp.ChannelEmail, l.Channel)
		assert.Equal(t, "demo@example.com", l.To)
		assert.Empty(t, l.Code)
		assert.NotContains(t, l.Text, "dev_SECRETLOOKINGID", "no method id")
		assert.NotContains(t, l.Text, "Fe26")
		assert.Contains(t, l.Text, "2026-03-04 05:06 UTC")
		assert.Contains(t, l.Text, "192.0.2.7")
	}
	assert.Equal(t, "An authenticator app was added to your account on 2026-03-04 05:06 UTC from the address 192.0.2.7.\n\n"+
		"If this was you, there is nothing to do. If it was not, sign in, review your sign-in methods and change your password.\n", lines[0].Text)
	assert.True(t, strings.HasPrefix(lines[1].Text, "A recovery code was removed from your account"), lines[1].Text)
	assert.True(t, strings.HasPrefix(lines[2].Text, "The password of your account was set"), lines[2].Text)
	assert.Contains(t, logs.String(), "no e-mail address for the user")

	// After close, notices are dropped, not sent and not panicking.
	n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypeTOTP))
	assert.Len(t, outboxLines(t, out), 3)
	assert.Contains(t, logs.String(), "notification dropped: the notifier is closed")
}

// blockingSender blocks every Send until released, and reports when the
// first one started.
type blockingSender struct {
	started chan struct{}
	once    sync.Once
	release chan struct{}
	mu      sync.Mutex
	sent    int
}

func (s *blockingSender) Send(ctx context.Context, _ otp.Message) error {
	s.once.Do(func() { close(s.started) })
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	s.sent++
	s.mu.Unlock()
	return nil
}

// TestNotifierNeverBlocks: a stuck sender delays no enrollment. Observe
// returns at once whatever the sender does; beyond the queue, notices are
// dropped and logged; close waits only as long as its context allows.
func TestNotifierNeverBlocks(t *testing.T) {
	s := &blockingSender{started: make(chan struct{}), release: make(chan struct{})}
	logs := &lockedBuffer{}
	n := newNotifier(s, demoEmails, slog.New(slog.NewJSONHandler(logs, nil)))
	n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypeTOTP))
	<-s.started // the worker holds one notice in Send
	for range notifyQueue + 3 {
		n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypeTOTP))
	}
	assert.Equal(t, 3, strings.Count(logs.String(), "notification dropped: the queue is full"))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, n.close(cancelled), "a stuck sender does not hold up shutdown")
	assert.Contains(t, logs.String(), "notifications still queued at shutdown")

	close(s.release)
	require.True(t, n.close(context.Background()), "close again waits for the queue")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, notifyQueue+1, s.sent)
}

// TestNotifierSenderFailure: a failing sender is logged, without the
// message, and the next notice still goes out.
func TestNotifierSenderFailure(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	sender := otp.SenderFunc(func(context.Context, otp.Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return errors.New("smtp: 451 try again later")
		}
		return nil
	})
	logs := &lockedBuffer{}
	n := newNotifier(sender, demoEmails, slog.New(slog.NewJSONHandler(logs, nil)))
	n.Observe(context.Background(), event(verify.EventConfirmed, verify.TypeTOTP))
	n.Observe(context.Background(), event(verify.EventDeleted, verify.TypeTOTP))
	require.True(t, n.close(context.Background()))
	assert.Equal(t, 2, calls)
	assert.Contains(t, logs.String(), "notification failed")
	assert.Contains(t, logs.String(), "451 try again later")
	assert.NotContains(t, logs.String(), "demo@example.com")
	assert.NotContains(t, logs.String(), "If this was you")
}
