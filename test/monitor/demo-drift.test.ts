import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_SHIFT, ensureDemoData, ensureDemoModel, ensureDemoTrainingData } from '../../src/demo.js';
import { runJob } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import type { DriftReport } from '../../src/monitor/drift-report.js';
import { profileFromData } from '../../src/monitor/profile-data.js';
import type { RunManifest } from '../../src/predict/types.js';
import { ModelRepository } from '../../src/repo/model-repository.js';

/** The README's drift trigger: `drift: { threshold: 0.2, consecutiveRuns: 2 }` (PSI). */
const DEMO_THRESHOLD = 0.2;
const silent = createLogger({ level: 'silent' });

/**
 * The README's loop on the demo's own files: the champion profiled on the
 * labelled eval split (`ortq models profile`), then the demo scoring data and
 * its drifted copy (`ortq demo --drift`) scored by real prediction runs
 * (onnxruntime, Parquet): the copy drifts past the trigger's threshold, the
 * original does not.
 */
describe('demo drift data (ortq demo --drift)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ortq-demo-drift-'));
  const repo = new ModelRepository({ root: join(dir, 'models'), logger: silent });
  const prevHome = process.env.ORTQ_HOME;
  const opts = { files: 1, rowsPerFile: 20_000 };

  beforeAll(async () => {
    process.env.ORTQ_HOME = join(dir, 'home');
    await ensureDemoModel(repo, join(dir, 'tmp'));
    await ensureDemoTrainingData(join(dir, 'labelled'));
    await ensureDemoData(join(dir, 'iris'), opts);
    await ensureDemoData(join(dir, 'iris-shifted'), { ...opts, shifted: true });
    const profile = await profileFromData({ repo, model: 'iris@champion', data: join(dir, 'labelled', 'eval.parquet') });
    await repo.attachProfile('iris@champion', profile);
  }, 120_000);
  afterAll(() => {
    if (prevHome === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = prevHome;
    rmSync(dir, { recursive: true, force: true });
  });

  async function score(input: string, out: string): Promise<DriftReport> {
    const r = await runJob({
      kind: 'predict', name: 'iris-score', model: 'iris@champion', input: { path: join(dir, input) },
      features: { float_input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] }, passthrough: ['id'],
      output: { path: join(dir, 'results', out), format: 'parquet' },
    }, { config: loadConfig({}), repo, baseDir: dir, logger: silent });
    const drift = (r.manifest as RunManifest).drift;
    expect(drift?.status).toBe('computed');
    return drift as DriftReport;
  }

  it('the shifted copy drifts past the demo threshold on the shifted features; the demo data stays under it everywhere', async () => {
    const plain = await score('iris', 'plain');
    const shifted = await score('iris-shifted', 'shifted');
    expect(plain.rows).toBe(20_000);
    expect(shifted.rows).toBe(20_000);
    for (const [name, d] of Object.entries({ ...plain.features, ...plain.outputs })) {
      expect(d.psi, `unshifted ${name}`).toBeLessThan(DEMO_THRESHOLD);
    }
    const over = Object.entries(shifted.features).filter(([, d]) => (d.psi ?? 0) > DEMO_THRESHOLD).map(([n]) => n).sort();
    expect(over.length).toBeGreaterThan(0);
    expect(over).toEqual(Object.keys(DEMO_SHIFT).sort()); // exactly the columns DEMO_SHIFT moves
    expect(shifted.features.sepal_width.psi).toBeLessThan(DEMO_THRESHOLD);
    expect(shifted.worst!.psi).toBeGreaterThan(DEMO_THRESHOLD);
  }, 120_000);
});
