-- A message may say how to make its receiver when it does not exist (actors/host/tell.ts `create`): a pu opening a stream.
ALTER TABLE "actor_outbox" ADD COLUMN "spawn" json;
