import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('edge/db/migrations');

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                SEAL_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
                INTERNAL_TOKEN: 'test-internal-token-0123456789',
                ALLOW_PRIVATE_WEBHOOK_URLS: 'false',
              },
            },
          }),
        ],
        test: {
          name: 'edge',
          include: ['edge/**/*.test.ts', 'adapters/**/*.test.ts'],
          setupFiles: ['edge/test/setup.ts'],
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
