/**
 * `npm run bench`: end-to-end rows/s of ortq's local runner against a bare
 * loop of session.run on in-memory tensors (the ceiling), same model and
 * batch size, measured in one run. Each measurement runs in a child process
 * so that its peak RSS is its own.
 *
 *   node dist/bench/main.js [--rows 1000000,10000000] [--models linear,mlp,trees] [--formats arrow,parquet]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { linearModel, mlpModel, treeEnsembleModel } from '../onnx/model-zoo.js';
import { writeFeatureDataset } from './datasets.js';

export const BENCH_MODELS = {
  linear: { features: 30, build: () => linearModel({ features: 30, seed: 1 }).bytes },
  mlp: { features: 64, build: () => mlpModel({ sizes: [64, 64, 32, 10], seed: 2 }).bytes },
  trees: { features: 30, build: () => treeEnsembleModel({ trees: 32, depth: 6, features: 30, seed: 3 }).bytes },
} as const;
export type BenchModel = keyof typeof BENCH_MODELS;
export const BATCH = 16384;

interface Measure { rowsPerSec: number; maxRssMb: number; seconds: number }

/**
 * glibc malloc backed by transparent huge pages: on VMs where a first touch of
 * a 4 KB page is expensive (16 µs measured here) streaming fresh input
 * buffers is dominated by page faults. Both the baseline and ortq get it.
 */
const HUGEPAGES = 'glibc.malloc.hugetlb=1';
let childEnv: NodeJS.ProcessEnv = process.env;

function child(args: string[]): Measure {
  const out = execFileSync(process.execPath, [new URL('./child.js', import.meta.url).pathname, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20, env: childEnv,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Measure;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000,10000000' },
      models: { type: 'string', default: 'linear,mlp,trees' },
      formats: { type: 'string', default: 'arrow,parquet' },
      dir: { type: 'string', default: '.ortq/bench' },
      queue: { type: 'boolean', default: false },
      'no-hugepages': { type: 'boolean', default: false },
    },
  });
  childEnv = { ...process.env, ORTQ_LOG_LEVEL: process.env.ORTQ_LOG_LEVEL ?? 'warn' };
  if (!values['no-hugepages'] && !process.env.GLIBC_TUNABLES) childEnv.GLIBC_TUNABLES = HUGEPAGES;
  process.stderr.write(`measuring in child processes with GLIBC_TUNABLES=${childEnv.GLIBC_TUNABLES ?? '(unset)'}\n`);
  const dir = resolve(values.dir!);
  const rowsList = values.rows!.split(',').map(Number);
  const models = values.models!.split(',') as BenchModel[];
  const formats = values.formats!.split(',') as Array<'arrow' | 'parquet'>;
  await mkdir(dir, { recursive: true });
  for (const m of models) await writeFile(join(dir, `${m}.onnx`), BENCH_MODELS[m].build());

  const table: string[][] = [];
  const rssByKey = new Map<string, number>();
  for (const m of models) {
    for (const rows of rowsList) {
      const bare = child(['bare', join(dir, `${m}.onnx`), String(BENCH_MODELS[m].features), String(rows), String(BATCH)]);
      for (const fmt of formats) {
        const file = join(dir, `data-${BENCH_MODELS[m].features}f-${rows}-${fmt}`);
        process.stderr.write(`dataset ${file}\n`);
        await writeFeatureDataset(file, fmt, rows, BENCH_MODELS[m].features);
        const run = child(['ortq', join(dir, `${m}.onnx`), String(BENCH_MODELS[m].features), file, dir, String(BATCH)]);
        rssByKey.set(`${m}/${fmt}/${rows}`, run.maxRssMb);
        const target = fmt === 'arrow' ? (m === 'linear' ? null : 0.85) : (m === 'linear' ? null : 0.7);
        const ratio = run.rowsPerSec / bare.rowsPerSec;
        table.push([m, fmt, rows.toLocaleString('en'), Math.round(bare.rowsPerSec).toLocaleString('en'), Math.round(run.rowsPerSec).toLocaleString('en'),
          ratio.toFixed(2) + '×', target ? `≥ ${target}× ${ratio >= target ? 'ok' : 'MISS'}` : '-', String(run.maxRssMb)]);
        process.stderr.write(`${table[table.length - 1].join('  ')}\n`);
      }
    }
  }
  const header = ['model', 'input', 'rows', 'bare rows/s', 'ortq rows/s', 'ortq/bare', 'target', 'peak RSS MB'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const fmtRow = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${fmtRow(header)}\n${table.map(fmtRow).join('\n')}\n`);
  if (rowsList.length >= 2) {
    const [small, big] = [Math.min(...rowsList), Math.max(...rowsList)];
    process.stdout.write(`\npeak RSS at ${big.toLocaleString('en')} rows vs ${small.toLocaleString('en')} rows (target ≤ 1.25×):\n`);
    for (const m of models) for (const fmt of formats) {
      const r = rssByKey.get(`${m}/${fmt}/${big}`)! / rssByKey.get(`${m}/${fmt}/${small}`)!;
      process.stdout.write(`  ${m}/${fmt}: ${r.toFixed(2)}× ${r <= 1.25 ? 'ok' : 'MISS'}\n`);
    }
  }
  if (values.queue) {
    const { runQueueBench } = await import('./queue.js').catch(() => ({ runQueueBench: null }));
    if (runQueueBench) await runQueueBench({ dir });
  }
}

await main();
