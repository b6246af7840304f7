package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/password"
	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// engineDeps is what the engines are built from.
type engineDeps struct {
	config  *config
	hashKey []byte         // keyed hashes of codes, at least 32 bytes
	limiter verify.Limiter // the engines' own send limits
	logger  *slog.Logger
	// sender delivers e-mail and phone codes (openOutbox); nil serves
	// neither type.
	sender otp.Sender
	// devices keeps push enrollment tickets, sign-in transactions and
	// device accounts: the store when it implements push.Store (memory and
	// SQL stores do); nil serves no push.
	devices push.Store
	// pushNotifier sends push sign-in notifications (the outbox's "push"
	// lines); nil serves enrollment only.
	pushNotifier push.Notifier
	// observer receives the push device API's own events (the service's
	// observer).
	observer verify.Observer
	// routes receives the routes engines serve beside the My Account API
	// (the push device API), by ServeMux pattern; nil serves none.
	routes map[string]http.Handler
	// methods is read by the WebAuthn engines (excludeCredentials, the
	// user handle, duplicate credentials); nil serves no WebAuthn type.
	methods store.Methods
}

// buildEngines returns the engines the demo serves and a function
// releasing what they hold. To serve another method type, build its engine
// here (with a flag in parseFlags if it needs configuration) and append it.
func buildEngines(d engineDeps) ([]verify.Engine, func(), error) {
	closers := []func(){}
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	fail := func(err error) ([]verify.Engine, func(), error) {
		closeAll()
		return nil, nil, err
	}

	totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: d.config.issuer})
	if err != nil {
		return fail(fmt.Errorf("-issuer: %w", err))
	}
	recovery, err := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: d.hashKey})
	if err != nil {
		return fail(fmt.Errorf("-hash-key: %w", err))
	}
	engines := []verify.Engine{totp, recovery}

	// E-mail and phone codes go to a development outbox, never to real
	// addresses: the demo has no mail server or SMS gateway.
	if d.sender != nil {
		email, err := otp.NewEmail(otp.EmailConfig{HashKey: d.hashKey}, d.sender, d.limiter)
		if err != nil {
			return fail(err)
		}
		countries, err := d.config.abuse.countries()
		if err != nil {
			return fail(err)
		}
		// The send budgets against pumping (per client IP, number range,
		// country calling code and a ceiling) are the engine's defaults,
		// charged in d.limiter: with -redis, cluster-wide.
		phone, err := otp.NewPhone(otp.PhoneConfig{HashKey: d.hashKey, Countries: countries}, d.sender, d.limiter)
		if err != nil {
			return fail(fmt.Errorf("-phone-countries: %w", err))
		}
		engines = append(engines, email, phone)
		d.logger.Warn("e-mail and phone codes are written to the outbox in clear: a development setting", slog.String("outbox", d.config.outbox))
	}

	// The password of the demo user's own identity (password|<base64url of
	// the user id>), under the default policy — at least 15 characters, the
	// embedded dictionary and the user's profile data refused — plus a
	// history of the last 5 passwords; argon2id hashes kept in the store.
	if d.methods != nil {
		policy := password.DefaultPolicy()
		policy.History = password.History{Active: true, Size: 5}
		pw, err := password.New(d.methods, password.Config{Policy: &policy, Logger: d.logger})
		if err != nil {
			return fail(err)
		}
		engines = append(engines, pw)
	}

	// Push notifications: the authenticator app speaks Guardian's device
	// API under <base>/push/api/ (enroll, device-accounts,
	// resolve-transaction), next to the My Account API; sign-in
	// notifications go to the outbox.
	if d.devices == nil {
		d.logger.Info("push-notification is not served: the store does not implement push.Store")
	}
	if d.devices != nil && d.routes != nil {
		base := strings.TrimSuffix(strings.TrimSuffix(d.config.baseURL, "/"), "/me/v1") + "/push"
		p, err := push.New(push.Config{Issuer: d.config.issuer, BaseURL: base, Notifier: d.pushNotifier, Observer: d.observer}, d.devices, d.limiter)
		if err != nil {
			d.logger.Warn("push-notification is not served", slog.String("reason", err.Error()))
		} else {
			u, _ := url.Parse(p.EnrollURL())
			d.routes[strings.TrimSuffix(u.Path, "enroll")] = p.Handler()
			engines = append(engines, p)
		}
	}
	// Passkeys and security keys: WebAuthn ceremonies for -rp-id in the
	// -origin origins. Security keys (webauthn-roaming) are asked for their
	// attestation, shown in the method's record; the other types ask none.
	if d.methods != nil {
		webauthn, err := webauthnEngines(d)
		if err != nil {
			return fail(err)
		}
		engines = append(engines, webauthn...)
	}
	return engines, closeAll, nil
}

// openOutbox opens the development outbox of -outbox: a file opened for
// appending (0600), or standard error for "-"; nil when -outbox is not set.
// The push outbox writes push notifications to the same file.
func openOutbox(path string, stderr io.Writer) (otp.Sender, push.Notifier, func(), error) {
	switch path {
	case "":
		return nil, nil, func() {}, nil
	case "-":
		return otp.NewOutbox(stderr), newPushOutbox(stderr), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-outbox: %w", err)
	}
	return otp.NewOutbox(f), newPushOutbox(f), func() { _ = f.Close() }, nil
}

// webauthnEngines builds the passkey, webauthn-platform and
// webauthn-roaming engines. A configuration error is fatal when -rp-id or
// -origin was given; an origin derived from -base-url that does not suit
// the RP ID only leaves WebAuthn out, with a warning.
func webauthnEngines(d engineDeps) ([]verify.Engine, error) {
	c := d.config
	explicit := c.origin != ""
	if !explicit {
		c.origin = defaultOrigin(c.baseURL, c.rpID)
	}
	var related []string
	if c.relatedOrigins != "" {
		related = strings.Split(c.relatedOrigins, ",")
		wk, err := passkey.WellKnownWebAuthn(related)
		if err != nil {
			return nil, fmt.Errorf("-related-origins: %w", err)
		}
		if d.routes != nil {
			d.routes["GET /.well-known/webauthn"] = wk
		}
	}
	var names *passkey.AAGUIDNames
	if c.aaguidNames != "" {
		data, err := os.ReadFile(c.aaguidNames)
		if err != nil {
			return nil, fmt.Errorf("-aaguid-names: %w", err)
		}
		if names, err = passkey.ParseAAGUIDNames(data); err != nil {
			return nil, fmt.Errorf("-aaguid-names: %w", err)
		}
	}
	var engines []verify.Engine
	for _, typ := range []verify.Type{verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming} {
		cfg := passkey.Config{RPID: c.rpID, RPName: c.issuer, Origins: strings.Split(c.origin, ","), RelatedOrigins: related, Names: names}
		if typ == verify.TypeWebAuthnRoaming {
			cfg.Attestation = passkey.AttestationDirect
		}
		e, err := passkey.New(typ, d.methods, cfg)
		if err != nil && (explicit || c.rpID != "localhost") {
			return nil, fmt.Errorf("-rp-id, -origin: %w", err)
		}
		if err != nil {
			d.logger.Warn("passkeys are not served: give -origin (and -rp-id)", slog.String("reason", err.Error()))
			return nil, nil
		}
		engines = append(engines, e)
	}
	return engines, nil
}

// defaultOrigin is the origin of baseURL, the server's own; a loopback IP
// becomes localhost when the RP ID is localhost, since WebAuthn has no RP ID
// for an IP address.
func defaultOrigin(baseURL, rpID string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	host := u.Host
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() && rpID == "localhost" {
		host = "localhost"
		if p := u.Port(); p != "" {
			host += ":" + p
		}
	}
	return u.Scheme + "://" + host
}
