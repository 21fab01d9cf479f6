import { packCodes, rowStride, sparseScratch, type Codes } from './histogram.js';
import { histogramKernels, histogramModule, type WasmKernels } from './wasm.js';

/** More than this and the buffers are plain arrays, summed by the JavaScript loops (a wasm32 memory holds at most 4 GiB). */
export const MAX_MEMORY_BYTES = 2 ** 31;
const PAGE = 65536;
const ALIGN = 64;

type Ctor<T> = { new (b: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

/**
 * The buffers histograms are built from and into, allocated once per fit:
 * bin codes (histogram.ts packCodes), gradients and hessians (class-major,
 * `outputs` × rows), the row-index partition, node-order scratch (`og`,
 * `oh`, and `cq` for sparse nodes: thread ranges [lo, hi) of words use
 * `cq` from sparseScratch(rows, lo)) and `slots` histograms of `histSize`
 * doubles. With `slots` they all live in one shared WebAssembly.Memory, so
 * that the WebAssembly loops (wasm.ts) address them and histogram threads
 * (parallel.ts) share them; without (no leaf bound: histograms are then
 * allocated as needed), beyond MAX_MEMORY_BYTES, or without WebAssembly,
 * or when the memory cannot be had, each is its own SharedArrayBuffer and
 * `kernels` is null.
 */
export class Workspace {
  readonly codes: Codes;
  readonly g: Float32Array;
  readonly h: Float32Array | null;
  readonly idx: Uint32Array;
  readonly og: Float32Array;
  readonly oh: Float32Array;
  readonly cq: Uint32Array;
  readonly slots: Float64Array[] = [];
  readonly memory: WebAssembly.Memory | null = null;
  readonly module: WebAssembly.Module | null = null;
  readonly kernels: WasmKernels | null = null;
  private offset = 0;

  constructor(bins: Uint8Array[], rows: number, outputs: number, hessians: boolean, slots: number | null, readonly histSize: number) {
    const words = Math.ceil(bins.length / 4);
    const sizes = [
      ...Array.from({ length: words }, () => 4 * rows), 4 * rows * rowStride(words), // codes
      4 * rows * outputs, hessians ? 4 * rows * outputs : 0, 4 * rows, 4 * rows, 4 * rows, 4 * sparseScratch(rows, words),
      ...Array.from({ length: slots ?? 0 }, () => 8 * histSize),
    ];
    const bytes = sizes.reduce((s, b) => s + Math.ceil(Math.max(1, b) / ALIGN) * ALIGN, 0);
    const module = slots !== null && bytes <= MAX_MEMORY_BYTES ? histogramModule() : null;
    const memory = module ? reserve(Math.ceil(bytes / PAGE)) : null;
    if (module && memory) {
      this.memory = memory;
      this.module = module;
      this.kernels = histogramKernels(module, memory);
    }
    this.codes = packCodes(bins, (n) => this.alloc(Uint32Array, n));
    this.g = this.alloc(Float32Array, rows * outputs);
    this.h = hessians ? this.alloc(Float32Array, rows * outputs) : null;
    this.idx = this.alloc(Uint32Array, rows);
    this.og = this.alloc(Float32Array, rows);
    this.oh = this.alloc(Float32Array, rows);
    this.cq = this.alloc(Uint32Array, sparseScratch(rows, words));
    for (let i = 0; i < (slots ?? 0); i++) this.slots.push(this.alloc(Float64Array, histSize));
  }

  private alloc<T>(C: Ctor<T>, n: number): T {
    const len = Math.max(1, n);
    if (!this.memory) return new C(new SharedArrayBuffer(len * C.BYTES_PER_ELEMENT), 0, len);
    const a = new C(this.memory.buffer, this.offset, len);
    this.offset += Math.ceil((len * C.BYTES_PER_ELEMENT) / ALIGN) * ALIGN;
    return a;
  }
}

/** A shared memory of exactly `pages` pages, or null when the engine refuses it (address space, limits). */
function reserve(pages: number): WebAssembly.Memory | null {
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
}
