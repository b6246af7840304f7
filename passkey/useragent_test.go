package passkey

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/verifykit/verifykit/verify"
)

func TestSummarizeUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"":          "",
		chromeMacUA: "Chrome 131.0.0 / Mac OS X 10.15.7",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":                              "HeadlessChrome 156.0.0 / Linux",
		"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1":     "Chrome 120.0.6099 / iOS 16.6",
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":                             "Chrome 126.0.0 / Chrome OS",
		"Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36 OPR/95.0.0.0":                "Opera 95.0.0 / Windows 7",
		"Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36": "Samsung Internet 23.0.0 / Android 13",
		"Mozilla/5.0 (Windows NT 5.1) Firefox/": "Firefox 0.0.0 / Windows",
		"Chrome/99999999999999999999.1":         "Chrome 99999999.0.0 / Other",
		// The cases of the former ExampleSummarizeUserAgent.
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari 17.5.0 / iOS 17.5.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                          "Firefox 133.0.0 / Windows 10",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36":                "Chrome 131.0.6778 / Android 14",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86":         "Edge 131.0.2903 / Windows 10",
		"curl/8.5.0": "Other / Other",
	} {
		assert.Equal(t, want, summarizeUserAgent(ua), ua)
	}
	// Whatever the header, the summary is names and digits only, bounded.
	safe := regexp.MustCompile(`^[A-Za-z0-9 ./]{0,80}$`)
	for _, ua := range []string{
		"Chrome/1<script>alert(1)</script>", "Firefox/\x00\n\r", strings.Repeat("Chrome/1.", 10000),
		"Mac OS X " + strings.Repeat("1_", 5000), "Android \u202e1",
	} {
		assert.Regexp(t, safe, summarizeUserAgent(ua), ua)
	}
}

func TestConfig(t *testing.T) {
	st := newHarness(t, verify.TypePasskey, nil).store
	ok := baseConfig()
	for name, f := range map[string]func(*Config){
		"no RPID":                    func(c *Config) { c.RPID = "" },
		"IP RPID":                    func(c *Config) { c.RPID = "127.0.0.1" },
		"uppercase RPID":             func(c *Config) { c.RPID = "Example.org" },
		"no origins":                 func(c *Config) { c.Origins = nil },
		"http origin":                func(c *Config) { c.Origins = []string{"http://example.org"} },
		"origin path":                func(c *Config) { c.Origins = []string{"https://example.org/login"} },
		"origin default port":        func(c *Config) { c.Origins = []string{"https://example.org:443"} },
		"origin of another site":     func(c *Config) { c.Origins = []string{"https://example.com"} },
		"origin suffix trick":        func(c *Config) { c.Origins = []string{"https://evilexample.org"} },
		"android origin padding":     func(c *Config) { c.Origins = []string{"android:apk-key-hash:abc="} },
		"top origins without iframe": func(c *Config) { c.TopOrigins = []string{"https://example.com"} },
		"passkey UV discouraged":     func(c *Config) { c.UserVerification = UVDiscouraged },
		"unknown UV":                 func(c *Config) { c.UserVerification = "always" },
		"enterprise attestation":     func(c *Config) { c.Attestation = "enterprise" },
		"none with allow-list": func(c *Config) {
			c.Attestation = AttestationNone
			c.Trust.AllowedAAGUIDs = []uuidT{{1}}
		},
		"both allowed and denied": func(c *Config) {
			c.Trust.AllowedAAGUIDs, c.Trust.DeniedAAGUIDs, c.Formats = []uuidT{{1}}, []uuidT{{1}}, []string{FormatApple}
		},
		"trusted without anchors": func(c *Config) {
			c.Trust.RequireTrustedAttestation, c.Formats = true, []string{FormatNone, FormatPacked}
		},
		"RS1":             func(c *Config) { c.Algorithms = []int64{-65535} },
		"repeated alg":    func(c *Config) { c.Algorithms = []int64{-7, -7} },
		"unknown format":  func(c *Config) { c.Formats = []string{"compound"} },
		"challenge 16":    func(c *Config) { c.ChallengeSize = 16 },
		"client data cap": func(c *Config) { c.MaxClientDataJSON = 100 },
		"RP name control": func(c *Config) { c.RPName = "a\nb" },
	} {
		cfg := ok
		f(&cfg)
		_, err := New(verify.TypePasskey, st, cfg)
		assert.ErrorIs(t, err, ErrConfig, name)
	}
	_, err := New(verify.TypePasskey, nil, ok)
	assert.ErrorIs(t, err, ErrConfig, "nil store")
	_, err = New("totp", st, ok)
	assert.ErrorIs(t, err, ErrConfig, "not a WebAuthn type")
	for name, f := range map[string]func(*Config){
		"localhost":        func(c *Config) { c.RPID, c.Origins = "localhost", []string{"http://localhost:8080"} },
		"subdomain origin": func(c *Config) { c.Origins = []string{"https://login.example.org", "https://example.org"} },
		"android":          func(c *Config) { c.Origins = append(c.Origins, "android:apk-key-hash:abc-_") },
		"iframe":           func(c *Config) { c.AllowCrossOrigin, c.TopOrigins = true, []string{"https://partner.example"} },
		"apple only trust": func(c *Config) { c.Trust.RequireTrustedAttestation, c.Formats = true, []string{FormatApple} },
	} {
		cfg := ok
		f(&cfg)
		_, err := New(verify.TypePasskey, st, cfg)
		assert.NoError(t, err, name)
	}
}
