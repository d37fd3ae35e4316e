// A row of toggle buttons choosing one value (a filter): the chosen one is pressed (aria-pressed).
export function Choice<T extends string>(props: { label: string; value: T; options: { value: T; label: string }[]; onChange: (value: T) => void }) {
  return (
    <fieldset class="tabs adm-choice">
      <legend class="adm-sr">{props.label}</legend>
      {props.options.map((o) => (
        <button
          key={o.value}
          type="button"
          class="secondary small"
          aria-pressed={o.value === props.value}
          onClick={() => {
            if (o.value !== props.value) props.onChange(o.value);
          }}
        >
          {o.label}
        </button>
      ))}
    </fieldset>
  );
}

/** A thrown value as a sentence (`must()` throws Errors carrying the API's sentence). */
export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type Note = { kind: 'error' | 'ok'; text: string } | null;
