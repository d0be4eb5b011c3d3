CREATE TABLE "actor_outbox" (
	"key" text PRIMARY KEY NOT NULL,
	"sender_id" text NOT NULL,
	"sender_seq" bigint NOT NULL,
	"position" integer NOT NULL,
	"receiver_id" text NOT NULL,
	"event" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "actor_events" ADD COLUMN "delivery_key" text;--> statement-breakpoint
CREATE INDEX "actor_outbox_order_idx" ON "actor_outbox" USING btree ("created_at","sender_id","sender_seq","position");--> statement-breakpoint
CREATE UNIQUE INDEX "actor_events_delivery_key_idx" ON "actor_events" USING btree ("actor_id","delivery_key") WHERE "actor_events"."delivery_key" is not null;