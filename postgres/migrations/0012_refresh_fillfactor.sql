-- A refresh rotation updates one column of the spent token (rotated_at),
-- which no index covers: with room left on its page, PostgreSQL writes the
-- new row version there as a heap-only tuple and touches none of the
-- table's three indexes. Leave a fifth of each new page for that.
ALTER TABLE refresh_tokens SET (fillfactor = 80);
