package password

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// The password rows of SECURITY-CHECKLIST (PW-*), one test each.

// PW-01: the minimum length is counted in code points.
//
// Single factor, the default policy: 15 code points.
func TestPasswordShorterThanTheMinimumIsRefused(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, "kqzvtrmwpxhjdl") // 14
	assert.Equal(t, []Rule{RuleMinLength}, rules(policyError(t, err)))
	_, err = f.set(t, alice, "kqzvtrmwpxhjdlf") // 15
	require.NoError(t, err)
	// MFA-only policy: 8, counted in code points after NFKC.
	p := DefaultPolicy()
	p.Complexity.MinLength = 8
	f8 := newFixture(t, Config{Policy: &p})
	_, err = f8.set(t, alice, "ééééééé") // 7 code points, 14 bytes
	assert.Equal(t, []Rule{RuleMinLength}, rules(policyError(t, err)))
	_, err = f8.set(t, alice, "e\u0301e\u0301e\u0301e\u0301") // 8 code points, 4 after NFKC
	assert.Equal(t, []Rule{RuleMinLength}, rules(policyError(t, err)))
	_, err = f8.set(t, alice, "😀🎉🔑🦊🌍🚲🎲🍋") // 8 emoji
	require.NoError(t, err)
}

// PW-02: passwords of at least 64 characters are allowed.
func TestPasswordsOf64CharactersAreAllowed(t *testing.T) {
	f := newFixture(t, Config{})
	random64 := "Xq7#vB2!mK9$zR4@pL6^wN8&tY3*hJ5%cF1(gD0)sA+eU-iO=oP[aS]dG{fH}jK~"
	require.Equal(t, 64, len([]rune(random64)))
	_, err := f.set(t, alice, random64)
	require.NoError(t, err)
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), random64))
	euros := strings.Repeat("€", 64) // 192 bytes: beyond bcrypt, fine for argon2id
	_, err = f.set(t, alice, euros)
	require.NoError(t, err)
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), euros))
	_, err = f.set(t, alice, strings.Repeat("€", 256))
	require.NoError(t, err, "the spec's 256 code points")
}

// PW-03: a password is never truncated or case-changed.
func TestPasswordIsNeitherTruncatedNorCaseFolded(t *testing.T) {
	f := newFixture(t, Config{})
	p := strings.Repeat("violin-", 11) + "lad" // 80 bytes
	require.Len(t, p, 80)
	_, err := f.set(t, alice, p)
	require.NoError(t, err)
	id := passwordMethodID(alice.ID)
	assert.ErrorIs(t, f.signIn(alice.ID, id, p[:72]), ErrMismatch)
	assert.ErrorIs(t, f.signIn(alice.ID, id, p+"x"), ErrMismatch)
	assert.ErrorIs(t, f.signIn(alice.ID, id, strings.ToUpper(p)), ErrMismatch, "no case change")
	assert.NoError(t, f.signIn(alice.ID, id, p))
}

// PW-04: bcrypt's 72-byte limit is handled, never silently truncated.
func TestBcryptLimitOf72BytesIsHandled(t *testing.T) {
	bh := cheapBcrypt(t)
	f := newFixture(t, Config{Hasher: bh})
	_, err := f.set(t, alice, strings.Repeat("k", 50)+strings.Repeat("q", 50)) // 100 bytes
	pe := policyError(t, err)
	require.Equal(t, []Rule{RuleMaxLength}, rules(pe))
	assert.Contains(t, pe.Violations[0].Detail, "72 bytes")
	_, err = f.store.Get(ctx, alice.ID, passwordMethodID(alice.ID))
	require.ErrorIs(t, err, store.ErrNotFound, "no hash stored, empty or not")
	_, err = bh.Hash(ctx, strings.Repeat("k", 100))
	require.ErrorIs(t, err, ErrPasswordTooLong)
	// A legacy hash of an 80-byte password, which htpasswd truncated
	// to 72: the prefix it hashed matches, the whole password does
	// not (it would be verified only in part).
	for _, kh := range knownHashes(t) {
		if kh.Format == "bcrypt-2y-80-bytes" {
			assert.NoError(t, bh.Compare(ctx, kh.Hash, kh.Password[:72]))
			assert.ErrorIs(t, bh.Compare(ctx, kh.Hash, kh.Password), ErrMismatch)
		}
	}
	_, err = f.set(t, alice, goodPassword)
	require.NoError(t, err)
	assert.NotEmpty(t, f.secret(t, alice).Hash)
}

// PW-05: no composition rules are imposed.
func TestNoCompositionRulesByDefault(t *testing.T) {
	f := newFixture(t, Config{})
	for _, pw := range []string{"correct horse battery staple", "no digits or capitals here", "ünïcødé pässphrase ok"} {
		_, err := f.set(t, alice, pw)
		require.NoError(t, err, pw)
	}
}

// PW-06: blocklisted, context-specific and breached passwords are refused.
func TestBlocklistedContextualAndBreachedPasswordsAreRefused(t *testing.T) {
	srv := newRangeServer(t, nil)
	f := newFixture(t, Config{Breach: newRangeClient(t, srv.URL, time.Second)})
	_, err := f.set(t, alice, "password1234567")
	assert.Equal(t, []Rule{RuleDictionary}, rules(policyError(t, err)))
	_, err = f.set(t, alice, "alice.liddell2026!")
	assert.Equal(t, []Rule{RuleProfileData}, rules(policyError(t, err)))
	_, err = f.set(t, alice, "correct horse battery staple") // count 368 in the range fixture
	pe := policyError(t, err)
	assert.Equal(t, []Violation{{RuleBreached, "has appeared in a data breach; choose another password"}}, pe.Violations)
}

// PW-07: a breach-check failure has a pinned, safe failure mode.
func TestBreachCheckFailureFailsClosed(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hang := newRangeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	var logs strings.Builder
	var mu sync.Mutex
	closed := newFixture(t, Config{Breach: newRangeClient(t, hang.URL, 100*time.Millisecond)})
	_, err := closed.set(t, alice, goodPassword)
	require.ErrorIs(t, err, errBreachUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a timed-out lookup is a network error, not \"not breached\"")
	assert.Nil(t, verify.Kind(err), "fail-closed: an internal error (5xx)")
	open := newFixture(t, Config{Breach: newRangeClient(t, hang.URL, 100*time.Millisecond), BreachFailOpen: true, Logger: newTestLogger(&mu, &logs)})
	_, err = open.set(t, alice, goodPassword)
	require.NoError(t, err, "fail-open accepts")
	mu.Lock()
	assert.Contains(t, logs.String(), "breach check unavailable")
	assert.Contains(t, logs.String(), "deadline exceeded")
	mu.Unlock()
}

// PW-08: Unicode normalisation (NFKC) is pinned.
func TestPasswordIsNFKCNormalisedForComparison(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, "\u212Bngström lantern violin") // ANGSTROM SIGN
	require.NoError(t, err)
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), "\u00C5ngström lantern violin"))
	require.NoError(t, f.signIn(alice.ID, passwordMethodID(alice.ID), "A\u030Angstro\u0308m lantern violin"))
	assert.Equal(t, "\u00C5", normalize("\u212B"))
	assert.Equal(t, "fi", normalize("\uFB01"), "NFKC, not NFC")
}

// PW-11: argon2id with pinned parameters, a random salt, PHC strings and rehash on change.
func TestArgon2idHashesHaveFreshSaltsAndPHCForm(t *testing.T) {
	h := testHasher(t)
	a, b := mustHash(t, h, goodPassword), mustHash(t, h, goodPassword)
	assert.True(t, strings.HasPrefix(a, "$argon2id$v=19$m=19456,t=2,p=1$"), a)
	assert.NotEqual(t, a, b)
	asvs, err := NewHasher(HashConfig{Argon2: Argon2Params{Memory: 47104, Time: 1, Threads: 1}})
	require.NoError(t, err)
	c := mustHash(t, asvs, goodPassword)
	assert.True(t, strings.HasPrefix(c, "$argon2id$v=19$m=47104,t=1,p=1$"), c)
	assert.True(t, asvs.NeedsRehash(a), "raised parameters: rehash at the next sign-in (see TestAuthenticate)")
}

// PW-12: bcrypt cost is at least 10.
func TestBcryptCostBelow10IsRefused(t *testing.T) {
	_, err := NewHasher(HashConfig{Algorithm: Bcrypt, BcryptCost: 8})
	assert.ErrorContains(t, err, "BcryptCost 8 out of range [10, 16]")
}

// PW-13: the input length and the hashing concurrency are capped.
func TestPasswordInputAndHashingConcurrencyAreCapped(t *testing.T) {
	h := cheapHasher(t, 2)
	f := newFixture(t, Config{Hasher: h})
	_, err := f.set(t, alice, strings.Repeat("a", 1<<20))
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	assert.Zero(t, h.peak.Load(), "refused before any hashing")
	// 100 concurrent sets: at most 2 hashes at once.
	st, err := json.Marshal(state{Policy: DefaultPolicy()})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			pw := fmt.Sprintf("concurrent passphrase %03d", i)
			_, err := f.eng.Confirm(ctx, &verify.EngineConfirm{Subject: alice, MethodID: passwordMethodID(alice.ID), State: st,
				Request: verify.VerifyRequest{NewPassword: &pw}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, h.peak.Load(), int32(2))
	assert.Positive(t, h.peak.Load())
}

// PW-14: no password hints or knowledge-based questions.
func TestNoHintsOrSecurityQuestions(t *testing.T) {
	body := `{"auth_session":"x","new_password":"tangerine quartz violin","hint":"fruit"}`
	assert.Error(t, spectest.CheckRequest("confirmAuthenticationMethod", []byte(body)), "the spec has no hint field")
	require.NoError(t, spectest.CheckRequest("confirmAuthenticationMethod", []byte(`{"auth_session":"x","new_password":"tangerine quartz violin"}`)))
	doc := strings.Replace(mustJSON(t, DefaultPolicy()), `"profile_data":{`, `"profile_data":{"security_question":"pet",`, 1)
	_, err := ParsePolicy([]byte(doc))
	assert.ErrorContains(t, err, `unknown field "security_question"`)
}

// PW-15: passwords do not expire periodically.
func TestNoPeriodicExpiry(t *testing.T) {
	doc := strings.Replace(mustJSON(t, DefaultPolicy()), `"history":{`, `"history":{"maxAgeDays":90,`, 1)
	_, err := ParsePolicy([]byte(doc))
	assert.ErrorContains(t, err, `unknown field "maxAgeDays"`)
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
