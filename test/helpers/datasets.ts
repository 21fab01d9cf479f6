import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { tableFromArrays, tableToIPC, type Table } from 'apache-arrow';

// parquet-wasm's Node build (CommonJS) — used here to write test inputs independently of ortq's writer
const require = createRequire(import.meta.url);
const pw = require('parquet-wasm') as typeof import('parquet-wasm');

/** Deterministic rows: id (int64), f0..f{k-1} (float64), cat (string). */
export function makeTable(opts: { rows: number; features: number; startId?: number; seed?: number; categories?: string[] }): Table {
  const start = opts.startId ?? 0;
  const cols: Record<string, Float64Array | BigInt64Array | string[]> = {};
  cols.id = BigInt64Array.from({ length: opts.rows }, (_, i) => BigInt(start + i));
  for (let j = 0; j < opts.features; j++) {
    const c = new Float64Array(opts.rows);
    for (let i = 0; i < opts.rows; i++) c[i] = Math.sin((start + i) * 0.37 + j * 1.3 + (opts.seed ?? 0)) * 3;
    cols[`f${j}`] = c;
  }
  const cats = opts.categories ?? ['a', 'b', 'c'];
  cols.cat = Array.from({ length: opts.rows }, (_, i) => cats[(start + i) % (cats.length + 1)] ?? 'other');
  return tableFromArrays(cols as never);
}

export async function writeTable(path: string, table: Table, format: 'parquet' | 'arrow' | 'arrows' | 'csv', opts: { rowGroupSize?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (format === 'arrow') return writeFile(path, tableToIPC(table, 'file'));
  if (format === 'arrows') return writeFile(path, tableToIPC(table, 'stream'));
  if (format === 'csv') {
    const names = table.schema.fields.map((f) => f.name);
    const lines = [names.join(',')];
    for (let i = 0; i < table.numRows; i++) {
      const row = table.get(i)!;
      lines.push(names.map((n) => String((row as unknown as Record<string, unknown>)[n])).join(','));
    }
    return writeFile(path, lines.join('\n') + '\n');
  }
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new pw.WriterPropertiesBuilder().setMaxRowGroupSize(opts.rowGroupSize ?? 1000).build();
  await writeFile(path, pw.writeParquet(wasmTable, props));
}

/** Feature matrix [rows, k] in row-major float64, as the reference computations need it. */
export function featureMatrix(table: Table, cols: string[]): Float64Array {
  const out = new Float64Array(table.numRows * cols.length);
  cols.forEach((c, j) => {
    const v = table.getChild(c)!.toArray() as Float64Array;
    for (let i = 0; i < table.numRows; i++) out[i * cols.length + j] = v[i];
  });
  return out;
}

/** Reads every part file of a finished run, in part order, as rows of plain objects (independent of ortq's readers). */
export async function readRunRows(runDir: string): Promise<Array<Record<string, unknown>>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tableFromIPC } = await import('apache-arrow');
  const parts = (await readdir(runDir)).filter((n) => n.startsWith('part-')).sort();
  const rows: Array<Record<string, unknown>> = [];
  for (const p of parts) {
    const bytes = await readFile(join(runDir, p));
    if (p.endsWith('.csv')) {
      const [header, ...lines] = bytes.toString('utf8').trimEnd().split('\n');
      const names = header.split(',');
      for (const line of lines) {
        const cells = line.split(',');
        rows.push(Object.fromEntries(names.map((n, i) => [n, cells[i]])));
      }
      continue;
    }
    const table = p.endsWith('.parquet') ? tableFromIPC(pw.readParquet(bytes).intoIPCStream()) : tableFromIPC(bytes);
    for (let i = 0; i < table.numRows; i++) rows.push({ ...(table.get(i)!.toJSON() as Record<string, unknown>) });
  }
  return rows;
}
