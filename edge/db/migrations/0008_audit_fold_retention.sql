ALTER TABLE `audit_log` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `last_at` integer;--> statement-breakpoint
CREATE INDEX `audit_fold` ON `audit_log` (`event`,`ip`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_age` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE INDEX `device_events_age` ON `device_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `idempotency_age` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE INDEX `webhook_age` ON `webhook_deliveries` (`status`,`created_at`);