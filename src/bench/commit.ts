/**
 * The durable commit of one shard alone, both ways, alternated in one process
 * (`node dist/bench/commit.js [--n 60] [--rows 10000]`): an Arrow part of
 * `rows` × 10 float32 (10,000 rows ≈ 400 KB, an MLP shard's output) and its
 * receipt, timed from the part's bytes written to the commit's end,
 *  - one by one: the part writer commits alone (fsync, rename, directory fsync),
 *    then the receipt (writeJsonAtomic: the same three);
 *  - together: both staged in one AtomicGroup (bytes fsynced at once, renames,
 *    directories fsynced at once), as src/runs/steps.ts does.
 * Prints the median and mean wall milliseconds and the CPU of each. The queue
 * benchmark (queue.ts) uses `timeCommits` for the floor of its row: every
 * shard pays one such commit before it is acknowledged. docs/perf/queue-cost.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tableFromArrays } from 'apache-arrow';
import { AtomicGroup, writeJsonAtomic } from '../fs/atomic.js';
import { createPartWriter } from '../io/write.js';
import { seededRandom } from '../onnx/builder.js';

export type CommitWay = 'one by one' | 'together';
export interface CommitTimes { medianMs: number; meanMs: number; cpuMs: number }

/** `n` commits each way, alternated, in a fresh temp directory (removed after). */
export async function timeCommits(n: number, rows = 10_000, dir = tmpdir()): Promise<Record<CommitWay, CommitTimes>> {
  const rnd = seededRandom(1);
  const cols: Record<string, Float32Array> = {};
  for (let j = 0; j < 10; j++) cols[`score_${j}`] = Float32Array.from({ length: rows }, () => rnd());
  const batch = tableFromArrays(cols).batches[0];
  const receipt = { step: '00000', files: [{ path: 'part-00000.arrow', bytes: 0, digest: `xxh3-64:${'0'.repeat(16)}`, rows }], rows: { read: rows, written: rows, skipped: 0 } };
  const root = await mkdtemp(join(dir, 'ortq-commit-'));
  try {
    const times: Record<CommitWay, number[]> = { 'one by one': [], together: [] };
    const cpu: Record<CommitWay, number> = { 'one by one': 0, together: 0 };
    for (let i = 0; i < n; i++) {
      // alternated, each way first every other time
      for (const way of (i % 2 ? ['one by one', 'together'] : ['together', 'one by one']) as CommitWay[]) {
        const at = join(root, `${i}-${way === 'together' ? 't' : 'o'}`);
        const group = way === 'together' ? new AtomicGroup() : undefined;
        const w = createPartWriter(join(at, 'part-00000.arrow'), 'arrow', { group });
        // the part's bytes written (encoded, hashed, in the page cache) as during a shard: from here on
        // it is the commit alone, which a local run of the same rows pays once and a queued run once a shard
        await w.write(batch);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await w.commit();
        if (group) {
          await group.stageData(join(at, '_shards', '00000.json'), JSON.stringify(receipt, null, 2) + '\n');
          await group.commit();
        } else {
          await writeJsonAtomic(join(at, '_shards', '00000.json'), receipt);
        }
        times[way].push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[way] += (c.user + c.system) / 1000;
      }
    }
    const summary = (way: CommitWay): CommitTimes => {
      const t = times[way];
      const sorted = [...t].sort((a, b) => a - b);
      return { medianMs: sorted[sorted.length >> 1], meanMs: t.reduce((a, b) => a + b, 0) / t.length, cpuMs: cpu[way] / n };
    };
    return { 'one by one': summary('one by one'), together: summary('together') };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '60' }, rows: { type: 'string', default: '10000' } } });
  const n = Math.max(1, Number(values.n) || 60);
  const r = await timeCommits(n, Math.max(1, Number(values.rows) || 10_000));
  for (const [way, t] of Object.entries(r)) {
    process.stdout.write(`${way.padEnd(10)}  median ${t.medianMs.toFixed(2)} ms, mean ${t.meanMs.toFixed(2)} ms per shard commit, CPU ${t.cpuMs.toFixed(2)} ms (${n} each)\n`);
  }
}
