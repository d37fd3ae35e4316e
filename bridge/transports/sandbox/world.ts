// The simulated WhatsApp network every sandbox session sees: contacts, a writable group,
// a read-only (announcement) group and a channel.
export const SANDBOX_CONTACTS = [
  { number: '15550000001', name: 'Ada Lovelace' },
  { number: '15550000002', name: 'Alan Turing' },
  { number: '972501234567', name: 'דנה כהן' },
];

export const SANDBOX_GROUPS = [
  {
    id: '120363000000000001@g.us',
    name: 'Sandbox Team',
    description: 'A group anyone may write to',
    readOnly: false,
    owner: '15550000001@c.us',
    participants: ['15550000001', '15550000002', '972501234567'],
  },
  {
    id: '120363000000000002@g.us',
    name: 'הודעות',
    description: 'Announcements: only admins write',
    readOnly: true,
    owner: '15550000002@c.us',
    participants: ['15550000001', '15550000002'],
  },
];

/** A phone that is off: messages to it are sent (one tick) but never delivered (try the SMS fallback with it). */
export const SANDBOX_UNREACHABLE = '15550000404';

export const SANDBOX_CHANNELS = [{ id: '120363000000000003@newsletter', name: 'Sandbox News', description: 'A channel', readOnly: true }];
