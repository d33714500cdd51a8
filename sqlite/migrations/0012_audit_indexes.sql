-- Every issued token appends an audit event, so each index of
-- audit_events costs a B-tree insertion per token. Listing by actor or
-- action walks the tenant's chain in order and filters, as it does on
-- PostgreSQL, which never had these two indexes; the chain's primary key,
-- the event id and the time index stay.
DROP INDEX audit_events_actor;
DROP INDEX audit_events_action;
