package passkey

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/verify"
)

// TestAnotherIdentityIsRefused: a WebAuthn enrollment naming an identity
// other than the subject's own is refused (403) unless
// verify.Config.AllowIdentity approves it, and a connection that is not
// configured is refused (400 "unknown connection"), over the service and
// over HTTP (issue 16 item 1).
func TestAnotherIdentityIsRefused(t *testing.T) { // AB-01, AB-02
	for _, typ := range []verify.Type{verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming} {
		t.Run(string(typ), func(t *testing.T) {
			f := newSvcFixture(t, typ, nil)
			_, err := f.svc.Start(context.Background(), alice, verify.StartRequest{Type: typ, IdentityUserID: "auth0|victim"}, verify.Client{})
			require.ErrorIs(t, err, verify.ErrForbidden)

			_, err = f.svc.Start(context.Background(), alice, verify.StartRequest{Type: typ, Connection: "any-connection"}, verify.Client{})
			require.ErrorIs(t, err, verify.ErrInvalidRequest)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, "connection", ve.Fields[0].Field)
			assert.Equal(t, "unknown connection", ve.Fields[0].Detail)

			enr, err := f.svc.Start(context.Background(), alice, verify.StartRequest{Type: typ, IdentityUserID: alice.ID}, verify.Client{})
			require.NoError(t, err, "the subject's own identity named explicitly")
			assert.NotEmpty(t, enr.AuthSession)

			srv := httpServer(t, f)
			status, body := post(t, srv, "/me/v1/authentication-methods", `{"type":"`+string(typ)+`","identity_user_id":"auth0|victim"}`)
			assert.Equal(t, http.StatusForbidden, status, body)
			status, body = post(t, srv, "/me/v1/authentication-methods", `{"type":"`+string(typ)+`","connection":"Username-Password-Authentication"}`)
			assert.Equal(t, http.StatusBadRequest, status, body)
			assert.Contains(t, body, "unknown connection")
			assert.Zero(t, f.count(alice))
		})
	}
}

// TestAllowIdentityApprovesALinkedIdentity: the one identity hook of
// verify.Config decides for every engine; the confirmed credential carries
// the approved identity (issue 16 item 1).
func TestAllowIdentityApprovesALinkedIdentity(t *testing.T) { // AB-01
	f := newSvcFixture(t, verify.TypePasskey, nil)
	f.svc = testServiceWith(t, f, verify.Config{
		Connections: []string{"corp-db"},
		AllowIdentity: func(_ context.Context, sub verify.Subject, id string) error {
			if sub.ID == alice.ID && id == "corp-db|alice" {
				return nil
			}
			return verify.NewError(verify.ErrForbidden, "identity_not_linked", "not linked")
		},
	})
	_, err := f.svc.Start(context.Background(), alice, verify.StartRequest{Type: verify.TypePasskey, IdentityUserID: "auth0|victim"}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrForbidden)
	enr, err := f.svc.Start(context.Background(), alice, verify.StartRequest{Type: verify.TypePasskey, IdentityUserID: "corp-db|alice", Connection: "corp-db"}, verify.Client{})
	require.NoError(t, err)
	var opts creationOptions
	require.NoError(t, json.Unmarshal(enr.AuthnParamsPublicKey, &opts))
	m, err := f.finish(alice, enr, newTestAuthenticator(t).register(t, registration{RPID: testRPID, Format: "packed-self", Flags: 0x5d, ClientDat: created(opts)}, "internal"))
	require.NoError(t, err)
	assert.Equal(t, "corp-db|alice", m.IdentityUserID)
}

// testServiceWith is testService over f's store, clock and engine with
// the identity settings of cfg.
func testServiceWith(t testing.TB, f *svcFixture, cfg verify.Config) *verify.Service {
	t.Helper()
	sealer, err := session.NewSealer(session.Config{
		Keys: []session.Key{{ID: "k1", Password: "q7Jx2Lm9Vb4Nc8Zs1Df6Gh3Pk5Rt0Wy-Ue_Io"}},
		Now:  f.clock,
	})
	require.NoError(t, err)
	cfg.Engines, cfg.Sealer, cfg.Store, cfg.Now = []verify.Engine{f.e}, sealer, f.store, f.clock
	svc, err := verify.NewService(cfg)
	require.NoError(t, err)
	return svc
}
