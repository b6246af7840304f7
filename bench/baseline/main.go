// Command baseline is the floor of bench/run's HTTP comparison: a bare
// net/http server with one handler that reads the request body and
// answers 200 with a fixed JSON body, behind the same http.Server settings
// as examples/server. Whatever examples/server does per request beyond
// this — authentication, rate limiting, strict JSON, the verify.Service,
// its engines, store and sealer, the problem and event plumbing — is what
// the comparison measures.
//
//	go run ./bench/baseline [-addr 127.0.0.1:8081]
//
// It prints "listening on http://ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/verifykit/verifykit/bench/internal/serve"
)

// body is a fixed JSON answer, about the size of examples/server's answer
// to a TOTP start.
var body = []byte(`{"id":"totp|dev_0123456789abcdef","auth_session":"` +
	"Fe26.2*demo*0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef*AAECAwQFBgcICQoLDA0ODw*" +
	"n-pN2r4WuCxmScefF4BFSjCi5wWreGOn1hIjPxtIMJBr0U0g6oy0MyWb5_ImZ8ft*1700000300000*" +
	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210*eutEPMCDmzHSFf6UQ87w5S824ot3ykzaeEAkM36AnYI" +
	`","barcode_uri":"otpauth://totp/verifykit%20demo:demo@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=verifykit%20demo&algorithm=SHA1&digits=6&period=30",` +
	`"manual_input_code":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	return serve.Run(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}
