-- verifykit schema 5: DPoP server nonces (store.ServerNonces, RFC 9449 §8),
-- one per period, shared by every process of a deployment.

CREATE TABLE verifykit_server_nonces (
    period     INTEGER NOT NULL PRIMARY KEY,
    nonce      BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX verifykit_server_nonces_expires_at ON verifykit_server_nonces (expires_at);
