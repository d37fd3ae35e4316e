// Fetches media to send: the outbound-URL guard on the URL and on every address its host resolves to
// (checked inside the connection's own lookup, so a DNS answer cannot change between check and
// connect), the spec's file types, a size cap, a time limit and no redirects. Failures are MEDIA_ERROR.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { MAX_MEDIA_BYTES, mediaFromUrl } from '../adapters/media.ts';
import { checkOutboundUrl, nonPublicReason } from '../adapters/url-guard.ts';
import { SessionError, type OutgoingMedia } from './transports/transport.ts';

const mediaError = (message: string) => new SessionError('MEDIA_ERROR', message);

/** A DNS lookup that refuses non-public addresses: the socket connects only to what was checked. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      if (!allowPrivate) {
        for (const a of list) {
          const reason = nonPublicReason(a.family === 6 ? `[${a.address}]` : a.address);
          if (reason) return callback(new Error(`media host resolves to a non-public address (${reason})`), '');
        }
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`cannot resolve ${hostname}`), '');
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

export async function fetchMedia(rawUrl: string, opts: { allowPrivate: boolean; maxBytes?: number; timeoutMs?: number }): Promise<OutgoingMedia> {
  const type = mediaFromUrl(rawUrl);
  if (!type.ok) throw mediaError(type.error);
  const checked = checkOutboundUrl(rawUrl, { allowPrivate: opts.allowPrivate });
  if (!checked.ok) throw mediaError(`media URL refused: ${checked.reason}`);
  const maxBytes = opts.maxBytes ?? MAX_MEDIA_BYTES;
  const get = checked.url.protocol === 'https:' ? https.get : http.get;
  const data = await new Promise<Uint8Array>((resolve, reject) => {
    const req = get(
      checked.url.href,
      { lookup: guardedLookup(opts.allowPrivate), timeout: opts.timeoutMs ?? 15_000, headers: { 'user-agent': 'Switchboard-Media/1.0' } },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.resume();
          return reject(mediaError(`fetching the media answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
        }
        if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
          res.destroy();
          return reject(mediaError(`media is larger than ${maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > maxBytes) {
            res.destroy();
            reject(mediaError(`media is larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => (size === 0 ? reject(mediaError('the media is empty')) : resolve(new Uint8Array(Buffer.concat(chunks)))));
        res.on('error', (err) => reject(mediaError(`could not fetch the media: ${err.message}`)));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(mediaError(`could not fetch the media: ${err.message}`)));
  });
  return { data, mimetype: type.value.mimetype, filename: type.value.filename, kind: type.value.kind };
}
