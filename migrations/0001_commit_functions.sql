-- Row source of the group-commit statement's actor rows (actors/store.ts). It unpacks the batch's
-- JSON parameter like json_to_recordset, but is declared STRICT with ROWS 1 so that PostgreSQL
-- does not inline it and plans index lookups into `actors` (it otherwise assumes 100 rows and
-- hash-joins a sequential scan of every actor).
CREATE FUNCTION h627_actor_rows(j json) RETURNS TABLE (
  id text, type text, machine_id text, machine_version int, base_seq bigint, seq bigint,
  status text, state_key text, value json, context json, history_value json, timers json,
  next_timer_at bigint, device_id text, parent_id text, at bigint
) LANGUAGE sql STABLE STRICT ROWS 1 AS $$
  SELECT * FROM json_to_recordset(j) AS x(
    id text, type text, machine_id text, machine_version int, base_seq bigint, seq bigint,
    status text, state_key text, value json, context json, history_value json, timers json,
    next_timer_at bigint, device_id text, parent_id text, at bigint)
$$;
