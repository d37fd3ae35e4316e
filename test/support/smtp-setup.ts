// vitest globalSetup: one local SMTP server for the workerd mail tests, handed to them with inject():
// `smtpPort` (SMTP on 127.0.0.1) and `smtpControlUrl` (its HTTP control API, see smtp-server.ts).
import type { TestProject } from 'vitest/node';
import { startSmtpServer } from './smtp-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    smtpPort: number;
    smtpControlUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startSmtpServer();
  project.provide('smtpPort', server.port);
  project.provide('smtpControlUrl', server.controlUrl);
  return () => server.close();
}
