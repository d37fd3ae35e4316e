// D1 schema: the only durable data of Switchboard. Secrets are stored hashed or sealed, never plain.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const createdAt = () =>
  integer('created_at', { mode: 'number' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['admin', 'user'] }).notNull().default('user'),
  /** null = unlimited */
  maxClients: integer('max_clients'),
  createdAt: createdAt(),
});

export const clients = sqliteTable(
  'clients',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    clientId: text('client_id').notNull(),
    phoneNumber: text('phone_number').notNull(),
    status: text('status', { enum: ['pending_auth', 'connected', 'disconnected', 'logged_out'] })
      .notNull()
      .default('pending_auth'),
    connectedNumber: text('connected_number'),
    webhookUrl: text('webhook_url'),
    /** AES-GCM sealed `whsec_...` signing secret */
    webhookSecretSealed: text('webhook_secret_sealed'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('clients_user_client_id').on(t.userId, t.clientId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** null = the account key; else the key of this client only */
    clientRef: integer('client_ref').references(() => clients.id, { onDelete: 'cascade' }),
    /** SHA-256 hex of the key: the lookup */
    keyHash: text('key_hash').notNull().unique(),
    /** AES-GCM sealed copy, so the owner can be shown the key again */
    keySealed: text('key_sealed').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_user').on(t.userId), index('api_keys_client').on(t.clientRef)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 hex of the cookie token */
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_expiry').on(t.expiresAt)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    category: text('category', { enum: ['security', 'app'] }).notNull(),
    event: text('event').notNull(),
    message: text('message').notNull(),
    ip: text('ip'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_user_id').on(t.userId, t.id)],
);

export const apiUsage = sqliteTable(
  'api_usage',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `account` or `client:<clientId>` — survives key resets */
    keyLabel: text('key_label').notNull(),
    method: text('method').notNull(),
    route: text('route').notNull(),
    day: text('day').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.keyLabel, t.method, t.route, t.day] })],
);
