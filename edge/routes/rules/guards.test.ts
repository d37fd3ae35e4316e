// What keeps rules safe to leave running (workerd, real D1 and Durable Objects): the saved SMTP password
// never goes to another server, secrets stay with API keys, a rule capped minute after minute switches
// itself off, old events are not answered hours late, and a stored rule that no longer reads as one
// stops only itself.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, login, newDevice, newUser, postAndroid, smsPayload, until } from '../../test/helpers.ts';

const userIdOf = async (username: string) => (await env.DB.prepare('SELECT id FROM users WHERE username = ?').bind(username).first<{ id: number }>())!.id;
const runsOf = async (key: string, id: string) => (await call(`/api/rules/${id}/runs`, { key })).json.runs as any[];

describe('rule guards', () => {
  it('the saved SMTP password is never handed to another server, port or user name; it is never shown', async () => {
    const u = await newUser();
    const server = { host: 'smtp.example.com', port: 465, security: 'tls', username: 'shop', from: 'shop@example.com' };
    expect((await call('/api/mail', { key: u.apiKey, method: 'PUT', body: { ...server, password: 'hunter2-secret' } })).status).toBe(200);
    // the same server without the password keeps it
    const same = await call('/api/mail', { key: u.apiKey, method: 'PUT', body: { ...server, fromName: 'Shop' } });
    expect(same.json).toMatchObject({ passwordSet: true, fromName: 'Shop' });
    expect(same.text).not.toContain('hunter2');
    // another host (or port, or user) without the password: refused, nothing changed
    for (const change of [{ host: 'smtp.attacker.example' }, { port: 587, security: 'starttls' }, { username: 'other' }]) {
      const moved = await call('/api/mail', { key: u.apiKey, method: 'PUT', body: { ...server, ...change } });
      expect(moved.status).toBe(400);
      expect(moved.json.code).toBe('PASSWORD_REQUIRED');
    }
    expect((await call('/api/mail', { key: u.apiKey })).json).toMatchObject({ host: 'smtp.example.com', passwordSet: true });
    // with the password given again it moves
    expect((await call('/api/mail', { key: u.apiKey, method: 'PUT', body: { ...server, host: 'mail.example.org', password: 'new-one' } })).status).toBe(200);
    // not a mail port: refused (outside local setups a port scanner otherwise)
    const port = await call('/api/mail', { key: u.apiKey, method: 'PUT', body: { ...server, port: 6379, password: 'x' } });
    expect(port.status).toBe(400);
    expect(port.json.error).toMatch(/not a mail port/);
    const row = await env.DB.prepare('SELECT password_sealed FROM mail_settings WHERE user_id = ?')
      .bind(await userIdOf(u.username))
      .first<{ password_sealed: string }>();
    expect(row!.password_sealed).not.toContain('new-one');
  });

  it('a rule’s webhook secret goes out to the account key, not to a dashboard login; it can be rotated', async () => {
    const u = await newUser();
    const made = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'hook', trigger: { event: 'sms_received' }, actions: [{ type: 'webhook', url: 'https://hooks.example.com/x' }] },
    });
    expect(made.json.webhookSecret).toMatch(/^whsec_/);
    const cookie = await login(u.username, u.password);
    expect((await call(`/api/rules/${made.json.id}`, { cookie })).json.webhookSecret).toBeNull();
    const rotated = await call(`/api/rules/${made.json.id}`, { key: u.apiKey, method: 'PATCH', body: { rotateSecret: true } });
    expect(rotated.json.webhookSecret).toMatch(/^whsec_/);
    expect(rotated.json.webhookSecret).not.toBe(made.json.webhookSecret);
    const audit = await env.DB.prepare("SELECT message FROM audit_log WHERE user_id = ? AND event = 'rule_created'")
      .bind(await userIdOf(u.username))
      .first<{ message: string }>();
    expect(audit!.message).toContain('webhook https://hooks.example.com/x');
  });

  it('a rule capped minute after minute switches itself off and says so in the audit log', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const made = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'loopy', maxRunsPerMinute: 1, trigger: { event: 'sms_received' }, actions: [{ type: 'reply', text: 'again' }] },
    });
    const userId = await userIdOf(u.username);
    const ruleRef = (await env.DB.prepare('SELECT id FROM rules WHERE public_id = ?').bind(made.json.id).first<{ id: number }>())!.id;
    // saved a while ago, and capped in each of the four minutes before this one already
    const now = Date.now();
    await env.DB.prepare('UPDATE rules SET updated_at = ? WHERE id = ?')
      .bind(now - 10 * 60_000, ruleRef)
      .run();
    for (let m = 1; m <= 4; m++)
      await env.DB.prepare(
        "INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, reason, steps, next_at, created_at) VALUES (?, ?, ?, 'evt_old', 'skipped', 'RATE_CAPPED: earlier', '[]', 0, ?)",
      )
        .bind(`run_capped_${m}`, ruleRef, userId, now - m * 60_000)
        .run();
    await postAndroid(d.secret, smsPayload('one'));
    await postAndroid(d.secret, smsPayload('two'));
    await until('the rule to switch off', async () => (await call(`/api/rules/${made.json.id}`, { key: u.apiKey })).json.enabled === false);
    const audit = await env.DB.prepare("SELECT message FROM audit_log WHERE user_id = ? AND event = 'rule_disabled'").bind(userId).first<{ message: string }>();
    expect(audit!.message).toMatch(/loopy.*switched off.*5 minutes in a row/);
  });

  it('an action not started within an hour of its event fails EXPIRED instead of going out late', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const made = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'late', enabled: false, trigger: { event: 'sms_received' }, actions: [{ type: 'reply', text: 'hi' }] },
    });
    await postAndroid(d.secret, smsPayload('from this morning'));
    const ev = await until(
      'the event kept for rules',
      async () =>
        (await env.DB.prepare("SELECT id, user_id FROM rule_events WHERE payload LIKE '%from this morning%'").first<{ id: string; user_id: number }>()) ??
        undefined,
    );
    await env.DB.batch([
      env.DB.prepare('UPDATE rule_events SET created_at = ? WHERE id = ?').bind(Date.now() - 2 * 3600_000, ev.id),
      env.DB.prepare('UPDATE rules SET enabled = 1 WHERE public_id = ?').bind(made.json.id),
      env.DB.prepare(
        "INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, steps, next_at) SELECT 'run_late', id, user_id, ?, 'pending', ?, 0 FROM rules WHERE public_id = ?",
      ).bind(ev.id, JSON.stringify([{ action: { type: 'reply', text: 'hi' }, status: 'pending', attempts: 0 }]), made.json.id),
    ]);
    await env.RULE_RUNNER.getByName(`rules:${ev.user_id}`).wake(ev.user_id);
    const [run] = await until('the run to finish', async () => {
      const r = await runsOf(u.apiKey, made.json.id);
      return r.length && r[0].status !== 'pending' ? r : undefined;
    });
    expect(run.steps.map((s: any) => [s.status, s.code])).toEqual([['failed', 'EXPIRED']]);
  });

  it('a stored rule that no longer reads as a rule is flagged and not run; the others go on, and it can be deleted', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const broken = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'broken', trigger: { event: 'sms_received' }, actions: [{ type: 'reply', text: 'a' }] },
    });
    const good = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'good', trigger: { event: 'sms_received' }, actions: [{ type: 'reply', text: 'b' }] },
    });
    // as if an upgrade tightened a field the stored rule used
    await env.DB.prepare(
      `UPDATE rules SET trigger = '{"event":"sms_received","timeWindow":{"from":"25:00","to":"26:00","timeZone":"Mars/Olympus"}}' WHERE public_id = ?`,
    )
      .bind(broken.json.id)
      .run();
    const list = await call('/api/rules', { key: u.apiKey });
    expect(list.status).toBe(200);
    expect(list.json.rules.find((r: any) => r.id === broken.json.id).invalid).toMatch(/^trigger\.timeWindow/);
    await postAndroid(d.secret, smsPayload('still answered'));
    await until('the good rule to run', async () => (await runsOf(u.apiKey, good.json.id))[0]?.status === 'done');
    expect(await runsOf(u.apiKey, broken.json.id)).toEqual([]);
    // trying it, or saving it without mending it, says why instead of failing
    const tried = await call(`/api/rules/${broken.json.id}/test`, { key: u.apiKey, body: { eventId: 'evt_00000000000000000000000000000000' } });
    expect(tried.status).toBe(409);
    expect(tried.json.code).toBe('RULE_INVALID');
    const renamed = await call(`/api/rules/${broken.json.id}`, { key: u.apiKey, method: 'PATCH', body: { name: 'renamed' } });
    expect(renamed.status).toBe(400);
    expect(renamed.json.error).toMatch(/^trigger\.timeWindow/);
    expect((await call(`/api/rules/${broken.json.id}`, { key: u.apiKey, method: 'DELETE' })).status).toBe(200);
  });
});
