ALTER TABLE `chat_state` ADD `unread` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- the counts so far, from what was received after each chat's read_until
UPDATE `chat_state` SET `unread` = (SELECT count(*) FROM `received_messages` r WHERE r.client_ref = chat_state.client_ref AND r.chat_id = chat_state.chat_id AND r.received_at > chat_state.read_until);
