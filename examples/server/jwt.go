package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// jwtAuthenticator returns the authenticator of -jwks, -iss and -aud: JWT
// access tokens signed by the keys of the JWKS (a file, or an https URL),
// presented as Bearer or, bound to a client key, with DPoP. DPoP proofs'
// htu must name the server as -base-url does. Proof jtis are recorded in
// st when it can hold them, else in this process's memory.
func jwtAuthenticator(c *config, st store.Store, logger *slog.Logger) (httpapi.Authenticator, error) {
	u, err := url.Parse(c.baseURL)
	if err != nil {
		return nil, fmt.Errorf("-base-url: %w", err)
	}
	nonces, ok := st.(store.Nonces)
	if !ok {
		m, err := memory.New(memory.Config{})
		if err != nil {
			return nil, err
		}
		nonces = m
		logger.Warn("-store cannot record DPoP proofs: using this process's memory; a proof replayed to another process is not detected")
	}
	cfg := tokenauth.Config{
		Issuer:     c.jwtIssuer,
		Audience:   c.audience,
		PublicURL:  u.Scheme + "://" + u.Host,
		NameClaim:  "name",
		EmailClaim: "email",

		RequireATJWT:     c.abuse.requireATJWT,
		MaxTokenLifetime: c.abuse.maxTokenLifetime,
		DPoPNonces:       c.dpopNonces,
	}
	if strings.HasPrefix(c.jwks, "https://") {
		cfg.JWKSURL = c.jwks
	} else {
		cfg.JWKSFile = c.jwks
	}
	auth, err := tokenauth.New(cfg, nonces)
	if err != nil {
		return nil, fmt.Errorf("-jwks, -iss, -aud: %w", err)
	}
	return auth, nil
}
