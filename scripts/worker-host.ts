// Where the Worker runs for startSystem: the serving runtime (npm start, tests, benchmarks) or, for
// `npm run dev`, `wrangler dev` (scripts/wrangler-dev.ts). Both look the same to the system.
import { type PreparedWorker, prepareWorker, type Runtime, type RuntimeOptions, serveWorker } from './runtime/serve.ts';

export interface WorkerHost {
  url: string;
  /** stops accepting requests and lets in-flight ones finish, for up to `graceMs` */
  close(graceMs: number): Promise<void>;
  /** stops the runtime (workerd) */
  dispose(): Promise<void>;
  /** stops and starts the Worker again on the same port and state */
  restart(): Promise<void>;
  /** runs the Worker's scheduled handler once now */
  tick(): Promise<void>;
}

/** The serving runtime: bundled and migrated once, served again on restart. */
export async function servingHost(opts: RuntimeOptions): Promise<WorkerHost> {
  const prepared: PreparedWorker = await prepareWorker(opts);
  let runtime: Runtime = await serveWorker(prepared, opts);
  return {
    get url() {
      return runtime.url;
    },
    close: (graceMs) => runtime.close(graceMs),
    dispose: () => runtime.dispose(),
    async restart() {
      await runtime.stop(2000);
      runtime = await serveWorker(prepared, opts);
    },
    tick: () => runtime.tick(),
  };
}
