// Small shared pieces of the pages: labelled fields, notices, a copy button, a pager, async state.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { reveal } from './secrets.ts';

/** A line of feedback under a form or an action: what happened, or why it did not. */
export type Note = { kind: 'error' | 'ok'; text: string } | null;

/** A thrown value as a sentence (`must()` throws Errors carrying the API's sentence). */
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

let fieldIds = 0;

/** A label and its input, tied by id (the accessible name is the label). */
export function Field(props: { label: string; hint?: string; children: (id: string) => ComponentChildren }) {
  const [id] = useState(() => `f${++fieldIds}`);
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children(id)}
      {props.hint && <small class="hint">{props.hint}</small>}
    </div>
  );
}

export function Notice(props: { kind?: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  if (!props.children) return null;
  const kind = props.kind ?? 'info';
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="secondary small"
      onClick={async () => {
        await navigator.clipboard?.writeText(props.text).catch(() => undefined);
        setDone(true);
        window.setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}

/** A secret shown as dots until revealed; copyable either way. */
export function Secret(props: { label: string; value: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div class="secret">
      <span class="secret-label">{props.label}</span>
      <code>{shown ? props.value : '•'.repeat(Math.min(24, props.value.length))}</code>
      <button type="button" class="secondary small" onClick={() => setShown(!shown)}>
        {shown ? 'Hide' : 'Reveal'}
      </button>
      <CopyButton text={props.value} />
    </div>
  );
}

/** Asks for the password once per page, to show the account's keys and secrets (POST /auth/reveal). */
export function RevealKeys(props: { what?: string }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="reveal stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await reveal(password);
        } catch (err) {
          setError(errorText(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <p class="muted">{props.what ?? 'API keys and signing secrets'} are shown after you confirm your password.</p>
      <div class="row">
        <Field label="Password to show keys">
          {(id) => (
            <input id={id} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          )}
        </Field>
        <button type="submit" class="secondary small" disabled={busy}>
          Show keys
        </button>
      </div>
      <Notice kind="error">{error}</Notice>
    </form>
  );
}

/** Runs `load` now and whenever `deps` change; `reload` runs it again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | null; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | null; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err: unknown) => live && setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Cursor paging (the API's `cursor`/`nextCursor`): back to the first page, or on to the next. */
export function Pager(props: { hasNext: boolean; onNext: () => void; onFirst?: () => void; page: number }) {
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 && props.onFirst && (
        <button type="button" class="secondary small" onClick={props.onFirst}>
          First page
        </button>
      )}
      <span>Page {props.page}</span>
      {props.hasNext && (
        <button type="button" class="secondary small" onClick={props.onNext}>
          Next page
        </button>
      )}
    </nav>
  );
}

export const when = (ms: number | string | null | undefined) => (ms === null || ms === undefined || ms === '' ? '' : new Date(ms).toLocaleString());

export function Section(props: { title: string; children: ComponentChildren; actions?: JSX.Element }) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** A button that asks again, in place, before doing something that cannot be undone; the API's sentence shows if it fails. */
export function Confirmed(props: {
  label: string;
  aria?: string;
  question: string;
  confirm: string;
  danger?: boolean;
  /** the asking box's class */
  class?: string;
  run: () => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" class={`${props.danger ? 'danger' : 'secondary'} small`} aria-label={props.aria} onClick={() => setOpen(true)}>
        {props.label}
      </button>
    );
  return (
    <div class={props.class ?? 'stack danger-zone dev-confirm'}>
      <p>{props.question}</p>
      <Notice kind="error">{error}</Notice>
      <div class="row">
        <button
          type="button"
          class={`${props.danger ? 'danger' : ''} small`}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await props.run();
              setOpen(false);
            } catch (err) {
              setError(errorText(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          {props.confirm}
        </button>
        <button type="button" class="secondary small" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}
