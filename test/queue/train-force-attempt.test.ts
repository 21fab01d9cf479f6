import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterEach } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { enqueueJob } from '../../src/queue/enqueue.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { TrainScratch } from '../kinds/train/train-fixtures.js';
import { useRedisServer } from '../helpers/redis-server.js';

/**
 * `ortq enqueue --force` of a train job whose last --force attempt failed
 * after registering its candidate: the queue resumes that attempt, as
 * `ortq run --force` does, instead of planning a second candidate for the
 * same run (issue 8: never two versions for one run).
 */
describe('enqueue --force of a train run with an unfinished --force attempt', () => {
  const h = useRedisServer();
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('plans the kept attempt (same directory, same attempt token), not a fresh one', async () => {
    s = new TrainScratch();
    const job = await s.job();
    await s.run(job);
    await expect(s.run(job, { force: true, onStep: (st) => { if (st === 'promote') throw new Error('promote failed'); } })).rejects.toThrow(/promote failed/);
    expect(await s.repo.versions('iris')).toHaveLength(2);
    const config = loadConfig({ env: { ...process.env, REDIS_URL: h.srv.url, ORTQ_REDIS_PREFIX: 'force-attempt' }, cwd: s.dir });
    const qc = await QueueClient.open(config);
    try {
      const r = await enqueueJob(qc, job, { config, repo: s.repo, force: true, logger: createLogger({ level: 'silent' }) });
      expect(r.outcome).toBe('enqueued');
      expect(r.plan.runDir).toMatch(/\.run=[^/]+\.next-/);
      const kept = JSON.parse(readFileSync(join(r.plan.runDir, '_plan.json'), 'utf8')) as { attempt: string };
      expect((r.plan as unknown as { attempt: string }).attempt).toBe(kept.attempt);
      expect(readdirSync(join(r.plan.runDir, '_shards'))).toContain('register.json');
    } finally {
      await qc.close();
    }
  });
});
