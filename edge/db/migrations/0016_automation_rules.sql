CREATE TABLE `mail_settings` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`transport` text NOT NULL,
	`host` text,
	`port` integer,
	`security` text,
	`username` text,
	`password_sealed` text,
	`from_email` text NOT NULL,
	`from_name` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `rule_events` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`client_ref` integer,
	`device_ref` integer,
	`source` text,
	`reply_route` text,
	`from_rule` integer DEFAULT false NOT NULL,
	`matched_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rule_events_due` ON `rule_events` (`user_id`,`matched_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `rule_events_recent` ON `rule_events` (`user_id`,`event`,`created_at`);--> statement-breakpoint
CREATE INDEX `rule_events_age` ON `rule_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `rule_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_ref` integer NOT NULL,
	`user_id` integer NOT NULL,
	`event_id` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`steps` text NOT NULL,
	`next_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`rule_ref`) REFERENCES `rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `rule_runs_rule` ON `rule_runs` (`rule_ref`,`created_at`);--> statement-breakpoint
CREATE INDEX `rule_runs_due` ON `rule_runs` (`user_id`,`status`,`next_at`);--> statement-breakpoint
CREATE INDEX `rule_runs_age` ON `rule_runs` (`created_at`);--> statement-breakpoint
CREATE TABLE `rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`public_id` text NOT NULL,
	`user_id` integer NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`position` integer NOT NULL,
	`event` text NOT NULL,
	`trigger` text NOT NULL,
	`actions` text NOT NULL,
	`max_runs_per_minute` integer NOT NULL,
	`webhook_secret_sealed` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rules_public_id_unique` ON `rules` (`public_id`);--> statement-breakpoint
CREATE INDEX `rules_user_event` ON `rules` (`user_id`,`event`,`position`);--> statement-breakpoint
ALTER TABLE `device_outbox` ADD `rule_run` text;