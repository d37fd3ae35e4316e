ALTER TABLE `chat_state` ADD `last_body` text;--> statement-breakpoint
ALTER TABLE `chat_state` ADD `last_at` integer;--> statement-breakpoint
ALTER TABLE `chat_state` ADD `last_from_me` integer;--> statement-breakpoint
ALTER TABLE `chat_state` ADD `name` text;--> statement-breakpoint
CREATE INDEX `chat_recent` ON `chat_state` (`client_ref`,`last_at`);--> statement-breakpoint
CREATE INDEX `sent_client` ON `sent_messages` (`client_ref`,`id`);--> statement-breakpoint
CREATE INDEX `sent_chat` ON `sent_messages` (`client_ref`,`recipient`,`sent_at`);--> statement-breakpoint
-- backfill: every private chat's summary from the history already stored
INSERT INTO `chat_state` (`client_ref`, `chat_id`, `last_body`, `last_at`, `last_from_me`, `name`)
SELECT client_ref, chat_id, body, ts, from_me, (SELECT push_name FROM received_messages r WHERE r.client_ref = m.client_ref AND r.chat_id = m.chat_id AND push_name IS NOT NULL ORDER BY received_at DESC LIMIT 1)
FROM (
  SELECT client_ref, chat_id, body, ts, from_me, row_number() OVER (PARTITION BY client_ref, chat_id ORDER BY ts DESC) AS n FROM (
    SELECT client_ref, chat_id, message AS body, received_at AS ts, 0 AS from_me FROM received_messages WHERE group_id IS NULL AND chat_id LIKE '%@c.us'
    UNION ALL
    SELECT client_ref, recipient || '@c.us', message, sent_at, 1 FROM sent_messages WHERE recipient NOT LIKE '%@%' AND status <> 'failed'
  )
) m WHERE n = 1
ON CONFLICT (`client_ref`, `chat_id`) DO UPDATE SET `last_body` = excluded.`last_body`, `last_at` = excluded.`last_at`, `last_from_me` = excluded.`last_from_me`, `name` = excluded.`name`;
