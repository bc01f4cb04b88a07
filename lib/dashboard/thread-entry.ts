// The body of the dashboard's worker thread (see thread.ts): starts the
// server with the options it was given and answers its URL or the error.
import { parentPort, workerData } from 'worker_threads';
import { DashboardOptions, startDashboard } from './server';
import type { ThreadReply } from './thread';

const reply = (m: ThreadReply): void => parentPort?.postMessage(m);
startDashboard(workerData as DashboardOptions).then(
  (d) => reply({ url: d.url, port: d.port }),
  (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
);
