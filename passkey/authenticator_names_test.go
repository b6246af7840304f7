package passkey

import (
	"context"
	"net/url"
	"testing"

	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/metadata/providers/memory"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// Without a names file, an AAGUID is named by its MDS3 metadata
// statement's description, with its icon only when that is a data: URL; a
// names file entry comes first; an AAGUID the BLOB does not list, and the
// all-zero AAGUID, have none (WebAuthn L3 authenticator names, issue 17).
func TestAuthenticatorIsNamedByItsMetadataStatement(t *testing.T) {
	id := uuid.UUID([]byte("verifykit-test!!"))
	other := uuid.UUID([]byte("verifykit-other!"))
	icon, err := url.Parse("data:image/png;base64,iVBORw0KGgo=")
	require.NoError(t, err)
	fetched, err := url.Parse("https://icons.example/key.png")
	require.NoError(t, err)
	mds, err := memory.New(memory.WithMetadata(map[uuid.UUID]*metadata.Entry{
		id: {AaGUID: id, MetadataStatement: metadata.Statement{AaGUID: id, Description: "verifykit MDS Key", Icon: icon},
			StatusReports: []metadata.StatusReport{{Status: metadata.FidoCertified}}},
		other: {AaGUID: other, MetadataStatement: metadata.Statement{AaGUID: other, Description: "Remote Icon Key", Icon: fetched},
			StatusReports: []metadata.StatusReport{{Status: metadata.FidoCertified}}},
	}), memory.WithValidateEntry(false))
	require.NoError(t, err)

	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.Trust = TrustPolicy{Metadata: mds} })
	info, ok := h.e.Authenticator(context.Background(), id.String())
	require.True(t, ok)
	assert.Equal(t, "verifykit MDS Key", info.Name)
	assert.Equal(t, icon.String(), info.IconLight)
	assert.Equal(t, icon.String(), info.IconDark, "the light icon stands in for a missing dark one")

	info, ok = h.e.Authenticator(context.Background(), other.String())
	require.True(t, ok)
	assert.Equal(t, "Remote Icon Key", info.Name)
	assert.Empty(t, info.IconLight, "an icon that would be fetched is dropped")
	assert.Empty(t, info.IconDark)

	for _, unknown := range []string{uuid.Nil.String(), uuid.UUID([]byte("not-in-the-blob!")).String()} {
		_, ok := h.e.Authenticator(context.Background(), unknown)
		assert.False(t, ok, unknown)
	}

	// The names file comes before the BLOB.
	names, err := ParseAAGUIDNames([]byte(testNamesFile))
	require.NoError(t, err)
	h = newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.Trust = TrustPolicy{Metadata: mds}; c.Names = names })
	info, ok = h.e.Authenticator(context.Background(), id.String())
	require.True(t, ok)
	assert.Equal(t, "verifykit Test Key", info.Name)
}
