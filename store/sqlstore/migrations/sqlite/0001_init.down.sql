DROP TABLE verifykit_methods;
DROP TABLE verifykit_sessions;
