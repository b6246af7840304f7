package verify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// enroll confirms one method of type typ for sub and returns it.
func (f *fixture) enroll(t *testing.T, sub verify.Subject, typ verify.Type) *verify.Method {
	t.Helper()
	en := f.start(t, sub, typ)
	req := verify.VerifyRequest{}
	if typ.Proof() == "otp_code" {
		req.OTPCode = code("123456")
	}
	m, err := f.verify(sub, en, req)
	require.NoError(t, err)
	return m
}

// primaryEngine is a codeEngine whose methods are primary (like a passkey's).
type primaryEngine struct{ codeEngine }

func newPrimaryFixture(t *testing.T, allowNoPrimary bool) *fixture {
	pe := &primaryEngine{codeEngine{typ: verify.TypeTOTP}}
	return newFixture(t, func(c *verify.Config) {
		c.Engines = []verify.Engine{pe, &codeEngine{typ: verify.TypeRecoveryCode}}
		c.AllowNoPrimary = allowNoPrimary
	})
}

func TestListGet(t *testing.T) {
	f := newFixture(t, nil)
	a := f.enroll(t, alice, verify.TypeTOTP)
	f.clock.Advance(time.Second)
	b := f.enroll(t, alice, verify.TypeRecoveryCode)
	f.enroll(t, bob, verify.TypeTOTP)

	ms, err := f.svc.List(ctx, alice, "")
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, a.ID, ms[0].ID)
	assert.Equal(t, b.ID, ms[1].ID)

	ms, err = f.svc.List(ctx, alice, verify.TypeRecoveryCode)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	assert.Equal(t, b.ID, ms[0].ID)

	_, err = f.svc.List(ctx, alice, "sms")
	require.ErrorIs(t, err, verify.ErrInvalidRequest)

	got, err := f.svc.Get(ctx, alice, a.ID)
	require.NoError(t, err)
	assert.Equal(t, *a, *got)
	_, err = f.svc.Get(ctx, bob, a.ID)
	require.ErrorIs(t, err, verify.ErrNotFound, "another user's method is not found")
	_, err = f.svc.Get(ctx, alice, "totp|dev_none")
	require.ErrorIs(t, err, verify.ErrNotFound)
}

func TestMaxMethods(t *testing.T) {
	f := newFixture(t, func(c *verify.Config) { c.MaxMethods = 2 })
	f.enroll(t, alice, verify.TypeTOTP)
	f.enroll(t, alice, verify.TypeTOTP)
	_, err := f.svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	assert.ErrorContains(t, err, "invalid request payload input")
	f.enroll(t, bob, verify.TypeTOTP) // others are not affected

	// Enrollments started before the bound was reached cannot pass it at
	// confirm either: the store enforces it atomically at commit.
	g := newFixture(t, func(c *verify.Config) { c.MaxMethods = 2 })
	var started []*verify.Enrollment
	for range 5 {
		started = append(started, g.start(t, alice, verify.TypeTOTP))
	}
	for i, en := range started {
		_, err := g.verify(alice, en, verify.VerifyRequest{OTPCode: code("123456")})
		if i < 2 {
			require.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, verify.ErrInvalidRequest)
		assert.Equal(t, "too_many_methods", verify.ReasonOf(err))
	}
	ms, err := g.store.List(ctx, alice.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 2)

	_, err = verify.NewService(verify.Config{Engines: []verify.Engine{f.engine}, Sealer: f.sealer, Store: f.store, MaxMethods: 21})
	require.ErrorContains(t, err, "MaxMethods 21 out of range [1, 20]")
}

func TestUpdate(t *testing.T) {
	f := newFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP)
	rc := f.enroll(t, alice, verify.TypeRecoveryCode)
	name := "Authenticator on my phone"
	up, err := f.svc.Update(ctx, alice, m.ID, verify.UpdateRequest{Name: &name}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, name, up.Name)
	got, err := f.svc.Get(ctx, alice, m.ID)
	require.NoError(t, err)
	assert.Equal(t, name, got.Name)
	assert.Equal(t, verify.EventUpdated, f.events.last().Kind)

	rec, err := f.store.Get(ctx, alice.ID, m.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("engine secret"), rec.Secret, "an update keeps the engine secret")
	assert.Equal(t, int64(7), rec.Counter, "an update keeps the counter")

	sms, long, ctl, empty := "sms", string(make([]rune, verify.MaxNameLength+1)), "a\nb", ""
	for _, tc := range []struct {
		name string
		id   string
		req  verify.UpdateRequest
		kind error
	}{
		{"name of a recovery code", rc.ID, verify.UpdateRequest{Name: &name}, verify.ErrInvalidRequest},
		{"preferred method of a totp", m.ID, verify.UpdateRequest{PreferredAuthenticationMethod: &sms}, verify.ErrInvalidRequest},
		{"name too long", m.ID, verify.UpdateRequest{Name: &long}, verify.ErrInvalidRequest},
		{"name empty", m.ID, verify.UpdateRequest{Name: &empty}, verify.ErrInvalidRequest},
		{"name with control character", m.ID, verify.UpdateRequest{Name: &ctl}, verify.ErrInvalidRequest},
		{"unknown method", "totp|dev_none", verify.UpdateRequest{Name: &name}, verify.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Update(ctx, alice, tc.id, tc.req, verify.Client{})
			require.ErrorIs(t, err, tc.kind)
		})
	}
	_, err = f.svc.Update(ctx, bob, m.ID, verify.UpdateRequest{Name: &name}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrNotFound, "another user's method cannot be renamed")
}

func TestDelete(t *testing.T) {
	f := newFixture(t, nil)
	m := f.enroll(t, alice, verify.TypeTOTP)
	require.ErrorIs(t, f.svc.Delete(ctx, bob, m.ID, verify.Client{}), verify.ErrNotFound, "another user's method cannot be deleted")
	require.NoError(t, f.svc.Delete(ctx, alice, m.ID, verify.Client{}))
	assert.Equal(t, verify.EventDeleted, f.events.last().Kind)
	_, err := f.svc.Get(ctx, alice, m.ID)
	require.ErrorIs(t, err, verify.ErrNotFound)
	require.ErrorIs(t, f.svc.Delete(ctx, alice, m.ID, verify.Client{}), verify.ErrNotFound)
}

// TestDeleteLastPrimary: deleting the last primary method is refused unless
// the service allows it; secondary methods are always deletable.
func TestDeleteLastPrimary(t *testing.T) {
	for _, allow := range []bool{false, true} {
		f := newPrimaryFixture(t, allow)
		p1 := f.enroll(t, alice, verify.TypeTOTP)
		p2 := f.enroll(t, alice, verify.TypeTOTP)
		// Make them primary, as passkeys and passwords are.
		for _, id := range []string{p1.ID, p2.ID} {
			rec, err := f.store.Get(ctx, alice.ID, id)
			require.NoError(t, err)
			m, err := verify.MethodFromRecord(rec)
			require.NoError(t, err)
			m.Usage = []verify.Usage{verify.UsagePrimary}
			nr, err := m.Record()
			require.NoError(t, err)
			nr.Version = rec.Version
			_, err = f.store.Update(ctx, nr)
			require.NoError(t, err)
		}
		rc := f.enroll(t, alice, verify.TypeRecoveryCode)
		require.NoError(t, f.svc.Delete(ctx, alice, p1.ID, verify.Client{}), "a primary method that is not the last")
		err := f.svc.Delete(ctx, alice, p2.ID, verify.Client{})
		if allow {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, verify.ErrConflict)
			_, err = f.svc.Get(ctx, alice, p2.ID)
			require.NoError(t, err, "a refused delete removes nothing")
		}
		require.NoError(t, f.svc.Delete(ctx, alice, rc.ID, verify.Client{}), "a secondary method is always deletable")
	}
}

func TestFactors(t *testing.T) {
	f := newFixture(t, nil)
	assert.Equal(t, []verify.Factor{
		{Type: verify.TypeTOTP, Usage: []verify.Usage{verify.UsageSecondary}},
		{Type: verify.TypeRecoveryCode, Usage: []verify.Usage{verify.UsageSecondary}},
	}, f.svc.Factors())
}
