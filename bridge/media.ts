// Fetches media to send: the outbound-URL guard (also on the resolved addresses), the spec's file
// types, a size cap, a time limit and no redirects. Every failure is a MEDIA_ERROR.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { MAX_MEDIA_BYTES, mediaFromUrl } from '../adapters/media.ts';
import { checkOutboundUrl, nonPublicReason } from '../adapters/url-guard.ts';
import { SessionError, type OutgoingMedia } from './transports/transport.ts';

const mediaError = (message: string) => new SessionError('MEDIA_ERROR', message);

export async function fetchMedia(rawUrl: string, opts: { allowPrivate: boolean; maxBytes?: number; timeoutMs?: number }): Promise<OutgoingMedia> {
  const type = mediaFromUrl(rawUrl);
  if (!type.ok) throw mediaError(type.error);
  const checked = checkOutboundUrl(rawUrl, { allowPrivate: opts.allowPrivate });
  if (!checked.ok) throw mediaError(`media URL refused: ${checked.reason}`);
  if (!opts.allowPrivate && !isIP(checked.url.hostname.replace(/^\[|\]$/g, ''))) {
    const addresses = await lookup(checked.url.hostname, { all: true }).catch(() => []);
    if (!addresses.length) throw mediaError(`cannot resolve ${checked.url.hostname}`);
    for (const a of addresses) {
      const reason = nonPublicReason(a.family === 6 ? `[${a.address}]` : a.address);
      if (reason) throw mediaError(`media host resolves to a non-public address (${reason})`);
    }
  }
  const maxBytes = opts.maxBytes ?? MAX_MEDIA_BYTES;
  let res: Response;
  try {
    res = await fetch(checked.url, { redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
  } catch (err) {
    throw mediaError(`could not fetch the media: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw mediaError(`fetching the media answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw mediaError(`media is larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw mediaError(`media is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) throw mediaError('the media is empty');
  const data = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    data.set(c, off);
    off += c.byteLength;
  }
  return { data, mimetype: type.value.mimetype, filename: type.value.filename, kind: type.value.kind };
}
