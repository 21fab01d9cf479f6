import { stat } from 'node:fs/promises';
import type { RecordBatch } from 'apache-arrow';
import { formatFromPath, type InputFile } from '../../src/io/discover.js';
import { readBatches, type ReadOptions } from '../../src/io/read.js';
import type { InputFormat } from '../../src/predict/types.js';

import { INTEROP } from '../helpers/interop.js';

export { INTEROP };

export async function inputFile(path: string, format?: InputFormat): Promise<InputFile> {
  const s = await stat(path);
  const f = format ?? formatFromPath(path);
  if (!f) throw new Error(`no format for ${path}`);
  return { path, format: f, size: s.size, mtimeMs: s.mtimeMs };
}

export async function readAll(file: InputFile, opts?: ReadOptions): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of readBatches(file, opts)) out.push(b);
  return out;
}

/** Column values across batches as plain JS (bigint → string so they compare with JSON/CSV text). */
export function columnValues(batches: RecordBatch[], name: string): unknown[] {
  const out: unknown[] = [];
  for (const b of batches) {
    const v = b.getChild(name);
    if (!v) throw new Error(`no column ${name}`);
    for (let i = 0; i < v.length; i++) {
      const x = v.get(i);
      out.push(typeof x === 'bigint' ? x.toString() : x);
    }
  }
  return out;
}
