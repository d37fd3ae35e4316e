CREATE TABLE `scheduled_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`client_ref` integer NOT NULL,
	`recipient` text NOT NULL,
	`message` text NOT NULL,
	`schedule_time` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`lease_until` integer,
	`retry_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`message_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `scheduled_due` ON `scheduled_messages` (`status`,`schedule_time`);--> statement-breakpoint
CREATE INDEX `scheduled_client_due` ON `scheduled_messages` (`client_ref`,`status`,`schedule_time`);--> statement-breakpoint
CREATE INDEX `scheduled_user` ON `scheduled_messages` (`user_id`,`id`);