-- Development passwords for compose.yaml only; production sets its own with \password.
ALTER ROLE kefu_owner PASSWORD 'change-me-too';
