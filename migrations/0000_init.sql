CREATE TABLE "actor_events" (
	"actor_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"machine_version" integer NOT NULL,
	"event" json NOT NULL,
	"value" json NOT NULL,
	"changes" json NOT NULL,
	"context" json,
	CONSTRAINT "actor_events_actor_id_seq_pk" PRIMARY KEY("actor_id","seq")
);
--> statement-breakpoint
CREATE TABLE "actors" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"machine_id" text NOT NULL,
	"machine_version" integer NOT NULL,
	"seq" bigint NOT NULL,
	"status" text NOT NULL,
	"state_key" text NOT NULL,
	"value" json NOT NULL,
	"context" json NOT NULL,
	"context_seq" bigint DEFAULT 0 NOT NULL,
	"history_value" json,
	"timers" json DEFAULT '[]'::json NOT NULL,
	"next_timer_at" timestamp with time zone,
	"device_id" text,
	"parent_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"mac_id" text NOT NULL,
	"password_hash" text NOT NULL,
	"channels" jsonb DEFAULT '[0]'::jsonb NOT NULL,
	"owner_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "devices_mac_id_unique" UNIQUE("mac_id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'user' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "actors_type_state_idx" ON "actors" USING btree ("type","state_key");--> statement-breakpoint
CREATE INDEX "actors_next_timer_idx" ON "actors" USING btree ("next_timer_at") WHERE "actors"."next_timer_at" is not null;--> statement-breakpoint
CREATE INDEX "actors_device_idx" ON "actors" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "actors_parent_idx" ON "actors" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "devices_owner_idx" ON "devices" USING btree ("owner_id");--> statement-breakpoint
-- Actor rows are updated in place on every commit: leave room on each page for HOT updates.
ALTER TABLE "actors" SET (fillfactor = 70);
