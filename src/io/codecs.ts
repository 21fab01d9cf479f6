import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressFrameSync } from 'lz4-napi';

let registered = false;

/**
 * Registers LZ4-frame and ZSTD buffer decompression with apache-arrow so that
 * compressed IPC files and streams can be read. Decode only: ortq never writes
 * compressed IPC. Idempotent. LZ4 frames are decoded by lz4-napi (lz4_flex).
 */
export function registerIpcCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data) => aligned(decompressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => aligned(zstdDecompress(data)) });
}

/** apache-arrow views decoded buffers as typed arrays in place: they must start 8-byte aligned. */
function aligned(buf: Uint8Array): Uint8Array {
  return buf.byteOffset % 8 === 0 ? buf : buf.slice();
}
