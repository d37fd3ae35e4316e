CREATE TABLE `bridges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`bridge_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bridges_bridge_id_unique` ON `bridges` (`bridge_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `bridges_token_hash_unique` ON `bridges` (`token_hash`);