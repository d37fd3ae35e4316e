// Rules: automations that act on events — when an event matches a rule's trigger, its actions run in
// order (email, reply, WhatsApp, SMS, webhook, stop). The list shows the account's rules in the order they
// see events, each switched on or off in place; the editor (new or saved rule) tries the draft live on the
// latest events; each rule's run log shows what its actions did; the mail server is set for email actions.
// What is open (`edit`, `runs`) is kept in the address: #/rules?edit=new, #/rules?runs=rul_….
import { useEffect, useState } from 'preact/hooks';
import { api, must } from '../../api.ts';
import { Notice, Section, useAsync, type Note } from '../../components.tsx';
import { hashParams, setHashParams } from './data/ui.tsx';
import { RuleEditor } from './rules/editor.tsx';
import { RuleList } from './rules/list.tsx';
import { MailSection } from './rules/mail.tsx';
import type { Rule } from './rules/model.ts';
import { RunLog } from './rules/runs.tsx';
import type { PageProps } from './types.ts';

export function RulesPage(_props: PageProps) {
  const rules = useAsync(async () => (await must(api.GET('/api/rules'))).rules, []);
  const clients = useAsync(() => must(api.GET('/api/clients')), []);
  const devices = useAsync(async () => (await must(api.GET('/api/devices'))).devices, []);
  const [list, setList] = useState<Rule[] | null>(null);
  const [editing, setEditing] = useState<string | null>(() => hashParams().get('edit'));
  const [runsOf, setRunsOf] = useState<string | null>(() => hashParams().get('runs'));
  const [note, setNote] = useState<Note>(null);

  useEffect(() => {
    if (rules.data) setList(rules.data);
  }, [rules.data]);
  useEffect(() => setHashParams({ edit: editing, runs: runsOf }), [editing, runsOf]);

  const rows = list ?? [];
  const edited = editing && editing !== 'new' ? rows.find((r) => r.id === editing) : undefined;
  const logged = runsOf ? rows.find((r) => r.id === runsOf) : undefined;
  const replace = (r: Rule) => setList((l) => (l ?? []).map((x) => (x.id === r.id ? r : x)));

  return (
    <div class="stack">
      <p class="muted dt-lead">
        When an event matches a rule, its actions run in order: email it, reply to the sender, send a WhatsApp or an SMS, call a webhook, or stop later rules.
        Rules see each event top to bottom.
      </p>
      <Section
        title="Your rules"
        actions={
          <button type="button" class="small" aria-pressed={editing === 'new'} onClick={() => setEditing('new')}>
            New rule
          </button>
        }
      >
        <Notice kind="error">{rules.error}</Notice>
        {note && <Notice kind={note.kind}>{note.text}</Notice>}
        {!list && rules.loading && <p class="muted">Loading…</p>}
        {list && (
          <RuleList
            rules={rows}
            editing={editing}
            runsOf={runsOf}
            onEdit={(r) => {
              setNote(null);
              setEditing(r.id);
            }}
            onRuns={(r) => setRunsOf(runsOf === r.id ? null : r.id)}
            onChanged={(r) => {
              replace(r);
              setNote({ kind: 'ok', text: `“${r.name}” is ${r.enabled ? 'on' : 'off'}.` });
            }}
            onDeleted={(r) => {
              setList((l) => (l ?? []).filter((x) => x.id !== r.id));
              if (editing === r.id) setEditing(null);
              if (runsOf === r.id) setRunsOf(null);
              setNote({ kind: 'ok', text: `“${r.name}” was deleted.` });
            }}
            onError={(text) => setNote({ kind: 'error', text })}
          />
        )}
      </Section>
      {(editing === 'new' || edited) && (
        <Section title={edited ? `Edit “${edited.name}”` : 'New rule'}>
          <Notice kind="error">{clients.error ?? devices.error}</Notice>
          <RuleEditor
            key={editing}
            rule={edited ?? null}
            clients={clients.data ?? []}
            devices={devices.data ?? []}
            onSaved={(r, created) => {
              setList((l) => (created ? [...(l ?? []), r] : (l ?? []).map((x) => (x.id === r.id ? r : x))).sort((a, b) => a.position - b.position));
              setEditing(null);
              setNote({ kind: 'ok', text: `“${r.name}” was ${created ? 'created' : 'saved'}.` });
            }}
            onClose={() => setEditing(null)}
          />
        </Section>
      )}
      {logged && <RunLog rule={logged} onClose={() => setRunsOf(null)} />}
      <MailSection />
    </div>
  );
}
