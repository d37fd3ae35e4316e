import type { Context } from 'hono';
import { and, desc, eq } from 'drizzle-orm';
import { type GroupInfo, isChannelId, isGroupId } from '../../../adapters/protocol.ts';
import { allowPrivateUrls } from '../../../adapters/url-guard.ts';
import type { MediaKind } from '../../../adapters/vocabulary.ts';
import { getDb } from '../../db/client.ts';
import { receivedMessages, sentMessages } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { groupDelay } from '../../lib/group-delay.ts';
import { createRouter } from '../../lib/router.ts';
import { inList } from '../../lib/sql-list.ts';
import { command, hubFor } from '../../services/bridge-commands.ts';
import { OUTAGE_CODES } from '../../services/queue-drain.ts';
import { findOwnClient, type ClientRow } from '../../services/clients.ts';
import { checkMediaUrl } from '../../services/media-url.ts';
import { picturesFor } from '../../services/pictures.ts';
import { queueSend } from '../../services/send-queue.ts';
import { listGroupsRoute, sendGroupMessageRoute, sendToGroupRoute } from './groups.routes.ts';

/** The number's groups from the bridge, remembered by the number's object for an outage. */
async function groupsOf(c: Context<AppEnv>, client: ClientRow): Promise<GroupInfo[]> {
  const groups = await command(c.env, client.id, 'groups', {});
  c.executionCtx.waitUntil(
    hubFor(c.env, client.id)
      .rememberGroups(groups)
      .catch((err: unknown) => console.error('remembering the groups failed', err)),
  );
  return groups;
}

/** For a send: the bridge's list, or in an outage the one it gave last (the send then waits in the queue for the number). */
async function groupsForSend(c: Context<AppEnv>, client: ClientRow): Promise<GroupInfo[]> {
  try {
    return await groupsOf(c, client);
  } catch (err) {
    if (!(err instanceof ApiError) || !(OUTAGE_CODES as readonly string[]).includes(err.code)) throw err;
    const known = await hubFor(c.env, client.id).knownGroups();
    if (!known) throw err;
    return known;
  }
}

interface GroupSend {
  message?: string;
  mediaUrl?: string;
  mediaType?: MediaKind;
}

/** The spec's group rules, the anti-spam delay, then the send. */
async function sendToGroup(c: Context<AppEnv>, client: ClientRow, groupId: string, body: GroupSend) {
  if (!isGroupId(groupId) && !isChannelId(groupId)) throw new ApiError(400, 'INVALID_CHAT_TYPE', 'Not a group or channel id (…@g.us or …@newsletter)');
  const group = (await groupsForSend(c, client)).find((g) => g.id === groupId);
  if (!group) throw new ApiError(404, 'GROUP_NOT_FOUND', 'Group or channel not found');
  if (group.isReadOnly) throw new ApiError(403, 'READ_ONLY_CHAT', 'Only admins can send to this group or channel');
  const media = body.mediaUrl ? { url: body.mediaUrl, ...checkMediaUrl(body.mediaUrl, allowPrivateUrls(c.env)), kind: body.mediaType! } : undefined;
  // the spec's anti-spam delay is the message's not-before time in the queue: the request does not wait it out
  const queued = await queueSend(
    c.env,
    client,
    { to: groupId, text: body.message, media, origin: 'group' },
    { lane: 'bulk', delayMs: groupDelay(c.env.GROUP_SEND_DELAY_MS) },
  );
  return {
    group,
    message: {
      id: { _serialized: queued.id },
      body: body.message ?? '',
      timestamp: Math.floor(Date.now() / 1000),
      type: media ? media.kind : 'chat',
      status: queued.status === 'sending' ? ('sending' as const) : ('queued' as const),
    },
  };
}

export const groupsRouter = createRouter()
  .openapi(listGroupsRoute, async (c) => {
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), c.req.valid('param').clientId);
    const groups = await groupsOf(c, client);
    const ids = groups.map((g) => g.id);
    const pictures = ids.length ? await picturesFor(c.env, client.id, ids) : new Map<string, string | null>();
    // last activity from what this client received and sent
    const [inbound, outbound] = ids.length
      ? await Promise.all([
          db
            .select()
            .from(receivedMessages)
            .where(and(eq(receivedMessages.clientRef, client.id), inList(receivedMessages.groupId, ids)))
            .orderBy(desc(receivedMessages.receivedAt))
            .limit(500),
          db
            .select()
            .from(sentMessages)
            .where(and(eq(sentMessages.clientRef, client.id), inList(sentMessages.recipient, ids)))
            .orderBy(desc(sentMessages.sentAt))
            .limit(500),
        ])
      : [[], []];
    const last = new Map<string, { body: string; timestamp: number; fromMe: boolean }>();
    for (const m of inbound)
      if (m.groupId && !last.has(m.groupId)) last.set(m.groupId, { body: m.message, timestamp: Math.floor(m.receivedAt / 1000), fromMe: false });
    for (const m of outbound) {
      const seen = last.get(m.recipient);
      const ts = Math.floor(m.sentAt / 1000);
      if (!seen || seen.timestamp < ts) last.set(m.recipient, { body: m.message, timestamp: ts, fromMe: true });
    }
    const present = (g: GroupInfo) => {
      const lastMessage = last.get(g.id) ?? null;
      const common = {
        id: g.id,
        name: g.name,
        description: g.description,
        profilePic: pictures.get(g.id) ?? null,
        lastMessage,
        timestamp: lastMessage?.timestamp ?? g.createdAt ?? 0,
        unreadCount: 0,
        isMuted: false,
        pinned: false,
        isReadOnly: g.isReadOnly,
      };
      return common;
    };
    const byActivity = <T extends { timestamp: number }>(a: T, b: T) => b.timestamp - a.timestamp;
    const groupList = groups
      .filter((g) => g.type === 'group')
      .map((g) => ({ ...present(g), participants: g.participants, owner: g.owner, createdAt: g.createdAt, type: 'group' as const }))
      .sort(byActivity);
    const channels = groups
      .filter((g) => g.type === 'channel')
      .map((g) => ({ ...present(g), type: 'channel' as const }))
      .sort(byActivity);
    return c.json({ groups: groupList, channels, total: groupList.length + channels.length }, 200);
  })
  .openapi(sendGroupMessageRoute, async (c) => {
    const body = c.req.valid('json');
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), body.clientId);
    const { group, message } = await sendToGroup(c, client, body.groupId, body);
    return c.json({ success: true as const, message, groupId: group.id, groupName: group.name }, 200);
  })
  .openapi(sendToGroupRoute, async (c) => {
    const { clientId, groupId } = c.req.valid('param');
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), clientId);
    const { message } = await sendToGroup(c, client, groupId, c.req.valid('json'));
    return c.json({ success: true as const, message }, 200);
  });
