// The editor's "Then" part: the ordered actions (added by type, moved up or down, removed), each with its
// own fields, and the placeholders the chosen event offers to their texts.
import type { Schemas } from '../../../api.ts';
import { Field } from '../../../components.tsx';
import type { Client } from '../data/ui.tsx';
import { type ActionDraft, type ActionType, invalidAt, newAction, type RuleEvent } from './model.ts';
import { clientOptions, deviceOptions, Pick } from './trigger.tsx';
import { ACTION_TYPES, ACTION_WORDS, placeholdersFor } from './words.ts';

type Device = Schemas['Device'];

const MAX_ACTIONS = 10;

interface ActionProps {
  action: ActionDraft;
  /** its place in the list, from 0 (the API's error names it so: actions.0.text) */
  i: number;
  set: (change: Partial<ActionDraft>) => void;
  clients: Client[];
  devices: Device[];
  bad: string | null;
}

function TextField(props: ActionProps & { field: 'text' | 'subject' | 'body'; label: string; rows?: number; max: number }) {
  const { action: a, field } = props;
  const at = `actions.${props.i}.${field}`;
  return (
    <Field label={props.label}>
      {(id) =>
        props.rows ? (
          <textarea
            id={id}
            rows={props.rows}
            dir="auto"
            maxLength={props.max}
            aria-invalid={invalidAt(props.bad, at)}
            value={a[field]}
            onInput={(e) => props.set({ [field]: e.currentTarget.value })}
          />
        ) : (
          <input
            id={id}
            dir="auto"
            maxLength={props.max}
            aria-invalid={invalidAt(props.bad, at)}
            value={a[field]}
            onInput={(e) => props.set({ [field]: e.currentTarget.value })}
          />
        )
      }
    </Field>
  );
}

function PhoneField(props: ActionProps) {
  return (
    <Field label="To" hint="With country code, e.g. +972501234567">
      {(id) => (
        <input
          id={id}
          type="tel"
          inputMode="tel"
          dir="ltr"
          autocomplete="off"
          maxLength={20}
          aria-invalid={invalidAt(props.bad, `actions.${props.i}.to`)}
          value={props.action.to}
          onInput={(e) => props.set({ to: e.currentTarget.value })}
        />
      )}
    </Field>
  );
}

function ActionFields(props: ActionProps) {
  const { action: a, set, i } = props;
  switch (a.type) {
    case 'email':
      return (
        <>
          <Field label="To (addresses)" hint="Comma or newline separated, up to 10">
            {(id) => (
              <input
                id={id}
                dir="ltr"
                autocomplete="off"
                aria-invalid={invalidAt(props.bad, `actions.${i}.to`)}
                value={a.to}
                onInput={(e) => set({ to: e.currentTarget.value })}
              />
            )}
          </Field>
          <TextField {...props} field="subject" label="Subject" max={300} />
          <TextField {...props} field="body" label="Body" rows={4} max={10_000} />
          <label class="ru-check">
            <input type="checkbox" checked={a.attachPayload} onChange={(e) => set({ attachPayload: e.currentTarget.checked })} />
            Attach the event as event.json
          </label>
        </>
      );
    case 'reply':
      return <TextField {...props} field="text" label="Text" rows={3} max={4096} />;
    case 'whatsapp':
      return (
        <>
          <div class="grid2">
            <Pick
              label="From number"
              any={props.clients.length ? 'Choose a number' : 'No WhatsApp numbers yet'}
              value={a.clientId}
              options={clientOptions(props.clients)}
              bad={invalidAt(props.bad, `actions.${i}.clientId`)}
              onChange={(clientId) => set({ clientId })}
            />
            <PhoneField {...props} />
          </div>
          <TextField {...props} field="text" label="Text" rows={3} max={4096} />
        </>
      );
    case 'sms':
      return (
        <>
          <div class="grid2">
            <PhoneField {...props} />
            <Pick
              label="Through device"
              any="Any healthy device (routed)"
              value={a.deviceId}
              options={deviceOptions(props.devices)}
              bad={invalidAt(props.bad, `actions.${i}.deviceId`)}
              onChange={(deviceId) => set({ deviceId })}
            />
          </div>
          <TextField {...props} field="text" label="Text" rows={3} max={1600} />
        </>
      );
    case 'webhook':
      return (
        <Field label="URL" hint="HTTPS; signed with this rule's own secret, like every webhook">
          {(id) => (
            <input
              id={id}
              type="url"
              dir="ltr"
              autocomplete="off"
              placeholder="https://example.com/hook"
              aria-invalid={invalidAt(props.bad, `actions.${i}.url`)}
              value={a.url}
              onInput={(e) => set({ url: e.currentTarget.value })}
            />
          )}
        </Field>
      );
    case 'stop':
      return <p class="hint ru-stop">Later rules do not see this event. It must be the last action.</p>;
  }
}

export function ActionList(props: {
  event: RuleEvent;
  actions: ActionDraft[];
  onActions: (a: ActionDraft[]) => void;
  clients: Client[];
  devices: Device[];
  bad: string | null;
}) {
  const list = props.actions;
  const change = (i: number, c: Partial<ActionDraft>) => props.onActions(list.map((a, j) => (j === i ? { ...a, ...c } : a)));
  const move = (i: number, step: number) => {
    const next = [...list];
    const [a] = next.splice(i, 1);
    next.splice(i + step, 0, a!);
    props.onActions(next);
  };
  const add = (type: ActionType) => props.onActions([...list, newAction(type)]);
  return (
    <fieldset class="ru-fieldset stack">
      <legend>Then</legend>
      <p class="hint ru-placeholders">
        Texts may use{' '}
        {placeholdersFor(props.event).map((p) => (
          <code key={p}>{p}</code>
        ))}
      </p>
      {list.length === 0 && <p class="muted">No actions yet: add one below.</p>}
      <ol class="ru-actions">
        {list.map((a, i) => {
          const name = `Action ${i + 1}: ${ACTION_WORDS[a.type]}`;
          return (
            <li key={a.key}>
              <fieldset class={`ru-action${props.bad === `actions.${i}` || props.bad === `actions.${i}.type` ? ' ru-action-bad' : ''}`}>
                <legend class="sr-only">{name}</legend>
                <div class="ru-action-head">
                  <span class="ru-action-n">{i + 1}</span>
                  <strong>{ACTION_WORDS[a.type]}</strong>
                  <span class="row ru-action-tools">
                    <button type="button" class="secondary small" disabled={i === 0} aria-label={`Move action ${i + 1} up`} onClick={() => move(i, -1)}>
                      ↑
                    </button>
                    <button
                      type="button"
                      class="secondary small"
                      disabled={i === list.length - 1}
                      aria-label={`Move action ${i + 1} down`}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      class="secondary small"
                      aria-label={`Remove action ${i + 1}`}
                      onClick={() => props.onActions(list.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </span>
                </div>
                <div class="stack ru-action-body">
                  <ActionFields action={a} i={i} set={(c) => change(i, c)} clients={props.clients} devices={props.devices} bad={props.bad} />
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <div class="row ru-add">
        <span class="ru-add-label">Add an action:</span>
        {ACTION_TYPES.map((t) => (
          <button
            key={t}
            type="button"
            class="secondary small"
            disabled={list.length >= MAX_ACTIONS}
            aria-label={`Add ${ACTION_WORDS[t]}`}
            onClick={() => add(t)}
          >
            {ACTION_WORDS[t]}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
