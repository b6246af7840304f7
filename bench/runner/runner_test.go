package main

import (
	"math"
	"net/url"
	"strings"
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

// TestTableComputesEveryGoal: from per-round values of every metric, the
// table computes each goal's ratio from the right quantity (ns/op, the
// share of a bare handler's requests per second, the server's CPU per
// request), in the right direction, as the median of the per-round
// ratios, and marks it met or missed; rows for context have no verdict.
func TestTableComputesEveryGoal(t *testing.T) {
	r := &runner{results: map[string]*metric{}}
	set := func(name string, ns, rps, cpu []float64) {
		m := r.metric(name)
		m.ns, m.rps, m.cpu = ns, rps, cpu
	}
	set("go:BenchmarkSealUnseal", []float64{10_000, 10_000, 10_000}, nil, nil)
	set("node:iron", []float64{300_000, 150_000, 250_000}, nil, []float64{1, 1, 1}) // 30, 15, 25× → 25
	set("node:iron-1cpu", []float64{90_000, 90_000, 90_000}, nil, []float64{1, 1, 1})
	set("go:BenchmarkPrimitives", []float64{8_000, 8_000, 7_000}, nil, nil) // 1.25, 1.25, 1.43 → 1.25
	set("go:BenchmarkTOTPConfirmService", []float64{9_000, 9_000, 9_000}, nil, nil)
	set("go:BenchmarkValidateCustomBaseline", []float64{2_000, 2_000, 2_000}, nil, nil) // 4.5 → missed
	set("go:BenchmarkChromiumConfirm", []float64{100_000, 100_000, 100_000}, nil, nil)
	set("go:BenchmarkChromiumGoWebAuthn", []float64{95_000, 95_000, 95_000}, nil, nil)
	set("go:BenchmarkChromiumP256Verify", []float64{60_000, 60_000, 60_000}, nil, nil)
	set("node:simplewebauthn", []float64{1_600_000, 1_600_000, 1_600_000}, nil, []float64{1, 1, 1})
	set("go:BenchmarkChromiumAuthenticate", []float64{120_000, 110_000, 100_000}, nil, nil)
	set("go:BenchmarkChromiumGoWebAuthnLogin", []float64{100_000, 100_000, 100_000}, nil, nil) // 1.2, 1.1, 1.0 → 1.1
	set("node:simplewebauthn-auth", []float64{1_000_000, 1_000_000, 1_000_000}, nil, []float64{1, 1, 1})
	set("http:start", nil, []float64{40_000, 36_000, 30_000}, []float64{30_000, 30_000, 30_000})
	set("http:baseline", nil, []float64{80_000, 80_000, 80_000}, []float64{14_000, 14_000, 14_000}) // 0.5, 0.45, 0.375 → 0.45
	set("http:verify", nil, []float64{30_000, 30_000, 30_000}, []float64{60_000, 50_000, 40_000})
	set("http:floor", nil, []float64{35_000, 35_000, 35_000}, []float64{36_000, 36_000, 36_000}) // 1.67, 1.39, 1.11 → 1.39
	set("http:floor-silent", nil, []float64{35_000, 35_000, 35_000}, []float64{35_000, 35_000, 35_000})
	set("http:baseline-pool", nil, []float64{75_000, 75_000, 75_000}, []float64{14_000, 14_000, 14_000})

	groups, err := selectGroups("")
	require.NoError(t, err)
	rows := r.table(groups)
	require.Len(t, rows, len(pairs))
	byPair := map[[2]string]row{}
	for _, w := range rows {
		require.NoError(t, w.err, w.what)
		byPair[[2]string{w.ours.name, w.other.name}] = w
	}
	for _, c := range []struct {
		ours, other string
		ratio       float64
		met         bool
	}{
		{"go:BenchmarkSealUnseal", "node:iron", 25, true},
		{"go:BenchmarkSealUnseal", "go:BenchmarkPrimitives", 1.25, true},
		{"go:BenchmarkTOTPConfirmService", "go:BenchmarkValidateCustomBaseline", 4.5, false},
		{"go:BenchmarkChromiumConfirm", "go:BenchmarkChromiumGoWebAuthn", 100.0 / 95, true},
		{"go:BenchmarkChromiumAuthenticate", "go:BenchmarkChromiumGoWebAuthnLogin", 1.1, true},
		{"go:BenchmarkChromiumAuthenticate", "node:simplewebauthn-auth", 1_000_000.0 / 110_000, false},
		{"http:start", "http:baseline", 0.45, true},
		{"http:verify", "http:floor", 50_000.0 / 36_000, true},
	} {
		w, ok := byPair[[2]string{c.ours, c.other}]
		require.True(t, ok, "no row %s vs %s", c.ours, c.other)
		assert.InDelta(t, c.ratio, w.ratio, 1e-9, w.what)
		assert.Equal(t, c.met, w.met, w.what)
		assert.NotNil(t, w.pair.met, "%s has a goal", w.what)
	}
	ctx := byPair[[2]string{"http:verify", "http:baseline-pool"}]
	assert.Nil(t, ctx.pair.met, "the goal of 0.5 of a bare handler is retired")
	assert.True(t, ctx.met, "a row for context never counts as missed")

	var out strings.Builder
	writeReport(&out, machine{}, rows, options{rounds: 3})
	assert.Contains(t, out.String(), "| 9.09× faster (8.33–10) | Go ≥ 10× faster: **missed** |")
	assert.Contains(t, out.String(), "| 1.39× (1.11–1.67) | ≤ 1.5×: met |")
	assert.Contains(t, out.String(), "examples/server: 50.0 µs CPU per request")
	assert.Contains(t, out.String(), "(context; the goal ≥ 0.5 is retired): — |")
}
