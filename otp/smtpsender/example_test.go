package smtpsender_test

import (
	"fmt"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/otp/smtpsender"
	"github.com/verifykit/verifykit/ratelimit"
)

// Wiring the SMTP sender into the e-mail engine: submission port 587 with
// STARTTLS and AUTH PLAIN, certificates verified against the system roots.
func ExampleNew() {
	sender, err := smtpsender.New(smtpsender.Config{
		Addr:     "smtp.example.com:587",
		From:     "no-reply@example.com",
		FromName: "Example ID",
		Username: "mailer",
		Password: "from-your-secret-store",
		Timeout:  10 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	email, err := otp.NewEmail(otp.EmailConfig{HashKey: []byte("example-hash-key-of-32-bytes-0123")}, sender, limiter)
	if err != nil {
		panic(err)
	}
	fmt.Println(email.Type(), "codes go through", fmt.Sprintf("%T", sender))

	// Credentials are never sent in clear: plaintext delivery is for a
	// development relay without AUTH only.
	_, err = smtpsender.New(smtpsender.Config{
		Addr: "127.0.0.1:25", From: "no-reply@example.com",
		Username: "mailer", Password: "x", AllowPlaintext: true,
	})
	fmt.Println(err)
	// Output:
	// email codes go through *smtpsender.Sender
	// smtpsender: invalid config: AllowPlaintext with credentials: credentials are only sent over TLS
}
