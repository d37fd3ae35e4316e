// Media by URL: the spec's file types, recognised by extension, shared by the edge (at request time)
// and the bridge (when it fetches the bytes).
import { fail, ok, type Result } from './result.ts';
import type { MediaKind } from './vocabulary.ts';

const TYPES: Record<string, { kind: MediaKind; mimetype: string }> = {
  jpg: { kind: 'image', mimetype: 'image/jpeg' },
  jpeg: { kind: 'image', mimetype: 'image/jpeg' },
  png: { kind: 'image', mimetype: 'image/png' },
  gif: { kind: 'image', mimetype: 'image/gif' },
  webp: { kind: 'image', mimetype: 'image/webp' },
  pdf: { kind: 'document', mimetype: 'application/pdf' },
  mp4: { kind: 'video', mimetype: 'video/mp4' },
  mp3: { kind: 'audio', mimetype: 'audio/mpeg' },
};

export const MEDIA_EXTENSIONS = Object.keys(TYPES).map((e) => `.${e}`);
export const MAX_MEDIA_BYTES = 16 * 1024 * 1024;

export function mediaFromUrl(raw: string): Result<{ kind: MediaKind; mimetype: string; filename: string }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('mediaUrl is not a valid URL');
  }
  let filename: string;
  try {
    filename = decodeURIComponent(url.pathname.split('/').pop() ?? '') || 'file';
  } catch {
    return fail('mediaUrl has an invalid %-escape');
  }
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  const type = ext ? TYPES[ext] : undefined;
  if (!type) return fail(`unsupported file type; supported: ${MEDIA_EXTENSIONS.join(', ')}`);
  return ok({ ...type, filename });
}
