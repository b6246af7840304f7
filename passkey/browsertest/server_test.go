package browsertest

import (
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// server is the API under test, reached at origin.
type server struct {
	origin  string // http://localhost:PORT
	baseURL string // origin + "/me/v1"
	token   string
	user    string
}

// startServer serves the API in process (httpapi + the passkey engines).
func startServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	s := &server{origin: "http://localhost:" + port, token: "browsertest-token-0123456789abcdef", user: "auth0|browser"}
	s.baseURL = s.origin + "/me/v1"
	st, err := memory.New(memory.Config{})
	require.NoError(t, err)
	var engines []verify.Engine
	for _, typ := range []verify.Type{verify.TypePasskey, verify.TypeWebAuthnRoaming} {
		e, err := passkey.New(typ, st, passkey.Config{RPID: "localhost", RPName: "verifykit browser test", Origins: []string{s.origin}})
		require.NoError(t, err)
		engines = append(engines, e)
	}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k", Password: "Zp3Lw8Qm2Xr7Tn4Vb9Kc6Hd1Jf5Gs0Ya-Ue_Io"}}})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: engines, Sealer: sealer, Store: st})
	require.NoError(t, err)
	auth, err := httpapi.NewStaticBearer(httpapi.StaticToken{Token: s.token, Principal: httpapi.Principal{
		Subject: verify.Subject{ID: s.user, Name: "Browser Test", Username: "browser"}, Scopes: httpapi.AllScopes()}})
	require.NoError(t, err)
	api, err := httpapi.New(httpapi.Config{Verifier: svc, Authenticator: auth, Limiter: ratelimit.Unlimited(nil), BaseURL: s.baseURL})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/me/v1/", api)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>test</title>"))
	})
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return s
}
