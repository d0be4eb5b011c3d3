-- Ids of the group-commit statement's actors that append events only (actors/host/store.ts). Like h627_actor_rows it is
-- declared STRICT with ROWS 1, so that PostgreSQL does not inline it and looks each id up in the primary key: from
-- json_array_elements_text (100 rows assumed) a generic plan made while `actors` was small scanned the whole table,
-- or every actor this node owns, at each commit.
CREATE FUNCTION h627_ids(j json) RETURNS SETOF text
LANGUAGE sql STABLE STRICT ROWS 1 AS $$
  SELECT json_array_elements_text(j)
$$;
--> statement-breakpoint
-- The `{id, root}` pairs of an actor claim (actors/host/ownership.ts), one row assumed for the same reason: from
-- json_to_recordset (100 rows assumed) the claim hash-joined a sequential scan of every actor (23 ms a claim at 12,000
-- actors in a failover, auto_explain).
CREATE FUNCTION h627_claims(j json) RETURNS TABLE (id text, root text)
LANGUAGE sql STABLE STRICT ROWS 1 AS $$
  SELECT * FROM json_to_recordset(j) AS x(id text, root text)
$$;
