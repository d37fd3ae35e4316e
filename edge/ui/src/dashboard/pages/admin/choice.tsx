// A row of toggle buttons choosing one value (a filter): the chosen one is pressed (aria-pressed).
export function Choice<T extends string>(props: { label: string; value: T; options: { value: T; label: string }[]; onChange: (value: T) => void }) {
  return (
    <fieldset class="tabs adm-choice">
      <legend class="sr-only">{props.label}</legend>
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
