// Groups and channels from rc14's own parsing of WhatsApp's answers (extractGroupMetadata; the raw
// newsletter metadata rc14 passes through).
import { describe, expect, it } from 'vitest';
import { groupMetadata } from '../../../test/fixtures/baileys/rc14.ts';
import { harness } from './harness.ts';
import { channelInfo, groupInfo } from './groups.ts';

const ME = { id: '972500000001:3@s.whatsapp.net', lid: '99990000000001:3@lid' };
const lidGroup = (myRole: string | undefined) =>
  groupMetadata(
    { id: '120363000000000001', subject: 'Shop news', creator: '111111111111111@lid', creator_pn: '972521112222@s.whatsapp.net', addressing_mode: 'lid' },
    [
      { jid: '111111111111111@lid', phone_number: '972521112222@s.whatsapp.net', type: 'superadmin' },
      { jid: '99990000000001@lid', phone_number: '972500000001@s.whatsapp.net', ...(myRole ? { type: myRole } : {}) },
    ],
  );

describe('Baileys groups', () => {
  it('an announce group this number administers in a LID-addressed group is writable; the owner is a number', () => {
    const admin = lidGroup('admin');
    admin.announce = true;
    expect(groupInfo(admin, ME)).toMatchObject({ id: '120363000000000001@g.us', isReadOnly: false, owner: '972521112222@c.us', participants: 2 });
    const member = lidGroup(undefined);
    member.announce = true;
    expect(groupInfo(member, ME).isReadOnly).toBe(true);
    // recognised by the phone number beside the LID too (an own jid without lid)
    expect(groupInfo(admin, { id: ME.id }).isReadOnly).toBe(false);
  });

  it('channels read from the raw answer rc14 hands back, writable only for owners and admins', () => {
    const raw = {
      id: '120363999999999999@newsletter',
      thread_metadata: { name: { text: 'Deals' }, description: { text: 'weekly' }, subscribers_count: '1520', creation_time: '1700000000' },
      viewer_metadata: { role: 'SUBSCRIBER', mute: 'OFF' },
    };
    expect(channelInfo(raw.id, raw)).toEqual({
      id: raw.id,
      name: 'Deals',
      description: 'weekly',
      type: 'channel',
      isReadOnly: true,
      participants: 1520,
      owner: null,
      createdAt: 1700000000,
    });
    expect(channelInfo(raw.id, { ...raw, viewer_metadata: { role: 'OWNER' } }).isReadOnly).toBe(false);
  });

  it('profile pictures: the preview URL, kept a day; none (404) is a fact too; a timeout is asked again', async () => {
    const h = harness();
    await h.connected();
    const sock = h.last();
    const ask = () => h.session.pictures(['15550000031@c.us', '15550000032@c.us', '120363000000000001@g.us']);
    expect(await ask()).toEqual([
      { chatId: '15550000031@c.us', url: 'https://pps.whatsapp.net/v/15550000031.jpg' },
      { chatId: '15550000032@c.us', url: null },
      { chatId: '120363000000000001@g.us', url: 'https://pps.whatsapp.net/v/120363000000000001.jpg' },
    ]);
    expect(sock.profilePictureUrl).toHaveBeenCalledWith('15550000031@s.whatsapp.net', 'preview', 5000);
    await ask();
    expect(sock.profilePictureUrl).toHaveBeenCalledTimes(3);
    sock.profilePictureUrl.mockRejectedValueOnce(new Error('Timed Out'));
    expect(await h.session.pictures(['15550000033@c.us'])).toEqual([{ chatId: '15550000033@c.us', url: null }]);
    expect(await h.session.pictures(['15550000033@c.us'])).toEqual([{ chatId: '15550000033@c.us', url: 'https://pps.whatsapp.net/v/15550000033.jpg' }]);
  });

  it('the group list is fetched once and kept true by update events; Baileys gets the cached metadata for sends', async () => {
    const h = harness();
    await h.connected();
    const sock = h.last();
    const group = lidGroup('admin');
    sock.groupFetchAllParticipating.mockResolvedValue({ [group.id]: group });
    sock.newsletterMetadata.mockResolvedValue({
      id: '120363999999999999@newsletter',
      thread_metadata: { name: { text: 'Deals' } },
      viewer_metadata: { role: 'ADMIN' },
    });
    sock.emit('chats.upsert', [{ id: '120363999999999999@newsletter' } as never]);
    await h.tick();
    const first = await h.session.groups();
    expect(first.map((g) => [g.id, g.type, g.name, g.isReadOnly])).toEqual([
      ['120363000000000001@g.us', 'group', 'Shop news', false],
      ['120363999999999999@newsletter', 'channel', 'Deals', false],
    ]);
    await h.session.groups();
    expect(sock.groupFetchAllParticipating).toHaveBeenCalledTimes(1);
    expect(sock.newsletterMetadata).toHaveBeenCalledTimes(1);
    expect(await h.configs[0]!.cachedGroupMetadata!(group.id)).toMatchObject({ subject: 'Shop news' });
    sock.emit('groups.update', [{ id: group.id, subject: 'Shop news (renamed)', announce: true }]);
    await h.tick();
    expect((await h.session.groups())[0]).toMatchObject({ name: 'Shop news (renamed)', isReadOnly: false });
    expect(sock.groupFetchAllParticipating).toHaveBeenCalledTimes(1);
    // who is admin may have changed: fetched again
    sock.emit('group-participants.update', { id: group.id, author: 'x', participants: [], action: 'demote' } as never);
    await h.tick();
    await h.session.groups();
    expect(sock.groupFetchAllParticipating).toHaveBeenCalledTimes(2);
  });
});
