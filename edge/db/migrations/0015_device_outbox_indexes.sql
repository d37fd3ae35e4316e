CREATE INDEX `device_outbox_user` ON `device_outbox` (`user_id`,`kind`,`id`);--> statement-breakpoint
CREATE INDEX `device_outbox_age` ON `device_outbox` (`status`,`created_at`);