package main

import (
	"context"
	"io"
	"sync"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/push"
)

// pushOutbox is the development push.Notifier of -outbox: it appends every
// sign-in notification to the outbox as one JSON line
//
//	{"channel":"push","service":"FCM","to":"<push token>","device":"<identifier>","title":"…","body":"…","data":{"txtkn":…,"c":…,"dai":…,"sh":…,"d":…,"s":…}}
//
// whose data are Guardian's payload keys, so that a test device reads its
// notifications from the file as an app receives them from FCM or APNs.
// Each line is a single Write, like otp.Outbox's.
type pushOutbox struct {
	mu sync.Mutex
	w  io.Writer
}

func newPushOutbox(w io.Writer) *pushOutbox { return &pushOutbox{w: w} }

// pushOutboxLine is one line of the push outbox.
type pushOutboxLine struct {
	Channel string            `json:"channel"` // "push"
	Service string            `json:"service"`
	To      string            `json:"to"`
	Device  string            `json:"device"`
	Title   string            `json:"title"`
	Body    string            `json:"body"`
	Data    map[string]string `json:"data"`
}

// Notify implements push.Notifier.
func (o *pushOutbox) Notify(ctx context.Context, d push.Device, n push.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(pushOutboxLine{
		Channel: "push", Service: d.Service, To: d.Token, Device: d.Identifier,
		Title: n.Title, Body: n.Body, Data: n.Data(),
	}, json.Deterministic(true))
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err = o.w.Write(append(b, '\n'))
	return err
}
