package main

import (
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
)

func TestParseGoBench(t *testing.T) {
	out := []byte(`goos: linux
goarch: amd64
pkg: github.com/verifykit/verifykit/session
cpu: Intel(R) Xeon(R) Processor
BenchmarkSealUnseal-2   	  163731	      8045 ns/op	    3129 B/op	       8 allocs/op
BenchmarkPrimitives     	  181032	      6561.5 ns/op
--- FAIL: BenchmarkOther-2
PASS
`)
	got := parseGoBench(out)
	require.Len(t, got, 2)
	assert.Equal(t, goResult{ns: 8045, allocs: 8}, got["BenchmarkSealUnseal"])
	assert.Equal(t, 6561.5, got["BenchmarkPrimitives"].ns)
	assert.True(t, math.IsNaN(got["BenchmarkPrimitives"].allocs), "no -benchmem column: allocs unknown")
}

func TestParseNode(t *testing.T) {
	ns, cpu, err := parseNode([]byte(`{"ns_per_op":105224.07,"cpu_ns_per_op":98000.5,"runs":[{"iterations":9504,"ns_per_op":105224}],"node":"v20.20.2"}` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, 105224.07, ns)
	assert.Equal(t, 98000.5, cpu)
	for _, bad := range []string{``, `{}`, `{"ns_per_op":1}`, `{"ns_per_op":0,"cpu_ns_per_op":1}`, `{"ns_per_op":-1,"cpu_ns_per_op":1}`, `not json`} {
		_, _, err := parseNode([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestParseWrk(t *testing.T) {
	w, err := parseWrk([]byte(`Running 5s test @ http://127.0.0.1:41025
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.77ms    3.66ms  69.02ms   85.87%
    Req/Sec    20.92k     3.11k   24.13k    67.61%
  104107 requests in 5.00s, 43.42MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 17
Requests/sec:  20821.43
Transfer/sec:      8.68MB
pool: size 60000 used 60000 over 12
`))
	require.NoError(t, err)
	assert.Equal(t, wrkResult{requests: 104107, rps: 20821.43, non2xx: 17, socketErrors: 3, poolUsed: 60000, poolOver: 12}, w)

	w, err = parseWrk([]byte("  10 requests in 1.00s, 1KB read\nRequests/sec:     10.00\n"))
	require.NoError(t, err)
	assert.Equal(t, wrkResult{requests: 10, rps: 10}, w)
	_, err = parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n"))
	assert.Error(t, err)
}

func TestMedianAndFormat(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.True(t, math.IsNaN(median(nil)))
	assert.Equal(t, "1,234,568", thousands(1234567.6))
	assert.Equal(t, "999", thousands(999))
	assert.Equal(t, "1,000", thousands(1000))
}

func TestSelectGroups(t *testing.T) {
	all, err := selectGroups("")
	require.NoError(t, err)
	assert.Len(t, all, len(allGroups))
	some, err := selectGroups("totp, http")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{groupTOTP: true, groupHTTP: true}, some)
	_, err = selectGroups("totp,disk")
	assert.ErrorContains(t, err, `unknown group "disk"`)
}

// TestCodeAt: the pool's codes are those of the enrollment's otpauth URI,
// with its algorithm, digits and period, at the time asked.
func TestCodeAt(t *testing.T) {
	k := otp.TOTPKey{Algorithm: otp.SHA256, Digits: 8, Period: 60 * time.Second, Secret: []byte("12345678901234567890123456789012")}
	at := time.Now().Add(codeLead)
	want, err := k.Code(at)
	require.NoError(t, err)
	got, err := codeAt(k.URI("verifykit demo", "demo@example.com"), at)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	_, err = codeAt("https://example.com/?secret=AAAA", at)
	assert.Error(t, err)
	_, err = codeAt("otpauth://totp/x?secret="+url.QueryEscape("not base32!"), at)
	assert.Error(t, err)
}
