DROP TABLE verifykit_push_transactions;
ALTER TABLE verifykit_push_tickets DROP COLUMN device_token_hash;
ALTER TABLE verifykit_push_tickets DROP COLUMN secret_key_id;
ALTER TABLE verifykit_push_tickets DROP COLUMN secret;
