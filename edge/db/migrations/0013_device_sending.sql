CREATE TABLE `device_sims` (
	`device_ref` integer NOT NULL,
	`slot` integer NOT NULL,
	`carrier` text,
	`number` text,
	`daily_quota` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`device_ref`, `slot`),
	FOREIGN KEY (`device_ref`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `kind` text DEFAULT 'reply' NOT NULL;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `public_id` text;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `user_id` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `routed` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `moved_from` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `segments` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `encoding` text;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `deadline` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `response` text;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `sent_at` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `delivered_at` integer;--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `fallback_of` text;--> statement-breakpoint
CREATE UNIQUE INDEX `device_outbox_public_id_unique` ON `device_outbox` (`public_id`);--> statement-breakpoint
CREATE INDEX `device_outbox_sent_day` ON `device_outbox` (`device_ref`,`sim`,`sent_at`);