import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Queue } from 'bullmq';
import { Hono } from 'hono';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { rootLogger, type Logger } from '../logger.js';
import { connectionFromConfig, openRedis, withTimeout } from './connection.js';
import { QueueMetrics } from './dashboard-metrics.js';
import { ALL_QUEUES, metaKeys } from './queues.js';
import { maskRedisUrl } from './redis-url.js';
import { registerRunMetrics } from './run-metrics.js';
import { readRunStats } from './run-stats.js';
import type { ModelOverview } from '../ops/models-overview.js';
import { renderModelsPage } from '../ops/models-page.js';
import { registerModelMetrics } from '../ops/model-metrics.js';

export interface DashboardOptions {
  config: Pick<OrtqConfig, 'redis'>;
  /** @defaultValue 3000; 0 picks a free port */
  port?: number;
  /** @defaultValue '127.0.0.1': the board can retry and delete jobs, so it is not exposed unless asked */
  host?: string;
  /** Enables bull-board's retry/clean/promote/pause buttons. @defaultValue false (read-only) */
  allowActions?: boolean;
  /** How long the first Redis connection may take. @defaultValue 5000 */
  timeoutMs?: number;
  logger?: Logger;
  /** Serves the read-only models page at /models (champions, trainings, approvals, drift, triggers) from this source. */
  models?: () => Promise<ModelOverview[]>;
  /** Trigger events per trigger and outcome, exported as ortq_trigger_firings_total. */
  triggerCounts?: () => Promise<Array<{ trigger: string; outcome: string; count: number }>>;
  /** Automatic rollbacks per model, exported as ortq_rollbacks_total. */
  rollbackCounts?: () => Promise<Array<{ model: string; count: number }>>;
}

export interface Dashboard {
  /** e.g. `http://127.0.0.1:3000/` */
  url: string;
  port: number;
  /** Queue names shown, in order. */
  queues: string[];
  close(): Promise<void>;
}

/**
 * Serves bull-board over ortq's queues, plus `/metrics` (queue counts per
 * state, read on scrape) and `/healthz` (Redis PING). Fails with
 * ORTQ_REDIS_UNAVAILABLE (URL masked) when Redis cannot be reached at start;
 * afterwards it reconnects, and `/healthz` answers 503 while Redis is away.
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const logger = opts.logger ?? rootLogger();
  const host = opts.host ?? '127.0.0.1';
  // role 'client': a request made while Redis is away fails after one retry instead of hanging the page
  const conn = connectionFromConfig(opts.config, 'client');
  const redis = await openRedis(conn, { timeoutMs: opts.timeoutMs ?? 5000 });
  const queues = ALL_QUEUES.map((name) => {
    // skipMetasUpdate: looking at a queue must not write to it
    const q = new Queue(name, { connection: conn.redis, prefix: conn.prefix, skipMetasUpdate: true });
    q.on('error', (err) => logger.debug({ err, queue: name }, 'dashboard queue connection error'));
    return q;
  });
  redis.on('error', (err) => logger.debug({ err }, 'dashboard Redis connection error'));

  const board = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: !opts.allowActions })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: `ortq (${conn.prefix})` } },
  });
  const metrics = new QueueMetrics(queues);
  const runStatsKey = metaKeys(conn.prefix).runStats;
  registerRunMetrics(metrics.registry, () => readRunStats(redis, runStatsKey));
  if (opts.models) registerModelMetrics(metrics.registry, { models: opts.models, triggerCounts: opts.triggerCounts, rollbackCounts: opts.rollbackCounts });

  const app = new Hono();
  app.get('/metrics', async (c) => {
    try {
      return c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType });
    } catch (err) {
      return c.text(`cannot read queue counts from Redis: ${(err as Error).message}\n`, 503);
    }
  });
  app.get('/healthz', async (c) => {
    try {
      await withTimeout(redis.ping(), 2000);
      return c.json({ status: 'ok', redis: maskRedisUrl(conn.url) });
    } catch (err) {
      return c.json({ status: 'unavailable', redis: maskRedisUrl(conn.url), error: (err as Error).message }, 503);
    }
  });
  const models = opts.models;
  if (models) {
    app.get('/models', async (c) => {
      try {
        return c.html(renderModelsPage(await models(), { title: `ortq (${conn.prefix})` }));
      } catch (err) {
        return c.text(`cannot read the models: ${(err as Error).message}\n`, 503);
      }
    });
  }
  app.route('/', board.registerPlugin());

  let server: Server;
  try {
    server = await listen(app, opts.port ?? 3000, host);
  } catch (err) {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    redis.disconnect();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info({ url, redis: maskRedisUrl(conn.url), prefix: conn.prefix, readOnly: !opts.allowActions }, `dashboard on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    queues: queues.map((q) => q.name),
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // open keep-alive connections (a browser tab) would hold close() forever
          server.closeAllConnections();
        });
        await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

function listen(app: Hono, port: number, hostname: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }) as Server;
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        reject(new OrtqError('ORTQ_USAGE', `cannot listen on ${hostname}:${port} (${err.code}); pick another with --port or --host`));
      } else {
        reject(err);
      }
    });
  });
}
