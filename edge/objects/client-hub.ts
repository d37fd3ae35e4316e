// One Durable Object per WhatsApp client: routes its commands to the bridge holding it and keeps its
// live state (status, connected number, the current QR code).
import { DurableObject } from 'cloudflare:workers';
import type { Op, SessionStatus } from '../../adapters/protocol.ts';
import type { Bindings } from '../env.ts';
import type { BridgeResult } from './bridge-link.ts';

export interface LiveState {
  status: SessionStatus | null;
  connectedNumber: string | null;
  /** base64 PNG while pairing */
  qrPng: string | null;
  updatedAt: number | null;
}

export class ClientHub extends DurableObject<Bindings> {
  async request(clientRef: number, op: Op, params: Record<string, unknown> = {}): Promise<BridgeResult> {
    const result = (await this.env.BRIDGE_LINK.getByName('main').request(clientRef, op, params)) as unknown as BridgeResult;
    if (result.ok && op === 'start') {
      const r = result.result as { status?: SessionStatus; connectedNumber?: string | null; qr?: { png: string } };
      if (r.status) await this.apply({ status: r.status, connectedNumber: r.connectedNumber ?? null, ...(r.qr ? { qrPng: r.qr.png } : {}) });
    }
    return result;
  }

  async apply(update: Partial<LiveState>): Promise<LiveState> {
    const current = await this.state();
    const next: LiveState = { ...current, ...update, updatedAt: Date.now() };
    if (next.status && next.status !== 'pending_auth') next.qrPng = null;
    await this.ctx.storage.put('state', next);
    return next;
  }

  async state(): Promise<LiveState> {
    return (await this.ctx.storage.get<LiveState>('state')) ?? { status: null, connectedNumber: null, qrPng: null, updatedAt: null };
  }

  async forget(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
