import { CompressionType, compressionRegistry } from 'apache-arrow';
import * as lz4 from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';

let registered = false;

/**
 * Registers LZ4-frame and ZSTD buffer decompression with apache-arrow so that
 * compressed IPC files and streams can be read. Decode only: ortq never writes
 * compressed IPC. Idempotent.
 */
export function registerIpcCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => aligned(lz4.decompress(data)) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(zstdDecompress(data)) });
}

/** apache-arrow views decoded buffers as typed arrays in place: they must start 8-byte aligned. */
function aligned(buf: Uint8Array): Uint8Array {
  return buf.byteOffset % 8 === 0 ? buf : buf.slice();
}
