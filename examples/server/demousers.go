package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// demoUsers is the authenticator of -demo-users: besides the demo token,
// it accepts TOKEN.NAME and acts for the user USER.NAME, with every scope.
// One token then stands for many users: to show that one user's
// auth_session or method does not work for another, or to load the server
// with more enrollments than one user may hold (verify.Config.MaxMethods).
// Like the demo token itself, it is for demos and tests only.
type demoUsers struct {
	digest [sha256.Size]byte // of the demo token
	base   httpapi.Principal // the demo user's principal, as a template
	demo   httpapi.Authenticator
}

// maxDemoName bounds NAME in TOKEN.NAME.
const maxDemoName = 32

func newDemoUsers(token string, subject verify.Subject, demo httpapi.Authenticator) *demoUsers {
	return &demoUsers{
		digest: sha256.Sum256([]byte(token)),
		base:   httpapi.Principal{Subject: subject, Scopes: httpapi.AllScopes()},
		demo:   demo,
	}
}

// Authenticate implements httpapi.Authenticator.
func (d *demoUsers) Authenticate(r *http.Request) (httpapi.Principal, error) {
	tok, err := httpapi.BearerToken(r)
	if err != nil {
		return httpapi.Principal{}, err
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return d.demo.Authenticate(r)
	}
	prefix, name := tok[:i], tok[i+1:]
	got := sha256.Sum256([]byte(prefix))
	if subtle.ConstantTimeCompare(got[:], d.digest[:]) != 1 || !demoName(name) {
		return d.demo.Authenticate(r) // TOKEN itself may contain '.'
	}
	p := d.base
	p.Subject.ID += "." + name
	p.Subject.Username += "." + name
	p.Subject.Email = "" // only the demo user has an address for notifications
	return p, nil
}

func demoName(s string) bool {
	if len(s) < 1 || len(s) > maxDemoName {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
