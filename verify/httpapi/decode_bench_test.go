package httpapi

import (
	"strings"
	"testing"
)

// benchLimits are the defaults of Config.
var benchLimits = &Config{MaxDepth: defaultMaxDepth, MaxAuthSession: defaultMaxAuthSession,
	MaxAttestationObject: specMaxAttestationObject, MaxClientDataJSON: specMaxClientDataJSON}

// BenchmarkDecodeVerify decodes the body of a TOTP confirm: an
// auth_session of the size verify.Service seals for TOTP, and a code.
func BenchmarkDecodeVerify(b *testing.B) {
	body := []byte(`{"auth_session":"Fe26.2*demo*` + strings.Repeat("0123456789abcdef", 24) + `*1700000300000*` +
		strings.Repeat("A", 43) + `","otp_code":"123456"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeVerify(body, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStart decodes {"type":"totp"}.
func BenchmarkDecodeStart(b *testing.B) {
	body := []byte(`{"type":"totp"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeStart(body, benchLimits); err != nil {
			b.Fatal(err)
		}
	}
}
