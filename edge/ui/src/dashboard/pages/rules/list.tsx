// The account's rules in the order they see events: what each acts on and does, a switch to turn it on
// or off (PATCH {enabled}), and its edit, run log and delete buttons.
import { useState } from 'preact/hooks';
import { api, must } from '../../../api.ts';
import { Confirmed, errorText } from '../../../components.tsx';
import { EmptyRow } from '../data/ui.tsx';
import type { Rule } from './model.ts';
import { actionWords, EVENT_WORDS, filterWords } from './words.ts';

function EnabledSwitch(props: { rule: Rule; onChanged: (r: Rule) => void; onError: (text: string) => void }) {
  const r = props.rule;
  const [busy, setBusy] = useState(false);
  return (
    <label class="ru-switch">
      <input
        type="checkbox"
        role="switch"
        checked={r.enabled}
        aria-checked={r.enabled}
        disabled={busy}
        aria-label={`Enabled: ${r.name}`}
        onChange={async (e) => {
          const enabled = e.currentTarget.checked;
          setBusy(true);
          try {
            props.onChanged(await must(api.PATCH('/api/rules/{id}', { params: { path: { id: r.id } }, body: { enabled } })));
          } catch (err) {
            props.onError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      />
      <span aria-hidden="true">{r.enabled ? 'On' : 'Off'}</span>
    </label>
  );
}

function RuleRow(props: {
  rule: Rule;
  n: number;
  editing: boolean;
  showingRuns: boolean;
  onEdit: () => void;
  onRuns: () => void;
  onChanged: (r: Rule) => void;
  onDeleted: () => void;
  onError: (text: string) => void;
}) {
  const r = props.rule;
  const filters = filterWords(r.trigger);
  return (
    <tr class={`ru-row${r.enabled ? '' : ' ru-off'}`} data-id={r.id}>
      <td data-label="Order" class="dt-num">
        {props.n}
      </td>
      <td data-label="Name" class="ru-name">
        <span class="dt-strong">{r.name}</span>
        {r.invalid && (
          <small class="dt-sub ru-invalid" role="note">
            Not running: {r.invalid}. Edit and save it, or delete it.
          </small>
        )}
      </td>
      <td data-label="When" class="ru-when">
        <span>{EVENT_WORDS[r.trigger.event] ?? r.trigger.event}</span>
        {filters.length > 0 && <small class="dt-sub">{filters.join(' · ')}</small>}
      </td>
      <td data-label="Then" class="ru-then">
        <ol class="ru-steps">
          {r.actions.map((a, i) => (
            <li key={i}>{actionWords(a)}</li>
          ))}
        </ol>
      </td>
      <td data-label="Enabled">
        <EnabledSwitch rule={r} onChanged={props.onChanged} onError={props.onError} />
      </td>
      <td class="dt-act ru-act">
        <div class="row">
          <button type="button" class="secondary small" aria-pressed={props.editing} aria-label={`Edit ${r.name}`} onClick={props.onEdit}>
            Edit
          </button>
          <button type="button" class="secondary small" aria-pressed={props.showingRuns} aria-label={`Run log of ${r.name}`} onClick={props.onRuns}>
            Runs
          </button>
          <Confirmed
            class="ru-confirm"
            danger
            label="Delete"
            aria={`Delete ${r.name}`}
            question={`Delete “${r.name}” and its run log?`}
            confirm="Delete rule"
            run={async () => {
              await must(api.DELETE('/api/rules/{id}', { params: { path: { id: r.id } } }));
              props.onDeleted();
            }}
          />
        </div>
      </td>
    </tr>
  );
}

export function RuleList(props: {
  rules: Rule[];
  editing: string | null;
  runsOf: string | null;
  onEdit: (r: Rule) => void;
  onRuns: (r: Rule) => void;
  onChanged: (r: Rule) => void;
  onDeleted: (r: Rule) => void;
  onError: (text: string) => void;
}) {
  return (
    <div class="table-wrap">
      <table class="dt-table ru-table">
        <caption class="sr-only">Rules, in the order they see each event</caption>
        <thead>
          <tr>
            <th scope="col" class="dt-num">
              #
            </th>
            <th scope="col">Name</th>
            <th scope="col">When</th>
            <th scope="col">Then</th>
            <th scope="col">Enabled</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rules.map((r, i) => (
            <RuleRow
              key={r.id}
              rule={r}
              n={i + 1}
              editing={props.editing === r.id}
              showingRuns={props.runsOf === r.id}
              onEdit={() => props.onEdit(r)}
              onRuns={() => props.onRuns(r)}
              onChanged={props.onChanged}
              onDeleted={() => props.onDeleted(r)}
              onError={props.onError}
            />
          ))}
          {props.rules.length === 0 && <EmptyRow cols={6}>No rules yet. Make one with New rule.</EmptyRow>}
        </tbody>
      </table>
    </div>
  );
}
