// Headers for serving bytes someone else chose (received media): never run as a page on our origin.
// Only plain image/audio/video types show inline; everything else (HTML, SVG, PDF, unknown) downloads.
const INLINE_SAFE = /^(image\/(png|jpeg|gif|webp)|audio\/(mpeg|ogg|mp4|aac|wav|webm|amr)|video\/(mp4|webm|ogg|3gpp))$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** RFC 5987 / 6266: an ASCII fallback name plus the exact UTF-8 name, whatever characters it has. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  // a lone surrogate cannot be percent-encoded: it becomes U+FFFD
  const filename = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_').slice(0, 150) || 'file';
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

export function downloadHeaders(mimetype: string, filename: string): Record<string, string> {
  const type = mimetype.trim().toLowerCase().split(';')[0]?.trim() ?? '';
  const valid = MIME.test(type) ? type : 'application/octet-stream';
  const inline = INLINE_SAFE.test(valid);
  return {
    'content-type': valid,
    'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', filename),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'",
    'cache-control': 'private, max-age=300',
  };
}
