// vitest globalSetup: one receiver for the workerd delivery tests, handed to them with inject().
import type { TestProject } from 'vitest/node';
import { startReceiver } from './receiver.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide('receiverUrl', receiver.url);
  return () => receiver.close();
}
