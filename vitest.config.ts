import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('edge/db/migrations');

const workerBindings = (allowPrivate: boolean) => ({
  TEST_MIGRATIONS: migrations,
  SEAL_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
  INTERNAL_TOKEN: 'test-internal-token-0123456789',
  ALLOW_PRIVATE_WEBHOOK_URLS: allowPrivate ? 'true' : 'false',
  WA_TRANSPORT: 'sandbox', // as npm start tells the Worker (unset, it protects real numbers)
});

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: workerBindings(false) },
          }),
        ],
        test: {
          name: 'edge',
          include: ['edge/**/*.test.ts', 'adapters/**/*.test.ts'],
          // the Baileys normalizers run in the bridge only; their rc14 fixtures need Baileys (WebAssembly) at run time
          exclude: ['edge/**/*.delivery.test.ts', 'adapters/baileys/**'],
          setupFiles: ['edge/test/setup.ts'],
          globalSetup: ['test/support/receiver-setup.ts'],
        },
      },
      {
        // Webhook delivery against a real local receiver: private URLs allowed, as ALLOW_PRIVATE_WEBHOOK_URLS=true; and
        // Miniflare's own send_email binding (EMAIL), as `[[send_email]]` in wrangler.toml would give on Cloudflare.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: workerBindings(true), email: { send_email: [{ name: 'EMAIL' }] } },
          }),
        ],
        test: {
          name: 'edge-delivery',
          include: ['edge/**/*.delivery.test.ts'],
          setupFiles: ['edge/test/setup.ts'],
          globalSetup: ['test/support/receiver-setup.ts', 'test/support/smtp-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'node',
          include: ['adapters/**/*.test.ts', 'bridge/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'openapi/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
