// The dashboard in a worker thread, for `selfsup train --dashboard`: training
// runs long synchronous libtorch calls on the main thread, which would stall
// an HTTP server living there; the dashboard only reads files, so a thread of
// its own serves the page at full speed while the run trains.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Dashboard, DashboardOptions } from './server';

/** What the thread answers once it listens (or failed to). */
export type ThreadReply = { url: string; port: number } | { error: string };

/**
 * Starts `startDashboard(options)` in a worker thread; resolves once it
 * listens. `close()` ends the thread (and with it every open stream). The
 * thread does not keep the process alive.
 *
 * @example
 * const d = await startDashboardThread({ root: 'runs', port: 6006 });
 * // ... train ...
 * await d.close();
 */
export function startDashboardThread(options: DashboardOptions): Promise<Dashboard> {
  const worker = new Worker(path.join(__dirname, 'thread-entry.js'), { workerData: options });
  return new Promise<Dashboard>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: ThreadReply) => {
      if ('error' in m) {
        void worker.terminate();
        reject(new Error(m.error));
        return;
      }
      worker.unref();
      resolve({ url: m.url, port: m.port, close: async () => { await worker.terminate(); } });
    });
  });
}
