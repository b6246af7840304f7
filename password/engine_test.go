package password

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

const goodPassword = "tangerine quartz violin ladder"

func TestStart(t *testing.T) {
	f := newFixture(t, Config{})
	enr := f.start(t, alice)
	assert.Equal(t, "password|new", enr.ID)
	assert.NotEmpty(t, enr.AuthSession)
	var got Policy
	require.NoError(t, json.Unmarshal(enr.Policy, &got))
	assert.Equal(t, DefaultPolicy(), got)
	body, err := json.Marshal(enr)
	require.NoError(t, err)
	require.NoError(t, spectest.CheckSchema("PasswordCreationResponse", body))
	assert.JSONEq(t, `{"id":"password|new","auth_session":"`+enr.AuthSession+`","policy":`+string(enr.Policy)+`}`, string(body))
}

func TestStartIdentity(t *testing.T) {
	allowLinked := func(_ context.Context, sub verify.Subject, id string) error {
		if sub.ID == alice.ID && id == "linked-identity-7" {
			return nil
		}
		return verify.NewError(verify.ErrForbidden, "identity_not_linked", "Not a linked identity")
	}
	tests := []struct {
		name      string
		allow     func(context.Context, verify.Subject, string) error
		req       verify.StartRequest
		wantErr   error
		wantField string
		wantID    string
	}{
		{"own identity by default", nil, verify.StartRequest{}, nil, "", passwordMethodID(alice.ID)},
		{"own identity named", nil, verify.StartRequest{IdentityUserID: alice.ID}, nil, "", passwordMethodID(alice.ID)},
		{"default connection", nil, verify.StartRequest{Connection: defaultConnection}, nil, "", passwordMethodID(alice.ID)},
		{"another identity refused by default", nil, verify.StartRequest{IdentityUserID: "auth0|mallory"}, verify.ErrForbidden, "", ""},
		{"linked identity allowed by the hook", allowLinked, verify.StartRequest{IdentityUserID: "linked-identity-7"}, nil, "", passwordMethodID("linked-identity-7")},
		{"hook refuses", allowLinked, verify.StartRequest{IdentityUserID: "auth0|mallory"}, verify.ErrForbidden, "", ""},
		{"identity with a space", nil, verify.StartRequest{IdentityUserID: "auth0|al ice"}, verify.ErrInvalidRequest, "identity_user_id", ""},
		{"identity with NBSP", nil, verify.StartRequest{IdentityUserID: "auth0|al\u00a0ice"}, verify.ErrInvalidRequest, "identity_user_id", ""},
		{"identity too long", nil, verify.StartRequest{IdentityUserID: strings.Repeat("x", 256)}, verify.ErrInvalidRequest, "identity_user_id", ""},
		{"unknown connection", nil, verify.StartRequest{Connection: "other-db"}, verify.ErrInvalidRequest, "connection", ""},
		{"bad connection", nil, verify.StartRequest{Connection: "db_1"}, verify.ErrInvalidRequest, "connection", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureAllow(t, Config{}, func(s *memory.Store) store.Store { return s }, tc.allow)
			tc.req.Type = verify.TypePassword
			enr, err := f.svc.Start(ctx, alice, tc.req, verify.Client{})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.wantField != "" {
					var ve *verify.Error
					require.ErrorAs(t, err, &ve)
					require.Len(t, ve.Fields, 1)
					assert.Equal(t, tc.wantField, ve.Fields[0].Field)
				}
				return
			}
			require.NoError(t, err)
			m, err := f.confirm(alice, enr, goodPassword)
			require.NoError(t, err)
			assert.Equal(t, tc.wantID, m.ID)
		})
	}
	t.Run("hook failure is internal", func(t *testing.T) {
		f := newFixtureAllow(t, Config{}, func(s *memory.Store) store.Store { return s }, func(context.Context, verify.Subject, string) error { return errors.New("directory down") })
		_, err := f.svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypePassword, IdentityUserID: "x"}, verify.Client{})
		require.Error(t, err)
		assert.Nil(t, verify.Kind(err), "an outage is not a client error")
	})
}

func TestConfirm(t *testing.T) {
	f := newFixture(t, Config{})
	enr := f.start(t, alice)
	m, err := f.confirm(alice, enr, goodPassword)
	require.NoError(t, err)
	assert.Equal(t, passwordMethodID(alice.ID), m.ID)
	assert.Equal(t, "password|YXV0aDB8YWxpY2UwMQ", m.ID, "password|base64url(identity_user_id)")
	assert.Equal(t, verify.TypePassword, m.Type)
	assert.Equal(t, alice.ID, m.IdentityUserID)
	assert.Equal(t, epoch, m.LastPasswordReset)
	assert.Equal(t, []verify.Usage{verify.UsagePrimary}, m.Usage)
	body, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, spectest.CheckSchema("AuthenticationMethodPassword", body))
	assert.JSONEq(t, `{"id":"password|YXV0aDB8YWxpY2UwMQ","type":"password","identity_user_id":"auth0|alice01",
		"last_password_reset":"2026-03-04T05:06:07.000Z","usage":["primary"],"created_at":"2026-03-04T05:06:07.000Z"}`, string(body))

	rec, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.NotContains(t, string(rec.Secret), goodPassword)
	assert.NotContains(t, string(rec.Attrs), goodPassword)
	sec := f.secret(t, alice)
	assert.NoError(t, compareHash(sec.Hash, goodPassword))
	assert.Empty(t, sec.History, "history is off by default")
	assert.NotContains(t, enr.AuthSession, goodPassword)

	// A change replaces the method: created_at stays, last_password_reset moves.
	f.clock.Advance(time.Hour)
	m2, err := f.set(t, alice, "another fine passphrase here")
	require.NoError(t, err)
	assert.Equal(t, m.CreatedAt, m2.CreatedAt)
	assert.Equal(t, epoch.Add(time.Hour), m2.LastPasswordReset)
	rec2, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, rec.Version+1, rec2.Version)
	ms, err := f.store.List(ctx, alice.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 1, "one password method per identity")
}

func TestConfirmPolicyErrors(t *testing.T) {
	p := DefaultPolicy()
	p.Complexity.CharacterTypes = []CharacterType{Number}
	f := newFixture(t, Config{Policy: &p})
	enr := f.start(t, alice)
	_, err := f.confirm(alice, enr, "Liddell7")
	pe := policyError(t, err)
	assert.Equal(t, []Rule{RuleMinLength, RuleProfileData}, rules(pe))
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "password_policy", ve.Reason)
	assert.Equal(t, []verify.FieldError{
		{Field: "new_password", Pointer: "/new_password", Detail: "min_length: must be at least 15 characters"},
		{Field: "new_password", Pointer: "/new_password", Detail: "profile_data: must not contain your personal data (name, email)"},
	}, ve.Fields)
	assert.NotContains(t, err.Error(), "Liddell7")

	_, err = f.confirm(alice, enr, "password")
	assert.Equal(t, []Rule{RuleMinLength, RuleCharacterTypes, RuleDictionary}, rules(policyError(t, err)))

	_, err = f.confirm(alice, enr, "bad\x00password")
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	var ve2 *verify.Error
	require.ErrorAs(t, err, &ve2)
	assert.Equal(t, "new_password must not contain control characters", ve2.Fields[0].Detail)

	// Nothing was stored by the failures, and the session still works.
	_, err = f.store.Get(ctx, alice.ID, passwordMethodID(alice.ID))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.confirm(alice, enr, "tangerine quartz violin ladder 7")
	require.NoError(t, err)
}

func TestHistory(t *testing.T) {
	p := DefaultPolicy()
	p.History = History{Active: true, Size: 3}
	f := newFixture(t, Config{Policy: &p})
	pws := []string{"first long passphrase one", "second long passphrase two", "third long passphrase three", "fourth long passphrase four"}
	for i, pw := range pws[:3] {
		_, err := f.set(t, alice, pw)
		require.NoError(t, err)
		assert.Len(t, f.secret(t, alice).History, min(i, 2), "size-1 previous hashes are kept")
	}
	for _, pw := range pws[:3] {
		_, err := f.set(t, alice, pw)
		pe := policyError(t, err)
		assert.Equal(t, []Rule{RuleHistory}, rules(pe), pw)
		assert.Equal(t, "must not be one of your last 3 passwords", pe.Violations[0].Detail)
	}
	_, err := f.set(t, alice, pws[3])
	require.NoError(t, err)
	_, err = f.set(t, alice, pws[0])
	require.NoError(t, err, "the first password has left the last 3")
	sec := f.secret(t, alice)
	require.Len(t, sec.History, 2)
	assert.NoError(t, compareHash(sec.Hash, pws[0]))
	assert.NoError(t, compareHash(sec.History[0], pws[3]))
	assert.NoError(t, compareHash(sec.History[1], pws[2]))
}

// readBarrier holds every Commit until n Gets have happened, once armed:
// concurrent changes all read the current method before any of them
// commits, whatever the scheduler does.
type readBarrier struct {
	store.Store
	armed atomic.Bool
	reads sync.WaitGroup
}

func (s *readBarrier) Get(ctx context.Context, subject, id string) (store.Method, error) {
	m, err := s.Store.Get(ctx, subject, id)
	if s.armed.Load() {
		s.reads.Done()
	}
	return m, err
}

func (s *readBarrier) Commit(ctx context.Context, c store.Commit) error {
	if s.armed.Load() {
		s.reads.Wait()
	}
	return s.Store.Commit(ctx, c)
}

// TestHistoryUnderConcurrency confirms n changes that all read the current
// method before any commits: one wins, the others get a conflict (409),
// and the winner's history holds the previous password — nothing is lost.
func TestHistoryUnderConcurrency(t *testing.T) {
	p := DefaultPolicy()
	p.History = History{Active: true, Size: 5}
	barrier := &readBarrier{}
	f := newFixtureWith(t, Config{Policy: &p}, func(s *memory.Store) store.Store {
		barrier.Store = s
		return barrier
	})
	_, err := f.set(t, alice, "the original passphrase")
	require.NoError(t, err)
	const n = 4
	enrs := make([]*verify.Enrollment, n)
	for i := range enrs {
		enrs[i] = f.start(t, alice)
	}
	barrier.reads.Add(n)
	barrier.armed.Store(true)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.confirm(alice, enrs[i], strings.Repeat("x", i+1)+" concurrent new passphrase")
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		assert.ErrorIs(t, err, verify.ErrConflict)
	}
	assert.Equal(t, 1, wins)
	sec := f.secret(t, alice)
	require.Len(t, sec.History, 1)
	assert.NoError(t, compareHash(sec.History[0], "the original passphrase"))
}

// twoEngines returns two services sharing one store and sealer, with
// different policies, as two processes during a policy change.
func twoEngines(t *testing.T, a, b Policy) (*fixture, *fixture) {
	t.Helper()
	fa := newFixture(t, Config{Policy: &a})
	eng, err := New(fa.store, Config{Policy: &b, Hasher: fa.eng.hasher, Now: fa.clock.Now})
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: testSealPassword}}, Now: fa.clock.Now})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{eng}, Sealer: sealer, Store: fa.store, Now: fa.clock.Now})
	require.NoError(t, err)
	return fa, &fixture{svc: svc, eng: eng, store: fa.store, clock: fa.clock}
}

func TestPolicyChangeMidFlight(t *testing.T) {
	strict, lax := DefaultPolicy(), DefaultPolicy()
	strict.Complexity.MinLength = 20
	lax.Complexity.MinLength = 8
	pw := "violin ladder 42" // 16 characters

	t.Run("sealed stricter", func(t *testing.T) {
		fs, fl := twoEngines(t, strict, lax)
		enr := fs.start(t, alice)
		_, err := fl.confirm(alice, enr, pw)
		pe := policyError(t, err)
		assert.Equal(t, []Violation{{RuleMinLength, "must be at least 20 characters"}}, pe.Violations)
	})
	t.Run("current stricter", func(t *testing.T) {
		fl, fs := twoEngines(t, lax, strict)
		enr := fl.start(t, alice)
		_, err := fs.confirm(alice, enr, pw)
		pe := policyError(t, err)
		assert.Equal(t, []Violation{{RuleMinLength, "must be at least 20 characters"}}, pe.Violations)
	})
	t.Run("both report", func(t *testing.T) {
		fs, fl := twoEngines(t, strict, lax)
		enr := fs.start(t, alice)
		_, err := fl.confirm(alice, enr, "kw3jx")
		pe := policyError(t, err)
		assert.Equal(t, []Violation{{RuleMinLength, "must be at least 8 characters"}, {RuleMinLength, "must be at least 20 characters"}}, pe.Violations)
	})
}

func TestBreachCheck(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := newRangeServer(t, nil)
	f := newFixture(t, Config{Breach: newRangeClient(t, srv.URL, time.Second), Logger: logger})

	_, err := f.set(t, alice, "correct horse battery staple")
	pe := policyError(t, err)
	assert.Equal(t, []Violation{{RuleBreached, "has appeared in a data breach; choose another password"}}, pe.Violations)

	_, err = f.set(t, alice, "kw3jx")
	assert.Equal(t, []Rule{RuleMinLength}, rules(policyError(t, err)))
	srv.mu.Lock()
	assert.Len(t, srv.reqs, 1, "no lookup for a password the local rules refuse")
	srv.mu.Unlock()

	_, err = f.set(t, alice, "unremarkable lantern orchard")
	require.NoError(t, err, "a padding line is not a breach")

	down := newRangeServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	t.Run("fail closed", func(t *testing.T) {
		f := newFixture(t, Config{Breach: newRangeClient(t, down.URL, time.Second)})
		_, err := f.set(t, alice, goodPassword)
		require.ErrorIs(t, err, errBreachUnavailable)
		assert.Nil(t, verify.Kind(err), "an outage is a 5xx, not a 400 and not a success")
		_, err = f.store.Get(ctx, alice.ID, passwordMethodID(alice.ID))
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("fail open", func(t *testing.T) {
		f := newFixture(t, Config{Breach: newRangeClient(t, down.URL, time.Second), BreachFailOpen: true, Logger: logger})
		_, err := f.set(t, alice, goodPassword)
		require.NoError(t, err)
		assert.Contains(t, logs.String(), "breach check unavailable; accepted (fail-open)")
		assert.NotContains(t, logs.String(), goodPassword)
	})
}

func TestBcryptEngine(t *testing.T) {
	bh := cheapBcrypt(t)
	f := newFixture(t, Config{Hasher: bh})
	_, err := f.set(t, alice, strings.Repeat("€", 25)+" tangerine")
	pe := policyError(t, err)
	assert.Equal(t, []Violation{{RuleMaxLength, "must be at most 72 bytes (UTF-8), the limit of the password hash"}}, pe.Violations)
	_, err = f.store.Get(ctx, alice.ID, passwordMethodID(alice.ID))
	require.ErrorIs(t, err, store.ErrNotFound, "nothing stored, no empty hash")
	_, err = f.set(t, alice, goodPassword)
	require.NoError(t, err)
	sec := f.secret(t, alice)
	assert.True(t, strings.HasPrefix(sec.Hash, "$2a$04$"))

	p := DefaultPolicy()
	p.Complexity.MinLength = 73
	_, err = New(f.store, Config{Hasher: bh, Policy: &p})
	assert.ErrorContains(t, err, "min_length 73 out of range [1, 72] with bcrypt")
}

// TestAuthenticate: the sign-in check (Engine.Authenticate through the
// service's steps, signInWith) matches, refuses, and rehashes after raised
// parameters (PW-11). // SI-08
func TestAuthenticate(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.set(t, alice, goodPassword)
	require.NoError(t, err)
	id := passwordMethodID(alice.ID)
	require.NoError(t, f.signIn(alice.ID, id, goodPassword))
	assert.ErrorIs(t, f.signIn(alice.ID, id, goodPassword+" "), ErrMismatch)
	err = f.signIn("auth0|mallory", id, goodPassword)
	assert.ErrorIs(t, err, verify.ErrInvalidProof, "another user's method is unknown, answered as a wrong password")
	assert.Equal(t, "password_unknown_method", verify.ReasonOf(err))
	before, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)

	// Raised parameters: the next successful sign-in rehashes (PW-11).
	stronger, err := NewHasher(HashConfig{Argon2: Argon2Params{Memory: 47104, Time: 1}})
	require.NoError(t, err)
	eng2, err := New(f.store, Config{Hasher: stronger})
	require.NoError(t, err)
	_, err = f.signInWith(eng2, alice.ID, id, "wrong")
	assert.ErrorIs(t, err, ErrMismatch)
	same, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	assert.Equal(t, before.Version, same.Version, "a failed sign-in rehashes nothing")
	_, err = f.signInWith(eng2, alice.ID, id, goodPassword)
	require.NoError(t, err)
	after, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	sec, err := decodeSecret(after.Secret)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(sec.Hash, "$argon2id$v=19$m=47104,t=1,p=1$"), sec.Hash)
	assert.Equal(t, before.Attrs, after.Attrs)
	_, err = f.signInWith(eng2, alice.ID, id, goodPassword)
	require.NoError(t, err)
	again, err := f.store.Get(ctx, alice.ID, id)
	require.NoError(t, err)
	assert.Equal(t, after.Secret, again.Secret, "no rehash once current")
}

// faultyStore fails Get with an outage.
type faultyStore struct {
	store.Store
	getErr error
}

func (s *faultyStore) Get(ctx context.Context, subject, id string) (store.Method, error) {
	if s.getErr != nil {
		return store.Method{}, s.getErr
	}
	return s.Store.Get(ctx, subject, id)
}

func TestConfirmFailures(t *testing.T) {
	f := newFixture(t, Config{})
	pw := goodPassword
	confirm := func(eng *Engine, st jsontext.Value, methodID string) error {
		_, err := eng.Confirm(ctx, &verify.EngineConfirm{
			Subject: alice, MethodID: methodID, State: st, Request: verify.VerifyRequest{NewPassword: &pw},
		})
		return err
	}
	good, err := json.Marshal(state{Policy: DefaultPolicy()})
	require.NoError(t, err)
	require.NoError(t, confirm(f.eng, good, passwordMethodID(alice.ID)))

	t.Run("method id not a password id", func(t *testing.T) {
		assert.ErrorIs(t, confirm(f.eng, good, "totp|dev_x"), verify.ErrInvalidSession)
		assert.ErrorIs(t, confirm(f.eng, good, "password|not base64!"), verify.ErrInvalidSession)
		assert.ErrorIs(t, confirm(f.eng, good, passwordMethodID("has space")), verify.ErrInvalidSession)
	})
	t.Run("state with an invalid policy", func(t *testing.T) {
		p := DefaultPolicy()
		p.Complexity.MinLength = 0
		bad, err := json.Marshal(state{Policy: p})
		require.NoError(t, err)
		assert.ErrorIs(t, confirm(f.eng, bad, passwordMethodID(alice.ID)), verify.ErrInvalidSession)
	})
	t.Run("state with unknown fields", func(t *testing.T) {
		assert.ErrorIs(t, confirm(f.eng, jsontext.Value(`{"p":{},"pw":"x"}`), passwordMethodID("x")), verify.ErrInvalidSession)
	})
	t.Run("no new_password", func(t *testing.T) {
		_, err := f.eng.Confirm(ctx, &verify.EngineConfirm{Subject: alice, MethodID: passwordMethodID(alice.ID), State: good})
		assert.ErrorIs(t, err, verify.ErrInvalidRequest)
	})
	t.Run("store outage", func(t *testing.T) {
		outage := errors.New("connection refused")
		eng, err := New(&faultyStore{Store: f.store, getErr: outage}, Config{Hasher: f.eng.hasher})
		require.NoError(t, err)
		err = confirm(eng, good, passwordMethodID(alice.ID))
		require.ErrorIs(t, err, outage)
		assert.Nil(t, verify.Kind(err))
	})
	t.Run("corrupt stored secret", func(t *testing.T) {
		m := verify.Method{ID: passwordMethodID(alice.ID), Type: verify.TypePassword, Subject: alice.ID, IdentityUserID: alice.ID, CreatedAt: epoch}
		rec, err := m.Record()
		require.NoError(t, err)
		rec.Secret = []byte(`{"v":1,"hash":""}`)
		require.NoError(t, f.store.Commit(ctx, store.Commit{SessionID: "s-corrupt", SessionExpires: epoch.Add(time.Hour), Method: rec}))
		err = confirm(f.eng, good, passwordMethodID(alice.ID))
		require.Error(t, err)
		assert.Nil(t, verify.Kind(err))
	})
}

func TestNewConfig(t *testing.T) {
	_, err := New(nil, Config{})
	assert.ErrorContains(t, err, "store.Methods is required")
	f := newFixture(t, Config{})
	bad := DefaultPolicy()
	bad.History = History{Active: true, Size: 99}
	_, err = New(f.store, Config{Policy: &bad, Hasher: f.eng.hasher})
	assert.ErrorContains(t, err, "out of range")
	_, err = New(f.store, Config{Connection: "bad name", Hasher: f.eng.hasher})
	assert.ErrorContains(t, err, "Connection")
	_, err = New(f.store, Config{CustomWords: make([]string, 300), Hasher: f.eng.hasher})
	assert.ErrorContains(t, err, "custom words")
	p := DefaultPolicy()
	e, err := New(f.store, Config{Policy: &p, Hasher: f.eng.hasher})
	require.NoError(t, err)
	p.Complexity.MinLength = 1
	p.ProfileData.BlockedFields[0] = "changed"
	assert.Equal(t, DefaultPolicy(), e.Policy(), "the engine copies its policy")
}

func TestSecret(t *testing.T) {
	_, err := storedSecret{}.Encode()
	assert.Error(t, err, "never an empty hash")
	b, err := storedSecret{Hash: "h", History: []string{"a", "b"}}.Encode()
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":1,"hash":"h","history":["a","b"]}`, string(b))
	s, err := decodeSecret(b)
	require.NoError(t, err)
	assert.Equal(t, storedSecret{Hash: "h", History: []string{"a", "b"}}, s)
	for _, bad := range []string{``, `{}`, `{"v":2,"hash":"h"}`, `{"v":1,"hash":"h","x":1}`, `{"v":1,"hash":"h","history":[""]}`,
		`{"v":1,"hash":"h","history":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 25), ",") + `]}`} {
		_, err := decodeSecret([]byte(bad))
		assert.Error(t, err, bad)
	}
}

// TestStartLargest starts and confirms with the largest policy and the
// longest identity the limits allow: the auth_session that seals them
// stays within the sealer's default token limit.
func TestStartLargest(t *testing.T) {
	p := DefaultPolicy()
	p.Complexity.CharacterTypes = []CharacterType{Lowercase, Uppercase, Number, Special}
	p.Complexity.CharacterTypeRule = ThreeOfFour
	p.History = History{Active: true, Size: maxHistorySize}
	p.ProfileData.BlockedFields = nil
	for i := range maxBlockedFields {
		p.ProfileData.BlockedFields = append(p.ProfileData.BlockedFields, fmt.Sprintf("%02d", i)+strings.Repeat("f", maxFieldName-2))
	}
	require.NoError(t, p.Validate())
	identity := strings.Repeat("😀", 255)
	f := newFixtureAllow(t, Config{Policy: &p}, func(s *memory.Store) store.Store { return s }, func(context.Context, verify.Subject, string) error { return nil })
	enr, err := f.svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypePassword, IdentityUserID: identity}, verify.Client{})
	require.NoError(t, err)
	t.Logf("auth_session of %d bytes", len(enr.AuthSession))
	m, err := f.confirm(alice, enr, "Tangerine quartz violin 7 ladder")
	require.NoError(t, err)
	assert.Equal(t, identity, m.IdentityUserID)
	assert.Equal(t, passwordMethodID(identity), m.ID)
}

// TestCheckMatchesConfirm runs the same inputs through Engine.Check (for
// a host's other pathways) and through a confirm: identical outcomes
// (checklist GN-06).
func TestCheckMatchesConfirm(t *testing.T) {
	srv := newRangeServer(t, nil)
	f := newFixture(t, Config{Breach: newRangeClient(t, srv.URL, time.Second), CustomWords: []string{"verifykit"}})
	for _, pw := range []string{"", "abc\x00def", strings.Repeat("a", 300), "short", "password1234567", "alice.liddell2026!",
		"Verifykit2026!!!", "correct horse battery staple", goodPassword} {
		checkErr := f.eng.Check(ctx, alice, pw)
		_, confirmErr := f.set(t, alice, pw)
		if checkErr == nil {
			assert.NoError(t, confirmErr, "%q", pw)
			continue
		}
		var a, b *verify.Error
		require.ErrorAs(t, checkErr, &a, "%q", pw)
		require.ErrorAs(t, confirmErr, &b, "%q", pw)
		assert.Equal(t, a.Kind, b.Kind, "%q", pw)
		assert.Equal(t, a.Reason, b.Reason, "%q", pw)
		assert.Equal(t, a.Fields, b.Fields, "%q", pw)
	}
}

// TestStartPolicyBytesAreUnchanged pins the policy of the start response
// byte for byte, as encoding/json wrote it before the move to json/v2:
// members in field order, arrays (never null), no escapes.
func TestStartPolicyBytesAreUnchanged(t *testing.T) {
	enr := newFixture(t, Config{}).start(t, alice)
	assert.Equal(t, `{"complexity":{"min_length":15,"character_types":[],"character_type_rule":"all","identical_characters":"allow","sequential_characters":"allow","max_length_exceeded":"error"},"profile_data":{"active":true,"blocked_fields":["name","email","username"]},"history":{"active":false,"size":0},"dictionary":{"active":true,"default":"en_10k"}}`, string(enr.Policy))

	p := Policy{
		Complexity: Complexity{
			MinLength: 12, CharacterTypes: []CharacterType{Lowercase, Uppercase, Number, Special}, CharacterTypeRule: ThreeOfFour,
			IdenticalCharacters: Block, SequentialCharacters: Block, MaxLengthExceeded: MaxLengthError,
		},
		ProfileData: ProfileData{Active: false, BlockedFields: []string{}},
		History:     History{Active: true, Size: 24},
		Dictionary:  Dictionary{Active: false, Default: En100k},
	}
	enr = newFixture(t, Config{Policy: &p}).start(t, alice)
	assert.Equal(t, `{"complexity":{"min_length":12,"character_types":["lowercase","uppercase","number","special"],"character_type_rule":"three_of_four","identical_characters":"block","sequential_characters":"block","max_length_exceeded":"error"},"profile_data":{"active":false,"blocked_fields":[]},"history":{"active":true,"size":24},"dictionary":{"active":false,"default":"en_100k"}}`, string(enr.Policy))
}

// TestStoredSecretBytesAreUnchanged: a stored secret encodes to the bytes
// encoding/json wrote before the move to json/v2 (history omitted when
// empty), and rows written then decode.
func TestStoredSecretBytesAreUnchanged(t *testing.T) {
	const (
		argon = "$argon2id$v=19$m=19456,t=2,p=1$MmNlMzRlNzYyNDJkMjVhMQ$1EXcjQLlJwmBf/da+kYWUadsijwS+WWPXFuBTPbFJDc"
		bcr   = "$2b$04$gqvSpZDNojY8LhbteKveROScvohNR6XFkGN1Iu3qg2RXpr9pTByx6"
	)
	rows := []struct {
		s   storedSecret
		row string
	}{
		{storedSecret{Hash: argon}, `{"v":1,"hash":"` + argon + `"}`},
		{storedSecret{Hash: argon, History: []string{}}, `{"v":1,"hash":"` + argon + `"}`},
		{storedSecret{Hash: argon, History: []string{bcr, argon}}, `{"v":1,"hash":"` + argon + `","history":["` + bcr + `","` + argon + `"]}`},
	}
	for _, r := range rows {
		b, err := r.s.Encode()
		require.NoError(t, err)
		assert.Equal(t, r.row, string(b))
		got, err := decodeSecret([]byte(r.row))
		require.NoError(t, err)
		assert.Equal(t, r.s.Hash, got.Hash)
		if len(r.s.History) == 0 {
			assert.Empty(t, got.History)
		} else {
			assert.Equal(t, r.s.History, got.History)
		}
	}
}

// TestStoredSecretWithInvalidUTF8IsNotWritten: a hash that is not valid
// UTF-8 (never one the Hasher makes) is refused rather than stored with
// U+FFFD in its place, as encoding/json stored it.
func TestStoredSecretWithInvalidUTF8IsNotWritten(t *testing.T) {
	_, err := storedSecret{Hash: "$argon2id$\xff"}.Encode()
	assert.Error(t, err)
	_, err = storedSecret{Hash: "h", History: []string{"\xff"}}.Encode()
	assert.Error(t, err)
}

// TestStoredSecretRepeatingAMemberIsRefused: a stored secret naming a
// member twice, or in another case, does not decode (encoding/json kept
// the last value and matched case-insensitively); Encode writes neither.
func TestStoredSecretRepeatingAMemberIsRefused(t *testing.T) {
	_, err := decodeSecret([]byte(`{"v":1,"hash":"a","hash":"b"}`))
	assert.ErrorIs(t, err, jsontext.ErrDuplicateName)
	_, err = decodeSecret([]byte(`{"v":1,"Hash":"a"}`))
	assert.Error(t, err)
}
