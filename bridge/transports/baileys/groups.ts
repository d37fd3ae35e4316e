// The groups and channels a Baileys session belongs to. Group metadata is cached per session (and handed to
// Baileys as `cachedGroupMetadata`, so a group send does not query WhatsApp for it); `groups.update`,
// `groups.upsert` and `group-participants.update` keep it true. Channels (@newsletter) are not in
// WhatsApp's group list: their ids come from the number's chats and messages (stored), their names from
// `newsletterMetadata`.
import { jidNormalizedUser, type GroupMetadata, type WASocket } from '@whiskeysockets/baileys';
import type { GroupInfo } from '../../../adapters/protocol.ts';
import { toChatId } from '../../../adapters/baileys/messages.ts';
import type { MessageStore } from './message-store.ts';

/** A fetched list is trusted this long without an update event (WhatsApp does not report every change). */
export const GROUPS_TTL_MS = 10 * 60_000;

type Me = { id?: string; lid?: string } | undefined;
export type GroupSocket = Partial<Pick<WASocket, 'groupFetchAllParticipating' | 'newsletterMetadata'>> & { user?: Me };

const ADMIN_ROLES = new Set(['admin', 'superadmin']);
const CHANNEL_WRITERS = new Set(['OWNER', 'ADMIN']);

/** Whether this number administers the group: its participants may be listed by LID (with the number beside). */
export function isAdmin(group: GroupMetadata, me: Me): boolean {
  const mine = new Set([me?.id, me?.lid].filter((j): j is string => Boolean(j)).map((j) => jidNormalizedUser(j)));
  return group.participants.some(
    (p) => ADMIN_ROLES.has(p.admin ?? '') && [p.id, p.lid, p.phoneNumber].some((j) => Boolean(j) && mine.has(jidNormalizedUser(j!))),
  );
}

export function groupInfo(g: GroupMetadata, me: Me): GroupInfo {
  const owner = g.ownerPn ?? g.owner;
  return {
    id: g.id,
    name: g.subject,
    description: g.desc ?? null,
    type: 'group',
    isReadOnly: Boolean(g.announce) && !isAdmin(g, me),
    participants: g.participants.length,
    owner: owner ? toChatId(jidNormalizedUser(owner)) : null,
    createdAt: g.creation ?? null,
  };
}

/**
 * rc14's `newsletterMetadata` hands back WhatsApp's raw answer (`thread_metadata.name.text`, counts as strings,
 * the viewer's role in `viewer_metadata`) although its type says otherwise: both shapes are read.
 */
type RawChannel = {
  name?: string;
  description?: string;
  subscribers?: number;
  creation_time?: number | string;
  thread_metadata?: { name?: { text?: string }; description?: { text?: string }; subscribers_count?: string; creation_time?: string };
  viewer_metadata?: { role?: string };
};

export function channelInfo(jid: string, meta: RawChannel | object | null): GroupInfo {
  const m = (meta ?? {}) as RawChannel;
  const t = m.thread_metadata;
  const created = Number(m.creation_time ?? t?.creation_time);
  return {
    id: jid,
    name: (typeof m.name === 'string' && m.name) || t?.name?.text || jid,
    description: (typeof m.description === 'string' ? m.description : t?.description?.text) || null,
    type: 'channel',
    isReadOnly: !CHANNEL_WRITERS.has(m.viewer_metadata?.role ?? ''),
    participants: Number(m.subscribers ?? t?.subscribers_count ?? 0) || 0,
    owner: null,
    createdAt: Number.isFinite(created) && created > 0 ? created : null,
  };
}

export class GroupDirectory {
  private readonly store: MessageStore;
  private readonly groups = new Map<string, GroupMetadata>();
  /** when each group's metadata was last fetched or updated */
  private readonly groupAt = new Map<string, number>();
  private fetchedAt = 0;
  private readonly channelCache = new Map<string, { info: GroupInfo; at: number }>();

  constructor(store: MessageStore) {
    this.store = store;
  }

  /** For Baileys' `cachedGroupMetadata`: what is known and fresh, or undefined (Baileys then asks WhatsApp). */
  cached = async (jid: string): Promise<GroupMetadata | undefined> =>
    Date.now() - (this.groupAt.get(jid) ?? 0) < GROUPS_TTL_MS ? this.groups.get(jid) : undefined;

  private put(g: GroupMetadata, at = Date.now()) {
    this.groups.set(g.id, g);
    this.groupAt.set(g.id, at);
  }

  /** `groups.upsert` (joined) and `groups.update` (changed): merged into what is known. */
  update(changes: Partial<GroupMetadata>[]): void {
    for (const change of changes) {
      if (!change.id) continue;
      const known = this.groups.get(change.id);
      if (known) this.put({ ...known, ...change }, this.groupAt.get(change.id));
      else if (change.participants && change.subject !== undefined) this.put(change as GroupMetadata);
      else this.fetchedAt = 0; // a group we do not know in full: fetch the list again when asked
    }
  }

  /** `group-participants.update`: who is in it (and who is admin) changed — fetch again when asked. */
  membersChanged(jid: string): void {
    this.groups.delete(jid);
    this.groupAt.delete(jid);
    this.fetchedAt = 0;
  }

  /** Left or removed: forget it. */
  clear(): void {
    this.groups.clear();
    this.groupAt.clear();
    this.channelCache.clear();
    this.fetchedAt = 0;
  }

  async list(sock: GroupSocket, now = Date.now()): Promise<GroupInfo[]> {
    if (sock.groupFetchAllParticipating && now - this.fetchedAt > GROUPS_TTL_MS) {
      const all = await sock.groupFetchAllParticipating();
      this.groups.clear();
      this.groupAt.clear();
      for (const g of Object.values(all)) this.put(g, now);
      this.fetchedAt = now;
    }
    const groups = [...this.groups.values()].map((g) => groupInfo(g, sock.user));
    return [...groups, ...(await this.channels(sock, now))];
  }

  private async channels(sock: GroupSocket, now: number): Promise<GroupInfo[]> {
    const out: GroupInfo[] = [];
    for (const jid of this.store.channels()) {
      const known = this.channelCache.get(jid);
      if (known && now - known.at < GROUPS_TTL_MS) {
        out.push(known.info);
        continue;
      }
      const meta = await sock.newsletterMetadata?.('jid', jid).catch(() => null);
      if (meta === null && known) {
        out.push(known.info); // WhatsApp did not answer now: what we knew
        continue;
      }
      const info = channelInfo(jid, meta ?? null);
      if (meta) this.channelCache.set(jid, { info, at: now });
      out.push(info);
    }
    return out;
  }
}
