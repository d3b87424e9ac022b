-- Run as kefu_owner (or a superuser) after `kefu db migrate` made the tables; again after an
-- upgrade.
-- The log is insert-only for everyone but its owner: the API and the worker may INSERT events,
-- chain links, key markers, access-log rows and idempotency rows, never change or remove them.
SET search_path = public;

GRANT SELECT, INSERT ON kefu_events, event_chain, chain_keys, idempotency_keys, kefu_snapshots,
    access_log, access_batches TO kefu_api, kefu_worker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO kefu_api, kefu_worker;
-- eventsourcing serialises inserts with LOCK TABLE ... IN EXCLUSIVE MODE, which PostgreSQL allows
-- only to roles holding UPDATE, DELETE or TRUNCATE. UPDATE is granted for that lock alone; the
-- triggers below refuse every UPDATE, DELETE and TRUNCATE of the log, whoever asks.
GRANT UPDATE ON kefu_events TO kefu_api, kefu_worker;

CREATE OR REPLACE FUNCTION kefu_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % table is insert-only: history is never rewritten', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kefu_events', 'event_chain', 'chain_keys', 'access_log',
                             'access_batches'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_insert_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION kefu_refuse_rewrite()', t || '_insert_only', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_no_truncate', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION kefu_refuse_rewrite()', t || '_no_truncate', t);
    END LOOP;
END $$;

-- Every other table is a view (projection), a tracking row or a snapshot: the API reads them;
-- the worker writes them and, for rebuilds, creates new ones.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO kefu_api, kefu_backup;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kefu_worker;
REVOKE UPDATE, DELETE, TRUNCATE ON event_chain, chain_keys, idempotency_keys, kefu_snapshots,
    access_log, access_batches FROM kefu_worker;
REVOKE DELETE, TRUNCATE ON kefu_events FROM kefu_worker;
-- Tables a later `kefu db migrate` adds (new views) are readable and writable the same way;
-- run this file again after an upgrade all the same (the log's rules above name its tables).
ALTER DEFAULT PRIVILEGES FOR ROLE kefu_owner IN SCHEMA public
    GRANT SELECT ON TABLES TO kefu_api, kefu_backup;
ALTER DEFAULT PRIVILEGES FOR ROLE kefu_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kefu_worker;
-- The API runs no DDL (`kefu db migrate`, as kefu_owner, made the schema and recorded it in
-- kefu_schema), so it gets no CREATE. The worker creates the fresh tables of
-- `kefu projections rebuild`; a table it did not create stays out of its reach (no ALTER, DROP
-- or TRUNCATE without ownership).
GRANT CREATE ON SCHEMA public TO kefu_worker;
-- Personal data keys (docs/privacy.md): kept apart from the events. The API makes a record's
-- key with its first sealed event and, on an erasure, destroys keys (an UPDATE blanks the
-- wrapped key; rows are never deleted) and deletes the erased records' snapshots; the worker
-- does the same for retention.
GRANT SELECT, INSERT, UPDATE ON personal_keys, personal_links TO kefu_api, kefu_worker;
GRANT DELETE ON kefu_snapshots TO kefu_api, kefu_worker;
