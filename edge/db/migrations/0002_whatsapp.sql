CREATE TABLE `calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_ref` integer NOT NULL,
	`call_id` text NOT NULL,
	`call_from` text NOT NULL,
	`is_video` integer NOT NULL,
	`start_time` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calls_call_id` ON `calls` (`client_ref`,`call_id`);--> statement-breakpoint
CREATE INDEX `calls_client` ON `calls` (`client_ref`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`user_id` integer NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer,
	`response` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`user_id`, `key`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `received_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_ref` integer NOT NULL,
	`message_id` text NOT NULL,
	`sender` text NOT NULL,
	`chat_id` text NOT NULL,
	`group_id` text,
	`message` text NOT NULL,
	`type` text NOT NULL,
	`has_media` integer DEFAULT false NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `received_message_id` ON `received_messages` (`client_ref`,`message_id`);--> statement-breakpoint
CREATE INDEX `received_client` ON `received_messages` (`client_ref`,`id`);--> statement-breakpoint
CREATE TABLE `sent_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`client_ref` integer NOT NULL,
	`message_id` text,
	`recipient` text NOT NULL,
	`message` text NOT NULL,
	`media_url` text,
	`status` text NOT NULL,
	`error` text,
	`sent_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sent_user` ON `sent_messages` (`user_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `sent_message_id` ON `sent_messages` (`client_ref`,`message_id`);