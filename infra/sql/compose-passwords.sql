-- Development passwords for compose.yaml only; production sets its own with \password.
ALTER ROLE kefu_owner PASSWORD 'change-me-too';
ALTER ROLE kefu_api PASSWORD 'change-me-api';
ALTER ROLE kefu_worker PASSWORD 'change-me-worker';
