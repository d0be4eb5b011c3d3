-- The cluster (docs/cluster.md): nodes and their leases; each actor names its owner (node, epoch); each event its writer.
CREATE TABLE "cluster_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"epoch" bigint NOT NULL,
	"state" text NOT NULL,
	"base_url" text NOT NULL,
	"public_host" text NOT NULL,
	"http_port" integer NOT NULL,
	"srt_port" integer NOT NULL,
	"load" json DEFAULT '{}'::json NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "actor_events" ADD COLUMN "writer" text;--> statement-breakpoint
ALTER TABLE "actors" ADD COLUMN "owner_node" text;--> statement-breakpoint
ALTER TABLE "actors" ADD COLUMN "owner_epoch" bigint;--> statement-breakpoint
CREATE INDEX "actors_owner_timer_idx" ON "actors" USING btree ("owner_node","owner_epoch","next_timer_at");