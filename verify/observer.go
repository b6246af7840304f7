package verify

import (
	"context"
	"log/slog"
	"time"
)

// SlogObserver returns an Observer that logs every event to logger: started
// and confirmed at Info, failures at Warn (Error when internal). Events carry
// no secrets, so neither do the log records.
func SlogObserver(logger *slog.Logger) Observer { return slogObserver{logger} }

type slogObserver struct{ l *slog.Logger }

func (o slogObserver) Observe(ctx context.Context, e Event) {
	level := slog.LevelInfo
	switch {
	case (e.Kind == EventFailed || e.Kind == EventSignInFailed) && e.Internal:
		level = slog.LevelError
	case e.Kind == EventFailed || e.Kind == EventSignInFailed:
		level = slog.LevelWarn
	}
	// The attributes are built on the stack and the message is a constant
	// for the known kinds: an event line allocates nothing of its own.
	var a [6]slog.Attr
	attrs := append(a[:0],
		slog.String("event", string(e.Kind)),
		slog.String("user", e.Subject),
		slog.String("type", string(e.Type)),
		slog.String("method_id", e.MethodID),
	)
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.Client.IP != "" {
		attrs = append(attrs, slog.String("ip", e.Client.IP))
	}
	// The record is handed to the handler directly, as Logger.LogAttrs
	// would, but without the caller's program counter: LogAttrs takes it
	// with runtime.Callers on every line (a quarter of a microsecond), and
	// here it would only ever name this function.
	h := o.l.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, eventMessage(e.Kind), 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}

// eventMessage is "verifykit " and the kind.
func eventMessage(k EventKind) string {
	switch k {
	case EventStarted:
		return "verifykit " + string(EventStarted)
	case EventConfirmed:
		return "verifykit " + string(EventConfirmed)
	case EventFailed:
		return "verifykit " + string(EventFailed)
	case EventDeleted:
		return "verifykit " + string(EventDeleted)
	case EventUpdated:
		return "verifykit " + string(EventUpdated)
	case EventSignedIn:
		return "verifykit " + string(EventSignedIn)
	case EventSignInFailed:
		return "verifykit " + string(EventSignInFailed)
	}
	return "verifykit " + string(k)
}

// Observers fans events out to several observers in order.
func Observers(obs ...Observer) Observer { return multiObserver(obs) }

type multiObserver []Observer

func (m multiObserver) Observe(ctx context.Context, e Event) {
	for _, o := range m {
		if o != nil {
			o.Observe(ctx, e)
		}
	}
}
