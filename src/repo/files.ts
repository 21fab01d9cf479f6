import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../fs/atomic.js';

/** Every regular file under `dir`, as sorted '/'-separated relative paths. Links and other entries are returned in `others`. */
export async function listFiles(dir: string): Promise<{ files: string[]; others: string[] }> {
  const files: string[] = [];
  const others: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const ent of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) await walk(p);
      else if (ent.isFile()) files.push(p);
      else others.push(p);
    }
  }
  await walk('');
  return { files: files.sort(), others: others.sort() };
}

/** fsyncs every file and folder under `dir`, deepest first, so a later rename publishes durable content. */
export async function fsyncTree(dir: string): Promise<void> {
  const { files } = await listFiles(dir);
  const dirs = new Set<string>([dir]);
  for (const f of files) {
    const fh = await open(join(dir, f), 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(join(dir, ...parts.slice(0, i)));
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fsyncDir(d);
}
