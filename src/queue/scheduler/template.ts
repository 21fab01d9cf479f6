import { OrtqError } from '../../errors.js';
import { zonedParts } from './cron-time.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Template variables of a tick, from its logical time in the schedule's
 * timezone: `date` 2025-01-02, `time` 03-00 (file-name safe), `datetime`
 * 2025-01-02T03-00, `year` `month` `day` `hour` `minute`, `yesterday` and
 * `tomorrow` (dates), `iso` (UTC instant).
 */
export function tickVars(logical: Date, timezone: string): Record<string, string> {
  const z = zonedParts(logical, timezone);
  const date = `${z.year}-${pad(z.month)}-${pad(z.day)}`;
  const shift = (days: number) => {
    const d = new Date(Date.UTC(z.year, z.month - 1, z.day + days));
    return d.toISOString().slice(0, 10);
  };
  return {
    date,
    time: `${pad(z.hour)}-${pad(z.minute)}`,
    datetime: `${date}T${pad(z.hour)}-${pad(z.minute)}`,
    year: String(z.year), month: pad(z.month), day: pad(z.day), hour: pad(z.hour), minute: pad(z.minute), second: pad(z.second),
    yesterday: shift(-1), tomorrow: shift(1),
    iso: logical.toISOString(),
  };
}

/** Replaces `{{ name }}` with its variable; an unknown name is an error, never left in a path. */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    if (!(name in vars)) {
      throw new OrtqError('ORTQ_CONFIG_INVALID', `unknown template variable {{ ${name} }} in "${text}" (known: ${Object.keys(vars).join(', ')})`);
    }
    return vars[name];
  });
}
