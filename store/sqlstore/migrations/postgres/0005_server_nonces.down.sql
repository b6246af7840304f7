DROP TABLE verifykit_server_nonces;
