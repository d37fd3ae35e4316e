// PHP-style form bodies (`type=sms&data[phone]=%2B639...&data[sim]=1`) into nested objects.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

type Tree = { [key: string]: Tree | string };

/** A device payload has a dozen fields: more parameters than this are ignored (no work grows with them). */
export const MAX_FORM_PARAMS = 200;

export function parseForm(body: string): Record<string, unknown> {
  const root: Tree = Object.create(null);
  const appended = new Map<Tree, number>(); // `key[]` counters: no Object.keys per parameter
  let seen = 0;
  for (const [rawKey, value] of new URLSearchParams(body)) {
    if (++seen > MAX_FORM_PARAMS) break;
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1]!, ...[...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    if (path.some((p) => FORBIDDEN.has(p)) || path.length > 4) continue;
    let node: Tree = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      const next = node[key];
      if (typeof next === 'object') node = next;
      else node = node[key] = Object.create(null) as Tree;
    }
    const last = path[path.length - 1]!;
    if (last === '') {
      const n = appended.get(node) ?? Object.keys(node).length;
      node[String(n)] = value;
      appended.set(node, n + 1);
    } else node[last] = value;
  }
  return { ...root };
}
