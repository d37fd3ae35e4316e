// What a WhatsApp transport (Baileys or the sandbox) offers the session manager. Shapes that cross to
// the edge come from the contract in adapters/protocol.ts.
import type { BridgeEvent, GroupInfo, OpInput, OpResult, PairingMethod, Sent, SessionSpec, StartResult } from '../../adapters/protocol.ts';
import { createHash } from 'node:crypto';
import type { MediaKind } from '../../adapters/vocabulary.ts';

export type { Sent, StartResult };

export interface OutgoingMedia {
  data: Uint8Array;
  mimetype: string;
  filename: string;
  kind: MediaKind;
}

/** Upper-case hex derived from a client's send key (a message id's random part, made repeatable). */
export const keyedHex = (clientRef: number, key: string, chars: number): string =>
  createHash('sha256').update(`${clientRef}:${key}`).digest('hex').slice(0, chars).toUpperCase();

export class SessionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The simulated network's controls (only the sandbox transport has them). */
export interface SandboxControls {
  scan(): Promise<OpResult<'sandbox.scan'>>;
  pair(p: OpInput<'sandbox.pair'>): Promise<OpResult<'sandbox.pair'>>;
  inbound(p: OpInput<'sandbox.inbound'>): Promise<OpResult<'sandbox.inbound'>>;
  call(p: OpInput<'sandbox.call'>): Promise<OpResult<'sandbox.call'>>;
  react(p: OpInput<'sandbox.react'>): Promise<OpResult<'sandbox.react'>>;
  sent(): Promise<OpResult<'sandbox.outbox'>>;
}

export interface Session {
  /** Resolves once the session has a QR (or, with `pairingMethod: "code"`, a pairing code) to show, or is connected. */
  start(opts?: { pairingMethod?: PairingMethod }): Promise<StartResult>;
  /** Closes the socket; auth stays, so a later start reconnects. */
  stop(): Promise<void>;
  /** Logs the number out and erases its auth state. */
  logout(): Promise<void>;
  /**
   * `key`: the send's queue id. The message's WhatsApp id is derived from it, so the same queued message
   * sent again (by the bridge that took the number over after a crash) is the same message, not a second one.
   */
  send(to: string, content: { text?: string; media?: OutgoingMedia }, opts?: { key?: string }): Promise<Sent>;
  /** The bytes of a received message's media. */
  media(messageId: string): Promise<{ data: Uint8Array; mimetype: string; filename: string | null }>;
  /** Sends read receipts for a chat's messages. */
  read(chatId: string, messageIds: string[]): Promise<void>;
  /** The groups and channels this number belongs to. */
  groups(): Promise<GroupInfo[]>;
  /** Profile pictures of chats (null: none); a transport without pictures has none. */
  pictures?(chatIds: string[]): Promise<{ chatId: string; url: string | null }[]>;
  /** The sandbox's simulated-network controls. */
  readonly sandbox?: SandboxControls;
}

export type Emit = (event: BridgeEvent) => void;
export type TransportFactory = (spec: SessionSpec, emit: Emit) => Session;
