CREATE INDEX `rule_events_unmatched` ON `rule_events` (`created_at`) WHERE matched_at IS NULL;--> statement-breakpoint
CREATE INDEX `rule_runs_user` ON `rule_runs` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `rule_runs_pending` ON `rule_runs` (`next_at`) WHERE status = 'pending';