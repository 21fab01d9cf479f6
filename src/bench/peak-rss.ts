import { readFileSync } from 'node:fs';

/**
 * This process's peak RSS in MB: VmHWM of /proc/self/status where there is
 * one. Not getrusage's maxRSS: Linux keeps that high-water mark across
 * fork and exec, so a bench child reported its parent's RSS at the fork
 * whenever that was larger: a child spawned by a parent holding 600 MB
 * reported 604 MB, where VmHWM says 328 (one table's Parquet, CSV and forest
 * rows all read 535 MB, where the same children alone peak at 330-445).
 * VmHWM belongs to the address space, which exec replaces.
 */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux: getrusage's figure, which is this process's own there
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
