import { OrtqError } from '../../../errors.js';

/** The accepted range of one numeric hyperparameter. */
export interface NumberRule { min?: number; exclusiveMin?: boolean; integer?: boolean }

/**
 * Validates `given` against numeric rules and fills defaults. An unknown key,
 * a non-number or a value out of range is ORTQ_JOB_INVALID naming the key.
 */
export function numericHyperparameters(
  trainer: string,
  defaults: Record<string, number>,
  rules: Record<string, NumberRule>,
  given: Record<string, unknown>,
): Record<string, number> {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults)) {
      throw new OrtqError('ORTQ_JOB_INVALID', `hyperparameters.${key}: unknown for the ${trainer} trainer (known: ${Object.keys(defaults).join(', ')})`, { key });
    }
    const rule = rules[key] ?? {};
    const bad = (what: string): OrtqError =>
      new OrtqError('ORTQ_JOB_INVALID', `hyperparameters.${key}: expected ${what}, got ${JSON.stringify(value)}`, { key });
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a finite number');
    if (rule.integer && !Number.isInteger(value)) throw bad('an integer');
    if (rule.min !== undefined && (rule.exclusiveMin ? value <= rule.min : value < rule.min)) {
      throw bad(`a number ${rule.exclusiveMin ? '>' : '≥'} ${rule.min}`);
    }
    out[key] = value;
  }
  return out;
}
