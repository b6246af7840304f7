DROP TABLE verifykit_nonces;
