// The account's secrets for POST /auth/reveal: its key, and each client's key and webhook signing secret.
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { apiKeys, clients } from '../../db/schema.ts';
import { unseal } from '../../lib/secrets.ts';
import { accountKeySealed } from '../../services/keys.ts';

export async function revealSecrets(db: Db, sealKey: string, userId: number) {
  const [account, rows] = await Promise.all([
    accountKeySealed(db, userId),
    db
      .select({ clientId: clients.clientId, keySealed: apiKeys.keySealed, secretSealed: clients.webhookSecretSealed })
      .from(clients)
      .leftJoin(apiKeys, eq(apiKeys.clientRef, clients.id))
      .where(eq(clients.userId, userId))
      .orderBy(asc(clients.id)),
  ]);
  if (!account) throw new Error('account without an account key');
  return {
    apiKey: await unseal(sealKey, account),
    clients: await Promise.all(
      rows.map(async (r) => ({
        clientId: r.clientId,
        apiKey: r.keySealed ? await unseal(sealKey, r.keySealed) : '',
        webhookSecret: r.secretSealed ? await unseal(sealKey, r.secretSealed) : null,
      })),
    ),
  };
}
