import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createLogger } from '../../src/logger.js';
import { modelsOverview } from '../../src/ops/models-overview.js';
import { startDashboard, type Dashboard } from '../../src/queue/dashboard.js';
import { Scratch } from '../repo/fixtures.js';
import { RedisServer } from '../helpers/redis-server.js';

function chromiumPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const executablePath = chromiumPath();
const logger = createLogger({ level: 'silent' });

// .ci/run installs Debian's chromium; without it (a bare dev machine) the browser check is skipped
describe.skipIf(!executablePath)('dashboard models page in Chromium', () => {
  let scratch: Scratch;
  let redis: RedisServer;
  let dashboard: Dashboard;
  let browser: Browser;

  beforeAll(async () => {
    scratch = new Scratch();
    const repo = scratch.repo();
    await repo.save('iris', scratch.linear('v1.onnx', 1), { version: 'v1', labels: { verdict: 'blessed', trainRun: 'iris-retrain-aaa' }, aliases: ['champion'] });
    await repo.save('iris', scratch.linear('v2.onnx', 2), { version: 'v2', labels: { verdict: 'pending_approval', trainRun: 'iris-retrain-bbb', headlineMetric: 'accuracy', headlineValue: '0.9533' } });
    await repo.save('churn', scratch.linear('c1.onnx', 3), { version: 'c1' });
    redis = await RedisServer.start();
    dashboard = await startDashboard({
      config: { redis: { url: redis.url, prefix: 'mp' } }, port: 0, logger,
      models: () => modelsOverview(repo, {
        drift: async (m) => (m === 'iris' ? { runId: 'iris-score-123', finishedAt: '2026-12-01T00:00:00Z', worst: { kind: 'feature', name: 'petal_length', stat: 'psi', value: 0.4321 } } : null),
        triggers: async (m) => (m === 'iris' ? [{ name: 'iris-retrain.drift', type: 'drift', lastSummary: '1 of 2 consecutive runs drifted' }] : []),
      }),
      triggerCounts: async () => [{ trigger: 'iris-retrain.drift', outcome: 'fired', count: 2 }, { trigger: 'iris-retrain.drift', outcome: 'suppressed', count: 1 }, { trigger: 'iris-retrain.rollback', outcome: 'rollback', count: 1 }],
      rollbackCounts: async () => [{ model: 'iris', count: 1 }],
    });
    browser = await chromium.launch({
      executablePath: executablePath!,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await redis?.destroy();
    scratch?.cleanup();
  });

  it('shows champion, last training, pending approvals, drift and triggers per model', async () => {
    const page = await browser.newPage();
    const res = await page.goto(new URL('models', dashboard.url).toString());
    expect(res?.status()).toBe(200);
    await expect(page.title()).resolves.toContain('models');
    const iris = page.locator('tr[data-model="iris"]');
    const cells = await iris.locator('td').allInnerTexts();
    expect(cells[0]).toContain('2 version(s)');
    expect(cells[1]).toContain('v1');
    expect(cells[2]).toMatch(/pending_approval v2\s+accuracy 0\.9533/);
    expect(cells[3]).toContain('iris:v2');
    expect(cells[4]).toContain('psi 0.432 on feature petal_length');
    expect(cells[5]).toContain('iris-retrain.drift');
    const churn = await page.locator('tr[data-model="churn"] td').allInnerTexts();
    expect(churn[1]).toBe('none');
    expect(churn[2]).toBe('never trained');
    // read-only: no forms or buttons on the page
    expect(await page.locator('form, button').count()).toBe(0);
    await page.close();
  });

  it('exports champion, approval and trigger metrics on /metrics', async () => {
    const text = await (await fetch(new URL('metrics', dashboard.url))).text();
    expect(text).toMatch(/^ortq_champion_info\{model="iris",version="v1"\} 1$/m);
    expect(text).toMatch(/^ortq_champion_age_seconds\{model="iris"\} \d+$/m);
    expect(text).toMatch(/^ortq_pending_approvals\{model="iris"\} 1$/m);
    expect(text).toMatch(/^ortq_pending_approvals\{model="churn"\} 0$/m);
    expect(text).toMatch(/^ortq_trigger_firings_total\{trigger="iris-retrain.drift",outcome="fired"\} 2$/m);
    expect(text).toMatch(/^ortq_trigger_firings_total\{trigger="iris-retrain.drift",outcome="suppressed"\} 1$/m);
    expect(text).not.toContain('outcome="rollback"');
    expect(text).toMatch(/^ortq_rollbacks_total\{model="iris"\} 1$/m);
  });
});
