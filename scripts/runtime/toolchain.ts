// The Miniflare and undici that wrangler itself runs (node_modules/wrangler/node_modules/…), loaded from
// wrangler's own dependency tree so that `npm start` serves on exactly the workerd `wrangler deploy`
// was tested against. The types come from the same files.
import { createRequire } from 'node:module';
import type * as MiniflareModule from '../../node_modules/wrangler/node_modules/miniflare/dist/src/index.js';
import type * as UndiciModule from '../../node_modules/wrangler/node_modules/undici/index.js';

export type {
  Miniflare,
  MiniflareOptions,
  Request as MfRequest,
  Response as MfResponse,
} from '../../node_modules/wrangler/node_modules/miniflare/dist/src/index.js';

const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));

let miniflare: typeof MiniflareModule | undefined;
let undici: typeof UndiciModule | undefined;

export const loadMiniflare = (): typeof MiniflareModule => {
  miniflare ??= fromWrangler('miniflare') as typeof MiniflareModule;
  return miniflare;
};

export const loadUndici = (): typeof UndiciModule => {
  undici ??= fromWrangler('undici') as typeof UndiciModule;
  return undici;
};
