// Media by URL at request time: a supported type on an allowed host, or 400 MEDIA_ERROR before anything is sent.
import { mediaFromUrl } from '../../adapters/media.ts';
import { checkOutboundUrl } from '../../adapters/url-guard.ts';
import { ApiError } from '../lib/errors.ts';

export function checkMediaUrl(url: string, allowPrivate: boolean) {
  const type = mediaFromUrl(url);
  if (!type.ok) throw new ApiError(400, 'MEDIA_ERROR', type.error);
  const checked = checkOutboundUrl(url, { allowPrivate });
  if (!checked.ok) throw new ApiError(400, 'MEDIA_ERROR', `mediaUrl refused: ${checked.reason}`);
  return type.value;
}
