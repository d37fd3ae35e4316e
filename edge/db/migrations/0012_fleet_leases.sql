CREATE TABLE `bridge_links` (
	`bridge_id` text PRIMARY KEY NOT NULL,
	`seen_at` integer NOT NULL,
	`closed_at` integer,
	`draining_at` integer,
	`transport` text,
	`version` text
);
--> statement-breakpoint
CREATE TABLE `client_leases` (
	`client_ref` integer PRIMARY KEY NOT NULL,
	`bridge_id` text NOT NULL,
	`epoch` integer NOT NULL,
	`granted_at` integer NOT NULL,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `client_leases_bridge` ON `client_leases` (`bridge_id`);--> statement-breakpoint
CREATE TABLE `sandbox_offline` (
	`id` text PRIMARY KEY NOT NULL,
	`client_ref` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`client_ref`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sandbox_offline_client` ON `sandbox_offline` (`client_ref`,`created_at`);