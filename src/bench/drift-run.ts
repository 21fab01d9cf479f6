/**
 * What issue 9 bounds: the drift histograms' cost in a predict run, "at most
 * 5% of the run's time". The same warm MLP run, with a reference profile (so
 * that it counts histograms) and without, in ABBA order (without, with, with,
 * without) for `rounds` rounds, each run in its own process; the least wall
 * time and the least CPU time of each kind are compared, each on its own. On
 * a shared machine one run swings by ±15%; the least of several runs is the
 * one the other processes disturbed least.
 */
import { simdBins } from '../monitor/simd-bins.js';

/**
 * What counts the histograms in this process and in the runs it starts (they
 * inherit ORTQ_DRIFT_KERNEL): the native kernel's level ("avx512", "avx2"),
 * "wasm", or "js" (no WebAssembly SIMD).
 */
export function driftKernelName(): string {
  const kernel = simdBins();
  return kernel ? (kernel.native?.level() ?? 'wasm') : 'js';
}

/** One run's figures (src/bench/child.ts prints them). */
export interface RunMeasure { rowsPerSec: number; seconds: number; cpuSeconds: number; maxRssMb: number }

export interface DriftInRun {
  /** least wall seconds and least CPU seconds of the runs without a profile */
  plain: { seconds: number; cpuSeconds: number };
  /** the same with a profile, and the peak RSS and rows/s of its fastest run */
  profiled: { seconds: number; cpuSeconds: number; rowsPerSec: number; maxRssMb: number };
  /** wall time with a profile over without, minus 1, in % (the judged figure) */
  wallPct: number;
  /** CPU time (all threads) with a profile over without, minus 1, in % */
  cpuPct: number;
  runs: Array<{ profiled: boolean; seconds: number; cpuSeconds: number }>;
}

export function measureDriftInRun(run: (profiled: boolean) => RunMeasure, rounds: number): DriftInRun {
  const runs: Array<RunMeasure & { profiled: boolean }> = [];
  for (let r = 0; r < rounds; r++) {
    for (const profiled of [false, true, true, false]) runs.push({ ...run(profiled), profiled });
  }
  const least = (profiled: boolean, key: 'seconds' | 'cpuSeconds') => Math.min(...runs.filter((m) => m.profiled === profiled).map((m) => m[key]));
  const plain = { seconds: least(false, 'seconds'), cpuSeconds: least(false, 'cpuSeconds') };
  const fastest = runs.filter((m) => m.profiled).reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const profiled = { seconds: fastest.seconds, cpuSeconds: least(true, 'cpuSeconds'), rowsPerSec: fastest.rowsPerSec, maxRssMb: fastest.maxRssMb };
  return {
    plain,
    profiled,
    wallPct: (profiled.seconds / plain.seconds - 1) * 100,
    cpuPct: (profiled.cpuSeconds / plain.cpuSeconds - 1) * 100,
    runs: runs.map(({ profiled: p, seconds, cpuSeconds }) => ({ profiled: p, seconds, cpuSeconds })),
  };
}

/** "+1.2%" */
export function signedPct(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
}

/** The runs in order, for stderr: "A 3.71 s 5.36 CPU-s, B …" */
export function describeRuns(d: DriftInRun): string {
  return d.runs.map((r) => `${r.profiled ? 'B' : 'A'} ${r.seconds.toFixed(2)} s ${r.cpuSeconds.toFixed(2)} CPU-s`).join(', ');
}
