package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// sessionSeq numbers the stand-in session ids of writeSignIn.
var sessionSeq atomic.Int64

// writeSignIn is the service's one store write of a successful sign-in:
// store.SignIn with the Authentication's secret, conditional on the
// record's version, consuming a fresh session id.
func writeSignIn(ctx context.Context, st store.Methods, a *verify.Confirmation) error {
	var version int64
	if a.Secret != nil {
		version = a.Record.Version
	}
	_, err := st.SignIn(ctx, store.SignIn{
		SessionID: fmt.Sprintf("signin-%d", sessionSeq.Add(1)), SessionExpires: epoch.Add(24 * time.Hour),
		Subject: a.Record.Subject, MethodID: a.Record.ID, Version: version, Counter: a.Counter, Secret: a.Secret,
	})
	return err
}

// signInWith is one password sign-in with engine e against the stored
// method id of subject, as the service runs it: read the record (a missing
// one is passed as the zero Record), Challenge, Authenticate, writeSignIn.
func (f *fixture) signInWith(e *Engine, subject, id, pw string) (*verify.Confirmation, error) {
	rec, err := f.store.Get(ctx, subject, id)
	var m verify.Method
	switch {
	case errors.Is(err, store.ErrNotFound):
		rec = store.Method{}
	case err != nil:
		return nil, err
	default:
		if m, err = verify.MethodFromRecord(rec); err != nil {
			return nil, err
		}
	}
	sub := verify.Subject{ID: subject}
	if _, err := e.Challenge(ctx, &verify.EngineStart{Subject: sub, Method: m, Record: rec}); err != nil {
		return nil, err
	}
	a, err := e.Authenticate(ctx, &verify.EngineConfirm{
		Subject: sub, Method: m, Record: rec, State: []byte("null"),
		Request: verify.VerifyRequest{AuthSession: "s", Password: &pw},
	})
	if err != nil {
		return nil, err
	}
	return a, writeSignIn(ctx, f.store, a)
}

// signIn is signInWith f.eng, returning only the error.
func (f *fixture) signIn(subject, id, pw string) error {
	_, err := f.signInWith(f.eng, subject, id, pw)
	return err
}

// TestPasswordSignIn: the right password signs in without a new secret;
// a wrong one, or none, is refused and writes nothing. // SI-08
func TestPasswordSignIn(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, goodPassword)
	require.NoError(t, err)
	id := passwordMethodID(alice.ID)
	before, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	a, err := f.signInWith(f.eng, alice.ID, id, goodPassword)
	require.NoError(t, err)
	assert.Nil(t, a.Secret, "a current hash is not rehashed")
	assert.Zero(t, a.Counter)
	assert.Empty(t, a.RecoveryCode)
	assert.Equal(t, id, a.Method.ID)
	assert.Equal(t, before, a.Record)
	// Every sign-in is a write (the service's last_auth_at); read again.
	before, err = f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)

	for _, pw := range []string{goodPassword + " ", strings.ToUpper(goodPassword), "", strings.Repeat("x", maxHashInput+1)} {
		_, err := f.signInWith(f.eng, alice.ID, id, pw)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		require.ErrorIs(t, err, ErrMismatch)
		assert.Equal(t, "password_mismatch", verify.ReasonOf(err))
		assert.Equal(t, "verify: the password is invalid", err.Error())
	}
	_, err = f.eng.Authenticate(ctx, &verify.EngineConfirm{Subject: alice, Record: before})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "password is required")
	after, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing written")
}

// TestUnknownPasswordMethodCostsAComparison: for a method that does not
// exist (the zero Record), of another user or of another type, the engine
// computes one comparison at its hasher's parameters, as for a wrong
// password, and answers alike. Counted, not timed. // SI-08
func TestUnknownPasswordMethodCostsAComparison(t *testing.T) {
	for name, h := range map[string]func(testing.TB) *Hasher{
		"argon2id": func(t testing.TB) *Hasher { return cheapHasher(t, 0) },
		"bcrypt":   cheapBcrypt,
	} {
		t.Run(name, func(t *testing.T) {
			hasher := h(t)
			f := newFixture(t, Config{Hasher: hasher})
			_, err := f.set(t, alice, goodPassword)
			require.NoError(t, err)
			rec, err := f.store.Get(ctx, alice.ID, passwordMethodID(alice.ID))
			require.NoError(t, err)

			// The dummy hash is well formed at the hasher's own parameters,
			// and no password matches it.
			dummy := dummyHash(hasher)
			assert.False(t, hasher.NeedsRehash(dummy), dummy)
			assert.ErrorIs(t, hasher.Compare(ctx, dummy, goodPassword), ErrMismatch)
			assert.ErrorIs(t, hasher.Compare(ctx, dummy, ""), ErrMismatch)

			cost := func(sub verify.Subject, r store.Method) (int64, error) {
				n := hasher.computed.Load()
				_, err := f.eng.Authenticate(ctx, &verify.EngineConfirm{Subject: sub, Record: r, Request: verify.VerifyRequest{Password: ptr("not the password")}})
				return hasher.computed.Load() - n, err
			}
			wrongCost, wrongErr := cost(alice, rec)
			require.Equal(t, int64(1), wrongCost, "a wrong password costs one comparison")
			other := rec
			other.Type = string(verify.TypeTOTP)
			for what, r := range map[string]store.Method{
				"no method":      {},
				"another user's": rec,
				"another type":   other,
			} {
				sub := alice
				if what == "another user's" {
					sub = verify.Subject{ID: "auth0|mallory"}
				}
				n, err := cost(sub, r)
				assert.Equal(t, wrongCost, n, "%s: the same work as a wrong password", what)
				require.ErrorIs(t, err, verify.ErrInvalidProof, what)
				require.ErrorIs(t, err, ErrMismatch, what)
				assert.Equal(t, "password_unknown_method", verify.ReasonOf(err), what)
				assert.Equal(t, wrongErr.Error(), err.Error(), "%s: the same answer", what)
			}
			// Through the service's path: a missing method is the zero Record.
			n := hasher.computed.Load()
			err = f.signIn(alice.ID, "password|bm9uZQ", goodPassword)
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Equal(t, int64(1), hasher.computed.Load()-n)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestPasswordSignInRehashes: with raised parameters, a successful sign-in
// returns a hash at the new parameters, conditional on the version read,
// keeping the history; a failed one rehashes nothing; a current hash is
// left alone. // SI-08, PW-11
func TestPasswordSignInRehashes(t *testing.T) {
	p := DefaultPolicy()
	p.History.Active, p.History.Size = true, 3
	f := newFixture(t, Config{Policy: &p})
	for _, pw := range []string{"first tangerine violin", "second quartz lantern", goodPassword} {
		_, err := f.set(t, alice, pw)
		require.NoError(t, err)
	}
	id := passwordMethodID(alice.ID)
	before, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	oldSec, err := decodeSecret(before.Secret)
	require.NoError(t, err)
	require.Len(t, oldSec.History, 2)

	stronger := cheapHasher(t, 0)
	stronger.argon = Argon2Params{Memory: 128, Time: 2, Threads: 1}
	eng2, err := New(f.store, Config{Hasher: stronger, Policy: &p})
	require.NoError(t, err)
	_, err = f.signInWith(eng2, alice.ID, id, "wrong")
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	same, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before.Version, same.Version, "a failed sign-in rehashes nothing")

	a, err := f.signInWith(eng2, alice.ID, id, goodPassword)
	require.NoError(t, err)
	require.NotNil(t, a.Secret)
	assert.Equal(t, before.Version, a.Record.Version, "the rehash is conditional on the version read")
	sec, err := decodeSecret(a.Secret)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(sec.Hash, "$argon2id$v=19$m=128,t=2,p=1$"), sec.Hash)
	assert.Equal(t, oldSec.History, sec.History, "the history is kept as it was")
	assert.NoError(t, stronger.Compare(ctx, sec.Hash, goodPassword))
	after, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	assert.Equal(t, a.Secret, after.Secret)
	assert.Equal(t, before.Attrs, after.Attrs)

	// The history still refuses the passwords before.
	_, err = f.set(t, alice, "second quartz lantern")
	assert.Equal(t, []Rule{RuleHistory}, rules(policyError(t, err)))

	a, err = f.signInWith(eng2, alice.ID, id, goodPassword)
	require.NoError(t, err)
	assert.Nil(t, a.Secret, "no rehash once current")

	// A concurrent change between the read and the rehash's write: the
	// write, conditional on the version read, is refused.
	_, err = f.set(t, alice, "third marmalade glacier") // hashed by f.eng's m=64,t=1: outdated for eng2
	require.NoError(t, err)
	rec, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	a, err = eng2.Authenticate(ctx, &verify.EngineConfirm{Subject: alice, Record: rec, Request: verify.VerifyRequest{Password: ptr("third marmalade glacier")}})
	require.NoError(t, err)
	require.NotNil(t, a.Secret)
	require.NoError(t, f.signIn(alice.ID, id, "third marmalade glacier"), "another sign-in, without a rehash, moves the version on")
	err = writeSignIn(ctx, f.store, a)
	require.ErrorIs(t, err, store.ErrConflict)
}

// TestPasswordSignInImportedHashes: the hashes of every imported format
// in testdata/hashes.json (made by htpasswd, passlib, Django, argon2,
// @phc/pbkdf2) sign in with their password, refuse another, and are
// upgraded to argon2id by the sign-in. // SI-08, PW-11
func TestPasswordSignInImportedHashes(t *testing.T) {
	for i, kh := range knownHashes(t) {
		if kh.Format == "bcrypt-2y-80-bytes" {
			continue // its 80-byte password is not verified whole (PW-03): TestCompareKnownHashes
		}
		t.Run(fmt.Sprintf("%s/%d", kh.Format, i), func(t *testing.T) {
			f := newFixture(t, Config{})
			sec, err := storedSecret{Hash: kh.Hash}.Encode()
			require.NoError(t, err)
			rec := store.Method{ID: passwordMethodID(alice.ID), Subject: alice.ID, Type: "password", Attrs: []byte(`{}`), Secret: sec}
			require.NoError(t, f.store.Commit(ctx, store.Commit{SessionID: "import", SessionExpires: epoch.Add(time.Hour), Method: rec}))
			_, err = f.signInWith(f.eng, alice.ID, rec.ID, kh.Password+"!")
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			a, err := f.signInWith(f.eng, alice.ID, rec.ID, kh.Password)
			require.NoError(t, err, "made by %s", kh.Tool)
			if !f.eng.Hasher().NeedsRehash(kh.Hash) {
				// An argon2id hash at or above the hasher's parameters.
				require.True(t, strings.HasPrefix(kh.Hash, "$argon2id$"), kh.Hash)
				assert.Nil(t, a.Secret, "a current hash is kept")
				return
			}
			require.NotNil(t, a.Secret, "an imported hash is upgraded")
			up, err := decodeSecret(a.Secret)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(up.Hash, "$argon2id$"), up.Hash)
			a, err = f.signInWith(f.eng, alice.ID, rec.ID, kh.Password)
			require.NoError(t, err, "the upgraded hash verifies")
			assert.Nil(t, a.Secret, "and is current")
		})
	}
}

// TestPasswordSignInCorruptRecord: a secret or hash that cannot be read is
// an internal failure, never a wrong password.
func TestPasswordSignInCorruptRecord(t *testing.T) {
	f := newFixture(t, Config{})
	for name, secret := range map[string][]byte{
		"not a secret":   []byte("garbage"),
		"malformed hash": []byte(`{"v":1,"hash":"$argon2id$v=19$m=64"}`),
		"too costly":     []byte(`{"v":1,"hash":"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2FsdHNhbHRzYWx0c2FsdA"}`),
	} {
		rec := store.Method{ID: passwordMethodID(alice.ID), Subject: alice.ID, Type: "password", Secret: secret, Version: 1}
		_, err := f.eng.Authenticate(ctx, &verify.EngineConfirm{Subject: alice, Record: rec, Request: verify.VerifyRequest{Password: ptr(goodPassword)}})
		require.Error(t, err, name)
		assert.Nil(t, verify.Kind(err), "%s: %v", name, err)
	}
}

// BenchmarkAuthenticate is the engine's Authenticate alone on a current
// argon2id hash at the default parameters (m=19 MiB, t=2, p=1): one
// comparison, no rehash.
func BenchmarkAuthenticate(b *testing.B) {
	h := testHasher(b)
	f := newFixture(b, Config{Hasher: h})
	enc := mustHash(b, h, benchPasswords[0])
	sec, err := storedSecret{Hash: enc}.Encode()
	require.NoError(b, err)
	pw := benchPasswords[0]
	req := &verify.EngineConfirm{
		Subject: alice, Request: verify.VerifyRequest{Password: &pw},
		Record: store.Method{ID: passwordMethodID(alice.ID), Subject: alice.ID, Type: "password", Secret: sec, Version: 1},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.eng.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateUnknownMethod is the same for the zero Record: the
// dummy comparison, which should cost what BenchmarkAuthenticate does.
func BenchmarkAuthenticateUnknownMethod(b *testing.B) {
	f := newFixture(b, Config{Hasher: testHasher(b)})
	pw := benchPasswords[0]
	req := &verify.EngineConfirm{Subject: alice, Request: verify.VerifyRequest{Password: &pw}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.eng.Authenticate(ctx, req); !errors.Is(err, verify.ErrInvalidProof) {
			b.Fatal(err)
		}
	}
}
