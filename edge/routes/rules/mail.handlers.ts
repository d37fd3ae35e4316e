import { allowPrivateUrls } from '../../../adapters/url-guard.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { checkMailSettings, resolveMailSettings, sendMail } from '../../rules/mail.ts';
import { deleteMailSettings, loadMailSettings, mailSettingsView, saveMailSettings } from '../../rules/mail-settings.ts';
import { deleteMailRoute, getMailRoute, putMailRoute, testMailRoute } from './mail.routes.ts';

const notSet = () => new ApiError(404, 'MAIL_NOT_SET', 'No outgoing mail server is set (PUT /api/mail)');

export const mailRouter = createRouter()
  .openapi(getMailRoute, async (c) => {
    const view = await mailSettingsView(c.env, c.get('auth').userId);
    if (!view) throw notSet();
    return c.json(view, 200);
  })
  .openapi(putMailRoute, async (c) => {
    const auth = c.get('auth');
    const settings = resolveMailSettings(c.req.valid('json'));
    const problem = checkMailSettings(settings, { allowPrivate: allowPrivateUrls(c.env), hasBinding: c.env.EMAIL !== undefined });
    if (problem) throw new ApiError(400, 'INVALID_MAIL_SETTINGS', problem);
    await saveMailSettings(c.env, auth.userId, settings);
    await audit(c, {
      userId: auth.userId,
      category: 'security',
      event: 'mail_settings_saved',
      message: `Outgoing mail: ${settings.transport} ${settings.host ?? ''}`,
    });
    return c.json((await mailSettingsView(c.env, auth.userId))!, 200);
  })
  .openapi(deleteMailRoute, async (c) => {
    const auth = c.get('auth');
    if (!(await deleteMailSettings(c.env, auth.userId))) throw notSet();
    await audit(c, { userId: auth.userId, category: 'security', event: 'mail_settings_deleted', message: 'Outgoing mail server forgotten' });
    return c.json({ success: true as const }, 200);
  })
  .openapi(testMailRoute, async (c) => {
    const auth = c.get('auth');
    const settings = await loadMailSettings(c.env, auth.userId);
    if (!settings) throw notSet();
    const problem = checkMailSettings(settings, { allowPrivate: allowPrivateUrls(c.env), hasBinding: c.env.EMAIL !== undefined });
    if (problem) return c.json({ sent: false, error: problem }, 200);
    const result = await sendMail(
      settings,
      {
        to: [c.req.valid('json').to],
        subject: 'Switchboard test email',
        text: 'This is a test email from your Switchboard gateway: its outgoing mail server works.',
        messageId: `<test.${crypto.randomUUID()}@switchboard>`,
      },
      c.env,
    );
    return c.json({ sent: result.ok, error: result.ok ? null : result.error }, 200);
  });
