// The rule editor (a new rule, or a saved one changed): name, "When" and "Then" beside the live preview.
// Saving POSTs or PATCHes the rule; the API's 400 is shown under the form and marks the field it names,
// and nothing typed is lost.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../../api.ts';
import { Field, errorText } from '../../../components.tsx';
import type { Client } from '../data/ui.tsx';
import { ActionList } from './actions.tsx';
import { type Draft, errorPath, fromRule, invalidAt, newDraft, type Rule, toInput } from './model.ts';
import { Preview, usePreview } from './preview.tsx';
import { Problem } from './problem.tsx';
import { TriggerFields } from './trigger.tsx';

type Device = Schemas['Device'];

export function RuleEditor(props: {
  rule: Rule | null;
  clients: Client[];
  devices: Device[];
  onSaved: (r: Rule, created: boolean) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => (props.rule ? fromRule(props.rule) : newDraft()));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const set = (change: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...change }));
    setError(null);
  };
  const input = useMemo(() => toInput(draft), [draft]);
  // the preview needs no name yet (its {{rule.name}} shows this one until there is)
  const preview = usePreview(draft.actions.length ? { ...input, name: input.name.trim() || 'New rule' } : null);
  const bad = errorPath(error ?? preview.error);

  useEffect(() => {
    nameRef.current?.focus({ preventScroll: true });
    nameRef.current?.closest('section')?.scrollIntoView({ block: 'start' });
  }, []);

  return (
    <div class="ru-editor">
      <form
        class="stack ru-form"
        aria-label={props.rule ? `Edit rule ${props.rule.name}` : 'New rule'}
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const saved = props.rule
              ? await must(api.PATCH('/api/rules/{id}', { params: { path: { id: props.rule.id } }, body: input }))
              : await must(api.POST('/api/rules', { body: input }));
            props.onSaved(saved, !props.rule);
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Name">
          {(id) => (
            <input
              id={id}
              ref={nameRef}
              required
              maxLength={100}
              dir="auto"
              autocomplete="off"
              aria-invalid={invalidAt(bad, 'name')}
              value={draft.name}
              onInput={(e) => set({ name: e.currentTarget.value })}
            />
          )}
        </Field>
        <TriggerFields draft={draft} set={set} clients={props.clients} devices={props.devices} bad={bad} />
        <ActionList
          event={draft.event}
          actions={draft.actions}
          onActions={(actions) => set({ actions })}
          clients={props.clients}
          devices={props.devices}
          bad={bad}
        />
        {error && <Problem error={error} actions={draft.actions} />}
        <div class="row">
          <button type="submit" disabled={busy}>
            {props.rule ? 'Save rule' : 'Create rule'}
          </button>
          <button type="button" class="secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
      <Preview state={preview} event={draft.event} actions={draft.actions} nameOf={(id) => props.devices.find((d) => d.deviceId === id)?.name ?? id} />
    </div>
  );
}
