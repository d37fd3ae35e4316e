ALTER TABLE `sent_messages` ADD `queue_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `sent_queue_id` ON `sent_messages` (`client_ref`,`queue_id`);