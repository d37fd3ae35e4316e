// What to paste into the Android companion app, shown once after a device is registered or its secret
// rotated: the gateway URL, the secret and an example payload (the secret in the body or in a header).
import { useState } from 'preact/hooks';
import { CopyButton, Secret } from '../../../components.tsx';
import { Choice } from './choice.tsx';

export const gatewayUrl = () => `${location.origin}/gateway/android`;

/** An SMS as the phone app posts it (see the Android gateway payloads of the API reference). */
export function examplePayload(secret: string, now = Date.now()) {
  return {
    type: 'sms',
    data: { id: 1, rid: 1, sim: 1, device: 'android-1', phone: '+639760713666', message: 'Hello World!', timestamp: Math.floor(now / 1000) },
    secret,
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function DeviceSetup(props: { deviceId: string; name: string; secret: string; webhookSecret?: string | null; rotated?: boolean; onDone: () => void }) {
  const [style, setStyle] = useState<'body' | 'header'>('body');
  const url = gatewayUrl();
  const payload = examplePayload(props.secret);
  const json = JSON.stringify(payload, null, 2);
  const { secret: _omit, ...withoutSecret } = payload;
  const curl = [
    `curl -X POST ${shellQuote(url)}`,
    `  -H 'content-type: application/json'`,
    `  -H ${shellQuote(`x-device-secret: ${props.secret}`)}`,
    `  -d ${shellQuote(JSON.stringify(withoutSecret))}`,
  ].join(' \\\n');
  return (
    <section class="card dev-setup" aria-label={`Set up ${props.name}`}>
      <header class="card-head">
        <h2>
          {props.rotated ? 'New secret for' : 'Set up'} {props.name}
        </h2>
        <code class="muted">{props.deviceId}</code>
      </header>
      <p class="notice notice-ok" role="status">
        Copy the device secret now: it is shown only once.{props.rotated ? ' The old secret no longer works.' : ''}
      </p>
      <dl class="adm-facts">
        <dt>Device secret</dt>
        <dd class="adm-copyline">
          <code class="dev-secret">{props.secret}</code>
          <CopyButton text={props.secret} label="Copy secret" />
        </dd>
        <dt>Gateway URL</dt>
        <dd class="adm-copyline">
          <code class="dev-url">{url}</code>
          <CopyButton text={url} label="Copy URL" />
        </dd>
      </dl>
      {props.webhookSecret && <Secret label="Webhook signing secret" value={props.webhookSecret} />}
      <h3 class="adm-h3">Example payload</h3>
      <p class="muted adm-small">
        The phone app POSTs each received SMS, WhatsApp chat, USSD response or notification to the gateway URL as JSON, with the secret in the{' '}
        <code>secret</code> field or the <code>x-device-secret</code> header.
      </p>
      <Choice
        label="Where the secret goes"
        value={style}
        options={[
          { value: 'body', label: 'In the body (JSON)' },
          { value: 'header', label: 'In a header (curl)' },
        ]}
        onChange={setStyle}
      />
      <pre class="adm-code">
        <code>{style === 'body' ? json : curl}</code>
      </pre>
      <div class="row">
        <CopyButton text={style === 'body' ? json : curl} label={style === 'body' ? 'Copy payload' : 'Copy command'} />
        <button type="button" class="small" onClick={props.onDone}>
          I saved the secret
        </button>
      </div>
    </section>
  );
}
