// What a WhatsApp transport (Baileys or the sandbox) offers the session manager.
import type { BridgeEvent, SessionSpec, SessionStatus } from '../../adapters/protocol.ts';

export interface OutgoingMedia {
  data: Uint8Array;
  mimetype: string;
  filename: string;
  kind: 'image' | 'video' | 'audio' | 'document';
}

export interface StartResult {
  status: SessionStatus;
  connectedNumber: string | null;
  qr?: { qr: string; png: string };
}

export interface SendResult {
  messageId: string;
  timestamp: number;
}

export class SessionError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface Session {
  /** Resolves once the session has a QR to show or is connected. */
  start(): Promise<StartResult>;
  /** Closes the socket; auth stays, so a later start reconnects. */
  stop(): Promise<void>;
  /** Logs the number out and erases its auth state. */
  logout(): Promise<void>;
  send(to: string, content: { text?: string; media?: OutgoingMedia }): Promise<SendResult>;
  /** The bytes of a received message's media. */
  media(messageId: string): Promise<{ data: Uint8Array; mimetype: string; filename: string | null }>;
  /** Sends read receipts for a chat's messages. */
  read(chatId: string, messageIds: string[]): Promise<void>;
  /** The groups and channels this number belongs to. */
  groups(): Promise<import('../../adapters/protocol.ts').GroupInfo[]>;
  /** Transport-specific operations (the sandbox's scan, inbound, call, outbox). */
  control?(op: string, params: Record<string, unknown>): Promise<unknown>;
}

export type Emit = (event: BridgeEvent) => void;
export type TransportFactory = (spec: SessionSpec, emit: Emit) => Session;
