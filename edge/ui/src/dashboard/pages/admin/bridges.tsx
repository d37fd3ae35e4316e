// For admins: the bridges with a credential — connected, draining or not, their version, last heartbeat
// and the numbers each holds a lease on (GET /api/admin/bridges).
import { api, must } from '../../../api.ts';
import { Notice, Section, useAsync, when } from '../../../components.tsx';

export function Bridges() {
  const list = useAsync(() => must(api.GET('/api/admin/bridges')), []);
  return (
    <Section
      title="Bridges"
      actions={
        <button type="button" class="secondary small" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      <Notice kind="error">{list.error}</Notice>
      {list.data?.bridges.length === 0 && <p class="muted">No bridge has a credential yet.</p>}
      {list.data && list.data.bridges.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Bridge</th>
                <th>State</th>
                <th>Version</th>
                <th>Last heartbeat</th>
                <th>Numbers</th>
              </tr>
            </thead>
            <tbody>
              {list.data.bridges.map((b) => (
                <tr key={b.bridgeId}>
                  <td>
                    <code>{b.bridgeId}</code>
                  </td>
                  <td>
                    <span class={`status ${b.connected ? 'status-connected' : b.revoked ? 'status-failed' : ''}`}>
                      {b.revoked ? 'Revoked' : b.draining ? 'Draining' : b.connected ? `Connected (${b.transport})` : 'Not connected'}
                    </span>
                  </td>
                  <td>{b.version ?? '—'}</td>
                  <td>{b.lastHeartbeat ? when(b.lastHeartbeat) : '—'}</td>
                  <td class="wrap">{b.clients.length ? b.clients.map((c) => `${c.clientId} (${c.username})`).join(', ') : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
