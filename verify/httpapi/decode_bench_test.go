package httpapi

import (
	"strings"
	"testing"
)

// benchHandler decodes with the defaults of Config.
var benchHandler = &Handler{
	cfg: Config{MaxDepth: defaultMaxDepth, MaxAuthSession: defaultMaxAuthSession,
		MaxAttestationObject: specMaxAttestationObject, MaxClientDataJSON: specMaxClientDataJSON},
	decodeOpts: decodeOptions(defaultMaxDepth),
}

// BenchmarkDecodeVerify decodes the body of a TOTP confirm: an
// auth_session of the size verify.Service seals for TOTP, and a code.
func BenchmarkDecodeVerify(b *testing.B) {
	body := []byte(`{"auth_session":"Fe26.2*demo*` + strings.Repeat("0123456789abcdef", 24) + `*1700000300000*` +
		strings.Repeat("A", 43) + `","otp_code":"123456"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchHandler.decodeProof(body, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStart decodes {"type":"totp"}.
func BenchmarkDecodeStart(b *testing.B) {
	body := []byte(`{"type":"totp"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchHandler.decodeStart(body); err != nil {
			b.Fatal(err)
		}
	}
}
