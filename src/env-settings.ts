/**
 * Settings read from the environment alone, in a module that loads nothing
 * heavy: the inference thread reads ORTQ_DRIFT_KERNEL when its drift kernel
 * starts, and importing config.ts (zod, yaml) there took an inference
 * thread's start from 184-286 to 326-553 CPU-ms (load 6.5-6.9; zod alone
 * imported in 137 ms there).
 * config.ts re-exports these and checks them when the configuration loads.
 */
import { OrtqError } from './errors.js';

/**
 * An environment switch with a fixed set of values, the first the default
 * when unset or empty; any other value is ORTQ_CONFIG_INVALID naming it.
 */
export function choiceSetting<T extends string>(env: NodeJS.ProcessEnv, variable: string, what: string, choices: readonly [T, ...T[]]): T {
  const v = env[variable] || choices[0];
  if (!(choices as readonly string[]).includes(v)) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `${variable}="${v}" is not ${what}: use one of ${choices.join(', ')}`, { variable, value: v });
  }
  return v as T;
}

/**
 * ORTQ_DRIFT_KERNEL: what counts the drift histograms. `native` (default;
 * the optional native/simd-bins addon, AVX-512 where the CPU has it, else
 * AVX2; the WebAssembly kernel where the addon is not built or the CPU has
 * neither), `avx2` (the addon's AVX2 path even on an AVX-512 CPU) or `wasm`
 * (the WebAssembly kernel). All count the same.
 */
export function driftKernelSetting(env: NodeJS.ProcessEnv = process.env): 'native' | 'avx2' | 'wasm' {
  return choiceSetting(env, 'ORTQ_DRIFT_KERNEL', 'a drift kernel', ['native', 'avx2', 'wasm']);
}
