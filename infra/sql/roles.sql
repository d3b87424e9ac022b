-- kefu's PostgreSQL roles, least privilege. Run as a superuser, in the kefu database, once.
-- Then create the tables with `kefu db migrate` (KEFU_DATABASE_URL naming kefu_owner) and run
-- grants.sql as kefu_owner. Set real passwords with \password.
CREATE ROLE kefu_owner LOGIN;   -- owns the schema and every table; migrations and rebuilds
CREATE ROLE kefu_api LOGIN;     -- the HTTP API: appends to the log, reads the views
CREATE ROLE kefu_worker LOGIN;  -- projections and processes: appends, and writes the views
CREATE ROLE kefu_backup LOGIN REPLICATION;  -- pg_dump / pg_basebackup

-- kefu's tables live in the public schema (eventsourcing's default), owned by kefu_owner.
ALTER SCHEMA public OWNER TO kefu_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO kefu_api, kefu_worker, kefu_backup;
