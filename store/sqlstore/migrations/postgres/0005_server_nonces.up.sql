-- verifykit schema 5: DPoP server nonces (store.ServerNonces, RFC 9449 §8),
-- one per period, shared by every process of a deployment.

CREATE TABLE verifykit_server_nonces (
    period     BIGINT NOT NULL,
    nonce      BYTEA  NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT verifykit_server_nonces_pkey PRIMARY KEY (period)
);
CREATE INDEX verifykit_server_nonces_expires_at ON verifykit_server_nonces (expires_at);
