CREATE TABLE "alarms" (
	"id" text PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"type" integer NOT NULL,
	"state" text NOT NULL,
	"desc" text NOT NULL,
	"device_timestamp" bigint NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"picture" text
);
--> statement-breakpoint
CREATE TABLE "bind_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"device_id" text
);
--> statement-breakpoint
CREATE TABLE "device_logs" (
	"device_id" text NOT NULL,
	"trans_id" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"start" text NOT NULL,
	"end" text NOT NULL,
	"status" text,
	"size" bigint,
	"file" text,
	"done_at" timestamp with time zone,
	CONSTRAINT "device_logs_device_id_trans_id_pk" PRIMARY KEY("device_id","trans_id")
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"token" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"device_id" text NOT NULL,
	"ref" text NOT NULL,
	"max_bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"size" bigint
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"channel" integer NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL,
	"file" text,
	"size" bigint
);
--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "verifier" text;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "secret_enc" text;--> statement-breakpoint
ALTER TABLE "bind_codes" ADD CONSTRAINT "bind_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alarms_device_time_idx" ON "alarms" USING btree ("device_id","received_at");--> statement-breakpoint
CREATE INDEX "grants_device_kind_idx" ON "grants" USING btree ("device_id","kind","ref");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "snapshots_device_idx" ON "snapshots" USING btree ("device_id","taken_at");