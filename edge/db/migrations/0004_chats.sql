CREATE TABLE `chat_state` (
	`client_ref` integer NOT NULL,
	`chat_id` text NOT NULL,
	`read_until` integer DEFAULT 0 NOT NULL,
	`muted` integer DEFAULT false NOT NULL,
	`pinned` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`client_ref`, `chat_id`),
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `reactions` (
	`client_ref` integer NOT NULL,
	`message_id` text NOT NULL,
	`sender_id` text NOT NULL,
	`reaction` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`client_ref`, `message_id`, `sender_id`),
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `received_messages` ADD `mimetype` text;--> statement-breakpoint
ALTER TABLE `received_messages` ADD `filename` text;--> statement-breakpoint
ALTER TABLE `received_messages` ADD `push_name` text;--> statement-breakpoint
CREATE INDEX `received_chat` ON `received_messages` (`client_ref`,`chat_id`,`received_at`);