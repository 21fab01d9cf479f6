import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Issue 11, item 17: the image and the Compose file, read as files (CI also runs
 * `docker compose config` where docker is installed; .ci/run).
 */

const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; restart?: string; healthcheck?: { test: string[] }; volumes?: string[]; command?: string[] }>;
};

describe('Dockerfile', () => {
  it('is multi-stage on a current Node LTS, installs production dependencies only, runs as a non-root user, with a healthcheck', () => {
    const version = Number(/^ARG NODE_VERSION=(\d+)$/m.exec(dockerfile)?.[1]);
    expect(version).toBeGreaterThanOrEqual(24); // Node 20 reached end of life in April 2026
    expect(dockerfile.match(/^FROM node:\$\{NODE_VERSION\}/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    // the drift histograms' native kernel: built in the build stage, linked and copied into the runtime one
    expect(dockerfile).toMatch(/^RUN node native\/simd-bins\/build\.cjs$/m);
    expect(dockerfile).toMatch(/^COPY native\/simd-bins\/package\.json [^\n]*\nRUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/native\/simd-bins\/build\/Release\/simd_bins\.node /m);
  });
});

describe('docker-compose.yml', () => {
  const ortq = Object.entries(compose.services).filter(([name]) => name !== 'redis');

  it('runs every ortq service from the image, restarted unless stopped, with a healthcheck, without host node_modules', () => {
    expect(ortq.map(([n]) => n).sort()).toEqual(['dashboard', 'scheduler', 'worker']);
    for (const [name, s] of ortq) {
      expect(s.build, name).toBe('.');
      expect(s.image, name).not.toMatch(/^node:/);
      expect(s.restart, name).toBe('unless-stopped');
      expect(s.healthcheck?.test.length, name).toBeGreaterThan(0);
      for (const v of s.volumes ?? []) expect(v, name).not.toMatch(/^\.:|node_modules/);
    }
  });

  it('keeps Redis durable and never evicting, with a healthcheck and restart policy', () => {
    const redis = compose.services.redis;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.restart).toBe('unless-stopped');
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });
});
