import { getDb } from '../../db/client.ts';
import { audit } from '../../lib/audit.ts';
import { createRouter } from '../../lib/router.ts';
import { createUser } from '../../services/users.ts';
import { createUserRoute } from './admin.routes.ts';

export const adminRouter = createRouter().openapi(createUserRoute, async (c) => {
  const input = c.req.valid('json');
  const { apiKey, role, maxClients } = await createUser(getDb(c.env.DB), c.env.SEAL_KEY, input);
  await audit(c, { userId: c.get('auth').userId, category: 'app', event: 'user_created', message: `Created ${input.role} ${input.username}` });
  return c.json({ username: input.username, role, maxClients, apiKey }, 201);
});
