CREATE TABLE `device_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_ref` integer NOT NULL,
	`event` text NOT NULL,
	`dedupe_hash` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`device_ref`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_events_dedupe` ON `device_events` (`device_ref`,`dedupe_hash`);--> statement-breakpoint
CREATE INDEX `device_events_list` ON `device_events` (`device_ref`,`event`,`id`);--> statement-breakpoint
CREATE TABLE `device_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_ref` integer NOT NULL,
	`channel` text NOT NULL,
	`to` text NOT NULL,
	`sim` integer,
	`message` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`lease_until` integer,
	`error` text,
	`source_delivery` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer,
	FOREIGN KEY (`device_ref`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_outbox_source_delivery_unique` ON `device_outbox` (`source_delivery`);--> statement-breakpoint
CREATE INDEX `device_outbox_due` ON `device_outbox` (`device_ref`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `devices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`device_id` text NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`secret_sealed` text NOT NULL,
	`webhook_url` text,
	`webhook_secret_sealed` text,
	`webhook_disabled_at` integer,
	`last_seen_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_device_id_unique` ON `devices` (`device_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `devices_secret_hash_unique` ON `devices` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `devices_user` ON `devices` (`user_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`endpoint` text NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`reply_route` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`last_status` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`delivered_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_due` ON `webhook_deliveries` (`endpoint`,`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_user` ON `webhook_deliveries` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_sweep` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
ALTER TABLE `clients` ADD `webhook_disabled_at` integer;