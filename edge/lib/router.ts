// Every area router is made here, so one defaultHook shapes every validation error.
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { AppEnv } from '../env.ts';
import { errorBody } from './errors.ts';

export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    // a message that names its field already is not prefixed twice ("to: to: …")
    const message = issue ? (where && issue.message.startsWith(where) ? issue.message : `${where}${issue.message}`) : 'Invalid request';
    return c.json(errorBody('VALIDATION_ERROR', message), 400);
  }
};

export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook });
