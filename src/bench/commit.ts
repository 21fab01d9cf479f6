/**
 * The durable commit of one shard alone, both ways, alternated in one process
 * (`node dist/bench/commit.js [--n 60]`): a 10,000-row × 10 float32 Arrow part
 * (≈ 400 KB, an MLP shard's output) and its receipt,
 *  - one by one: the part writer commits alone (fsync, rename, directory fsync),
 *    then the receipt (writeJsonAtomic: the same three);
 *  - together: both staged in one AtomicGroup (bytes fsynced at once, renames,
 *    directories fsynced at once), as src/runs/steps.ts does.
 * Prints the median and mean wall milliseconds of each; docs/performance.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tableFromArrays } from 'apache-arrow';
import { AtomicGroup, writeJsonAtomic } from '../fs/atomic.js';
import { createPartWriter } from '../io/write.js';
import { seededRandom } from '../onnx/builder.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '60' } } });
const n = Math.max(1, Number(values.n) || 60);
const rnd = seededRandom(1);
const cols: Record<string, Float32Array> = {};
for (let j = 0; j < 10; j++) cols[`score_${j}`] = Float32Array.from({ length: 10_000 }, () => rnd());
const batch = tableFromArrays(cols).batches[0];
const receipt = { step: '00000', files: [{ path: 'part-00000.arrow', bytes: 0, sha256: '0'.repeat(64), rows: 10_000 }], rows: { read: 10_000, written: 10_000, skipped: 0 } };

const root = await mkdtemp(join(tmpdir(), 'ortq-commit-'));
try {
  const times: Record<'one by one' | 'together', number[]> = { 'one by one': [], together: [] };
  const cpu: Record<'one by one' | 'together', number> = { 'one by one': 0, together: 0 };
  for (let i = 0; i < n; i++) {
    // alternated, each way first every other time
    for (const way of (i % 2 ? ['one by one', 'together'] : ['together', 'one by one']) as Array<keyof typeof times>) {
      const dir = join(root, `${i}-${way === 'together' ? 't' : 'o'}`);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const group = way === 'together' ? new AtomicGroup() : undefined;
      const w = createPartWriter(join(dir, 'part-00000.arrow'), 'arrow', { group });
      await w.write(batch);
      await w.commit();
      if (group) {
        await group.stageData(join(dir, '_shards', '00000.json'), JSON.stringify(receipt, null, 2) + '\n');
        await group.commit();
      } else {
        await writeJsonAtomic(join(dir, '_shards', '00000.json'), receipt);
      }
      times[way].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[way] += (c.user + c.system) / 1000;
    }
  }
  for (const [way, t] of Object.entries(times)) {
    const sorted = [...t].sort((a, b) => a - b);
    process.stdout.write(`${way.padEnd(10)}  median ${sorted[sorted.length >> 1].toFixed(2)} ms, mean ${(t.reduce((a, b) => a + b, 0) / t.length).toFixed(2)} ms per shard commit, CPU ${(cpu[way as keyof typeof cpu] / n).toFixed(2)} ms (${n} each)\n`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
