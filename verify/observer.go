package verify

import (
	"context"
	"log/slog"
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
	attrs := []slog.Attr{
		slog.String("event", string(e.Kind)),
		slog.String("user", e.Subject),
		slog.String("type", string(e.Type)),
		slog.String("method_id", e.MethodID),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.Client.IP != "" {
		attrs = append(attrs, slog.String("ip", e.Client.IP))
	}
	o.l.LogAttrs(ctx, level, "verifykit "+string(e.Kind), attrs...)
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
