// The editor's "When" part: the event, its filters (text, senders, apps; number, device, channel and a
// time window under "Where and when"), and the rule's limits. Filters an event cannot have are not offered.
import { useState } from 'preact/hooks';
import type { Schemas } from '../../../api.ts';
import { Field } from '../../../components.tsx';
import type { Client } from '../data/ui.tsx';
import { ZoneField } from '../data/ui.tsx';
import { DEFAULT_RUNS_PER_MINUTE, type Draft, invalidAt as bad, type RuleEvent, WITH_SENDER, WITHOUT_CHANNEL } from './model.ts';
import { dayName, EVENT_WORDS, RULE_EVENTS } from './words.ts';

type Device = Schemas['Device'];
type SetDraft = (change: Partial<Draft>) => void;

function Days(props: { days: number[]; onDays: (d: number[]) => void }) {
  return (
    <fieldset class="ru-fieldset ru-days">
      <legend>Days</legend>
      {[1, 2, 3, 4, 5, 6, 7].map((d) => (
        <label key={d} class="ru-check">
          <input
            type="checkbox"
            checked={props.days.includes(d)}
            onChange={(e) => props.onDays(e.currentTarget.checked ? [...props.days, d] : props.days.filter((x) => x !== d))}
          />
          {dayName(d)}
        </label>
      ))}
      <small class="hint ru-days-hint">None ticked: every day.</small>
    </fieldset>
  );
}

function TimeWindow(props: { draft: Draft; set: SetDraft; bad: string | null }) {
  const d = props.draft;
  return (
    <div class="stack ru-window">
      <label class="ru-check">
        <input type="checkbox" checked={d.windowOn} onChange={(e) => props.set({ windowOn: e.currentTarget.checked })} />
        Only at certain times
      </label>
      {d.windowOn && (
        <>
          <Days days={d.days} onDays={(days) => props.set({ days })} />
          <div class="grid3">
            <Field label="From">
              {(id) => (
                <input
                  id={id}
                  type="time"
                  required
                  aria-invalid={bad(props.bad, 'trigger.timeWindow.from')}
                  value={d.windowFrom}
                  onInput={(e) => props.set({ windowFrom: e.currentTarget.value })}
                />
              )}
            </Field>
            <Field label="Until" hint="Earlier than From: through midnight">
              {(id) => (
                <input
                  id={id}
                  type="time"
                  required
                  aria-invalid={bad(props.bad, 'trigger.timeWindow.to')}
                  value={d.windowTo}
                  onInput={(e) => props.set({ windowTo: e.currentTarget.value })}
                />
              )}
            </Field>
            <ZoneField zone={d.timeZone} onZone={(timeZone) => props.set({ timeZone })} />
          </div>
        </>
      )}
    </div>
  );
}

/** A select of the account's numbers or devices, "Any" first; a saved id no longer there stays choosable. */
export function Pick(props: {
  label: string;
  any: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (v: string) => void;
  bad?: boolean;
}) {
  const known = props.options.some((o) => o.value === props.value);
  return (
    <Field label={props.label}>
      {(id) => (
        <select id={id} value={props.value} aria-invalid={props.bad || undefined} onChange={(e) => props.onChange(e.currentTarget.value)}>
          <option value="">{props.any}</option>
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
          {props.value && !known && <option value={props.value}>{props.value} (not found)</option>}
        </select>
      )}
    </Field>
  );
}

export const clientOptions = (clients: Client[]) => clients.map((c) => ({ value: c.clientId, label: `${c.clientId} · +${c.phoneNumber.replace(/^\+/, '')}` }));
export const deviceOptions = (devices: Device[]) => devices.map((d) => ({ value: d.deviceId, label: d.name }));

export function TriggerFields(props: { draft: Draft; set: SetDraft; clients: Client[]; devices: Device[]; bad: string | null }) {
  const d = props.draft;
  const { set } = props;
  const hasSender = WITH_SENDER.includes(d.event);
  const hasChannel = !WITHOUT_CHANNEL.includes(d.event);
  // folded unless the rule uses them when the editor opens (not reset while the person works in them)
  const [whereSet] = useState(() => Boolean(d.clientId || d.deviceId || (hasChannel && d.channel) || d.windowOn));
  const [limitsSet] = useState(() => Boolean(d.includeRuleSends || d.includeGroups || d.maxRunsPerMinute));
  return (
    <fieldset class="ru-fieldset stack">
      <legend>When</legend>
      <Field label="Event">
        {(id) => (
          <select id={id} value={d.event} aria-invalid={bad(props.bad, 'trigger.event')} onChange={(e) => set({ event: e.currentTarget.value as RuleEvent })}>
            {RULE_EVENTS.map((e) => (
              <option key={e} value={e}>
                {EVENT_WORDS[e]} ({e})
              </option>
            ))}
          </select>
        )}
      </Field>
      <div class="grid2">
        <Field label="Text contains" hint="Any case. Empty: any text">
          {(id) => (
            <input
              id={id}
              dir="auto"
              maxLength={500}
              aria-invalid={bad(props.bad, 'trigger.textContains')}
              value={d.textContains}
              onInput={(e) => set({ textContains: e.currentTarget.value })}
            />
          )}
        </Field>
        <Field label="Text matches (regular expression)" hint="Any case, e.g. ^(price|cost)">
          {(id) => (
            <input
              id={id}
              dir="ltr"
              maxLength={200}
              autocomplete="off"
              spellcheck={false}
              aria-invalid={bad(props.bad, 'trigger.textRegex')}
              value={d.textRegex}
              onInput={(e) => set({ textRegex: e.currentTarget.value })}
            />
          )}
        </Field>
        {hasSender && (
          <ListArea
            label="From (senders)"
            hint="Comma or newline separated; digits are compared. Empty: anyone"
            invalid={bad(props.bad, 'trigger.from')}
            value={d.from}
            onInput={(from) => set({ from })}
          />
        )}
        {d.event === 'notification_received' && (
          <ListArea
            label="Apps (packages)"
            hint="Comma or newline separated, e.g. com.facebook.katana. Empty: any app"
            invalid={bad(props.bad, 'trigger.package')}
            value={d.packages}
            onInput={(packages) => set({ packages })}
          />
        )}
      </div>
      <details open={whereSet}>
        <summary>Where and when</summary>
        <div class="stack">
          <div class="grid3">
            <Pick
              label="WhatsApp number"
              any="Any number"
              value={d.clientId}
              options={clientOptions(props.clients)}
              bad={bad(props.bad, 'trigger.clientId')}
              onChange={(clientId) => set({ clientId })}
            />
            <Pick
              label="Android device"
              any="Any device"
              value={d.deviceId}
              options={deviceOptions(props.devices)}
              bad={bad(props.bad, 'trigger.deviceId')}
              onChange={(deviceId) => set({ deviceId })}
            />
            {hasChannel && (
              <Field label="Channel">
                {(id) => (
                  <select id={id} value={d.channel} onChange={(e) => set({ channel: e.currentTarget.value as Draft['channel'] })}>
                    <option value="">Any channel</option>
                    <option value="whatsapp">WhatsApp</option>
                    <option value="sms">SMS</option>
                  </select>
                )}
              </Field>
            )}
          </div>
          <TimeWindow draft={d} set={set} bad={props.bad} />
        </div>
      </details>
      <details open={limitsSet}>
        <summary>Limits</summary>
        <div class="stack">
          <label class="ru-check">
            <input type="checkbox" checked={d.includeRuleSends} onChange={(e) => set({ includeRuleSends: e.currentTarget.checked })} />
            Also match events caused by messages a rule sent, or from your own numbers (off: a rule never triggers itself in a loop)
          </label>
          {d.event === 'message_received' && (
            <label class="ru-check">
              <input type="checkbox" checked={d.includeGroups} onChange={(e) => set({ includeGroups: e.currentTarget.checked })} />
              Also match WhatsApp group messages (off: a reply would go to the whole group)
            </label>
          )}
          <div class="grid3">
            <Field label="Runs a minute at most" hint="Default 20; more are skipped and logged">
              {(id) => (
                <input
                  id={id}
                  type="number"
                  min={1}
                  max={600}
                  inputMode="numeric"
                  placeholder={String(DEFAULT_RUNS_PER_MINUTE)}
                  aria-invalid={bad(props.bad, 'maxRunsPerMinute')}
                  value={d.maxRunsPerMinute}
                  onInput={(e) => set({ maxRunsPerMinute: e.currentTarget.value })}
                />
              )}
            </Field>
          </div>
        </div>
      </details>
    </fieldset>
  );
}

/** A list typed one per line (or comma separated), left to right whatever the page's direction. */
function ListArea(props: { label: string; hint: string; invalid: true | undefined; value: string; onInput: (value: string) => void }) {
  return (
    <Field label={props.label} hint={props.hint}>
      {(id) => <textarea id={id} rows={2} dir="ltr" aria-invalid={props.invalid} value={props.value} onInput={(e) => props.onInput(e.currentTarget.value)} />}
    </Field>
  );
}
