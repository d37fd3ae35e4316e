// The page's few icons, drawn inline (no emoji font is assumed, no icon files are fetched).
const Svg = (props: { class?: string; size?: number; d: string; label?: string }) => {
  const size = props.size ?? 22;
  return props.label ? (
    <svg class={props.class} viewBox="0 0 24 24" width={size} height={size} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      <path d={props.d} />
    </svg>
  ) : (
    <svg class={props.class} viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
      <path d={props.d} />
    </svg>
  );
};

export const ClipIcon = (p: { size?: number }) => (
  <Svg class="icon-stroke" size={p.size} d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5" />
);

export const DocIcon = () => (
  <Svg class="icon-doc" size={30} d="M6 2h8l6 6v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm7 1.5V9h5.5zM8 13h8v1.5H8zm0 3.5h8V18H8z" />
);

export const ClockIcon = (p: { label: string }) => (
  <Svg
    class="ticks-pending"
    size={14}
    label={p.label}
    d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 1.8a7.2 7.2 0 1 1 0 14.4 7.2 7.2 0 0 1 0-14.4zM11.2 7v5.4l4.3 2.6.8-1.3-3.5-2.1V7z"
  />
);
