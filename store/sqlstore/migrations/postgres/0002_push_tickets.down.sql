DROP TABLE verifykit_push_tickets;
