// Sealing what the bridge keeps at rest that would let someone act as a number (Baileys credentials and
// signal keys): AES-256-GCM with a key of its own, kept beside the state in a 0600 file (or given as
// BRIDGE_SEAL_KEY), so a copied or backed-up database alone is not a linked WhatsApp device. The key is
// the fleet's: auth state sealed by one bridge travels through the edge (which cannot open it) to the
// next holder, so every bridge needs the same key (one STATE_DIR/bridge-seal.key, or BRIDGE_SEAL_KEY).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Sealer {
  seal(text: string): string;
  /** the text, or throws when it was sealed with another key or altered */
  open(sealed: string): string;
}

const PREFIX = 'v1:';

export function sealerFor(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('a seal key is 32 bytes');
  return {
    seal(text) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      // rows written before sealing existed are read as they are (and sealed on their next write)
      if (!sealed.startsWith(PREFIX)) return sealed;
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/** The key from BRIDGE_SEAL_KEY (base64), else from `file`, created (0600) on first use. */
export function sealerFromKeyFile(file: string, fromEnv?: string, legacyFile?: string): Sealer {
  if (fromEnv) return sealerFor(Buffer.from(fromEnv, 'base64'));
  if (!existsSync(file)) {
    // a key written before the fleet shared one (bridge-<id>.key) becomes the shared key
    const key = legacyFile && existsSync(legacyFile) ? readFileSync(legacyFile, 'utf8').trim() : randomBytes(32).toString('base64');
    try {
      writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another bridge of this state dir wrote it first
    }
  }
  return sealerFor(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
}
