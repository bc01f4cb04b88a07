// The dashboard's HTTP server (node:http, loopback by default): the page,
// uPlot, a JSON API over the run folders, server-sent events carrying the
// records appended to a run's metrics.jsonl, and the run's PNG pictures.
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { PAGE } from './page';
import { CurveCache } from './curves';
import { DEFAULT_BUCKETS, listRuns, readRecordsFrom, runDir, RunPathError, summarizeRun } from './run-reader';
import { defineOptions, GivenOptions, is, option, OptionCheck } from '../torch/option-table';

/** Options of `startDashboard`. */
/** A non-empty string. */
const text: OptionCheck<string> = (v, what) => {
  if (typeof v !== 'string' || v === '') throw new TypeError(`Expected a non-empty string for ${what} but received ${String(v)}`);
  return v;
};

/** `startDashboard`'s options: defaults and checks. */
export const DASHBOARD_OPTIONS = defineOptions({
  /** Folder of run folders (or one run folder). Default 'runs'. */
  root: option('runs', text),
  /** Port; 0 picks a free one. Default 0. */
  port: option(0, is.int(0)),
  /** Interface to listen on. Default '127.0.0.1' (loopback only). */
  host: option('127.0.0.1', text),
  /** How often live streams look for new lines, in ms. Default 250. */
  pollMs: option(250, is.positive),
  /** Pixel columns a curve is reduced to when the page does not give its width (`buckets=`). Default 500. */
  buckets: option(DEFAULT_BUCKETS, is.int(1)),
});

export type DashboardOptions = GivenOptions<typeof DASHBOARD_OPTIONS.specs>;

/** A running dashboard. */
export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const UPLOT_JS = require.resolve('uplot/dist/uPlot.iife.min.js');
const UPLOT_CSS = require.resolve('uplot/dist/uPlot.min.css');

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendError(res: http.ServerResponse, err: unknown): void {
  const status = err instanceof RunPathError ? err.status : 500;
  send(res, status, 'application/json', JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
}

function stream(req: http.IncomingMessage, res: http.ServerResponse, file: string, from: number, pollMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  let offset = from;
  const tick = () => {
    try {
      const next = readRecordsFrom(file, offset);
      offset = next.offset;
      if (next.records.length) res.write(`data: ${JSON.stringify(next.records)}\n\n`);
    } catch {
      // The file is being replaced: try again at the next tick.
    }
  };
  const timer = setInterval(tick, pollMs);
  req.on('close', () => clearInterval(timer));
}

/**
 * Serves the dashboard for the runs under `root`; resolves once listening.
 *
 * @example
 * const d = await startDashboard({ root: 'runs', port: 6006 });
 * console.log(d.url); // http://127.0.0.1:6006/
 * await d.close();
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const o = DASHBOARD_OPTIONS.resolve(options, (k) => `options.${k}`);
  const root = path.resolve(o.root);
  listRuns(root); // throws now for a missing folder
  const { pollMs } = o;
  const cache = new CurveCache();
  const bucketsOf = (url: URL): number => {
    const asked = Number(url.searchParams.get('buckets') ?? NaN);
    // The page asks for its charts' width in pixels; anything odd falls back to the default.
    return Number.isInteger(asked) && asked >= 1 ? Math.min(asked, 4096) : o.buckets;
  };
  const sockets = new Set<import('net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const name = url.searchParams.get('run') ?? '';
    try {
      switch (url.pathname) {
        case '/': return send(res, 200, 'text/html; charset=utf-8', PAGE);
        case '/uplot.js': return send(res, 200, 'text/javascript', fs.readFileSync(UPLOT_JS));
        case '/uplot.css': return send(res, 200, 'text/css', fs.readFileSync(UPLOT_CSS));
        case '/favicon.ico': res.writeHead(204); return res.end();
        case '/api/runs': return send(res, 200, 'application/json', JSON.stringify({ root, runs: listRuns(root) }));
        case '/api/run': return send(res, 200, 'application/json', JSON.stringify(summarizeRun(root, name, bucketsOf(url), cache, url.searchParams.get('exact') !== '0')));
        case '/api/live': {
          const from = Number(url.searchParams.get('offset') ?? '0');
          return stream(req, res, path.join(runDir(root, name), 'metrics.jsonl'), Number.isFinite(from) ? from : 0, pollMs);
        }
        case '/api/file': {
          const file = url.searchParams.get('file') ?? '';
          if (!/^[\w.-]+\.png$/.test(file) || file.includes('..')) {
            throw new RunPathError(`Refused file '${file}': only the run folder's own .png files are served`, 403);
          }
          const full = path.join(runDir(root, name), file);
          if (!fs.existsSync(full)) throw new RunPathError(`No picture '${file}' in run '${name}'`, 404);
          return send(res, 200, 'image/png', fs.readFileSync(full));
        }
        default: return send(res, 404, 'application/json', JSON.stringify({ error: `No page ${url.pathname}` }));
      }
    } catch (err) {
      return sendError(res, err);
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy(); // live streams never end by themselves
      server.close(() => resolve());
    }),
  };
}
