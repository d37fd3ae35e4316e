import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMedia, guardedLookup } from './media.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('89504e470d0a1a0a', 'hex'));
    if (req.url === '/big.jpg') return res.writeHead(200).end(Buffer.alloc(2048));
    if (req.url === '/moved.jpg') return res.writeHead(302, { location: '/ok.png' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('fetchMedia', () => {
  it('fetches an allowed file with its type', async () => {
    const media = await fetchMedia(`${base}/ok.png`, { allowPrivate: true });
    expect(media).toMatchObject({ kind: 'image', mimetype: 'image/png', filename: 'ok.png' });
    expect(media.data.byteLength).toBe(8);
  });

  it('refuses types, sizes, redirects, missing files and private hosts with MEDIA_ERROR', async () => {
    const cases: [string, { allowPrivate: boolean; maxBytes?: number }, RegExp][] = [
      [`${base}/file.exe`, { allowPrivate: true }, /unsupported file type/],
      [`${base}/big.jpg`, { allowPrivate: true, maxBytes: 1024 }, /larger than 1024/],
      [`${base}/moved.jpg`, { allowPrivate: true }, /HTTP 302/],
      [`${base}/missing.jpg`, { allowPrivate: true }, /HTTP 404/],
      [`${base}/ok.png`, { allowPrivate: false }, /not public/],
      ['http://localhost/ok.png', { allowPrivate: false }, /not public/],
      ['https://example.com/a%E0%A4.jpg', { allowPrivate: false }, /invalid %-escape/],
    ];
    for (const [url, opts, message] of cases) {
      await expect(fetchMedia(url, opts), url).rejects.toMatchObject({ code: 'MEDIA_ERROR', message: expect.stringMatching(message) });
    }
  });

  it("checks resolved addresses inside the connection's own lookup (no rebinding window)", async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise<Error | null>((r) => lookup('localhost', { all: true }, (e) => r(e)));
    expect(err?.message).toMatch(/non-public address/);
  });
});
