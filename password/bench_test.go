package password

import (
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// benchPasswords pass every rule, so each check runs every rule fully.
var benchPasswords = []string{
	"Tangerine quartz violin 7 ladder",
	"Ünïcødé Pässphrase wïth 9 àccents",
	"Xq7#vB2!mK9$zR4@pL6^wN8&tY3*hJ5",
}

// BenchmarkPolicyCheck measures what Confirm does before the breach check,
// the history and hashing: the request schema check, NFKC, and every local
// rule of a policy (dictionary lookup and profile data included). It also
// reports the check's cost as a percentage of one argon2id hash at the
// default parameters (the goal: under 5%).
func BenchmarkPolicyCheck(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    Policy
	}{{"default", DefaultPolicy()}, {"all-rules-100k", fuzzPolicy()}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := newChecker(bc.p, nil, 0)
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				pw := benchPasswords[i%len(benchPasswords)]
				if _, err := checkInput(pw); err != nil {
					b.Fatal(err)
				}
				if vs := c.check(normalize(pw), &alice); len(vs) != 0 {
					b.Fatal(vs)
				}
			}
			checkNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			h := testHasher(b)
			const hashes = 3
			t0 := time.Now()
			for range hashes {
				mustHash(b, h, benchPasswords[0])
			}
			hashNs := float64(time.Since(t0).Nanoseconds()) / hashes
			b.ReportMetric(100*checkNs/hashNs, "%of-hash")
		})
	}
}

// BenchmarkHash measures one argon2id hash at the defaults (m=19 MiB, t=2,
// p=1) and one bcrypt hash at cost 12.
func BenchmarkHash(b *testing.B) {
	b.Run("argon2id-default", func(b *testing.B) {
		h := testHasher(b)
		b.ReportAllocs()
		for b.Loop() {
			mustHash(b, h, benchPasswords[0])
		}
	})
	b.Run("bcrypt-12", func(b *testing.B) {
		h, err := NewHasher(HashConfig{Algorithm: Bcrypt})
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			mustHash(b, h, benchPasswords[0])
		}
	})
}

// BenchmarkCompare measures compareHash on a default argon2id hash.
func BenchmarkCompare(b *testing.B) {
	enc := mustHash(b, testHasher(b), benchPasswords[0])
	b.ReportAllocs()
	for b.Loop() {
		if err := compareHash(enc, benchPasswords[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfirm measures the engine's whole confirm path for a first
// password (store read, every rule, one argon2id hash at the defaults),
// without the service.
func BenchmarkConfirm(b *testing.B) {
	f := newFixture(b, Config{Hasher: testHasher(b)})
	st, err := json.Marshal(state{Policy: DefaultPolicy()})
	require.NoError(b, err)
	pw := benchPasswords[0]
	req := &verify.EngineConfirm{Subject: alice, MethodID: passwordMethodID(alice.ID), State: st, Request: verify.VerifyRequest{NewPassword: &pw}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.eng.Confirm(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
