CREATE TABLE `send_fallbacks` (
	`queue_id` text PRIMARY KEY NOT NULL,
	`client_ref` integer NOT NULL,
	`user_id` integer NOT NULL,
	`to` text NOT NULL,
	`text` text NOT NULL,
	`device_id` text,
	`due_at` integer NOT NULL,
	`done_at` integer,
	`outcome` text,
	`sms_id` text,
	`error` text,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `send_fallbacks_due` ON `send_fallbacks` (`client_ref`,`done_at`,`due_at`);