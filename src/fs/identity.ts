import type { BigIntStats } from 'node:fs';

/**
 * What identifies one version of a file: device, inode, size, mtime and ctime
 * to the nanosecond; null on a file system whose times are whole seconds,
 * where a write could leave them as they were. Any write to the file, a
 * rename of it or its replacement by another file changes it (ctime is set
 * by the kernel and cannot be set back by a user), except a write in the same
 * clock tick (1–10 ms) as the file's last change.
 */
export function fileIdentity(st: BigIntStats): string | null {
  if (st.ctimeNs % 1_000_000_000n === 0n && st.mtimeNs % 1_000_000_000n === 0n) return null;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}
