import { formatAge, type ModelOverview } from './models-overview.js';

/** The dashboard's models page: server-rendered, read-only, no script. */

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function driftCell(m: ModelOverview): string {
  if (!m.drift) return '<td class="muted">no runs with a profile</td>';
  if (!m.drift.worst) return `<td>none (run ${esc(m.drift.runId)})</td>`;
  const w = m.drift.worst;
  return `<td data-drift="${w.value.toFixed(4)}">${esc(w.stat)} ${w.value.toFixed(3)} on ${esc(w.kind)} <code>${esc(w.name)}</code></td>`;
}

function triggerCell(m: ModelOverview): string {
  if (!m.triggers.length) return '<td class="muted">none</td>';
  return `<td>${m.triggers.map((t) => `<div><code>${esc(t.name)}</code>${t.next ? ` next ${esc(t.next)}` : ''}${t.lastFiredAt ? `, last fired ${esc(t.lastFiredAt)}` : ''}${t.lastSummary ? ` <span class="muted">(${esc(t.lastSummary)})</span>` : ''}</div>`).join('')}</td>`;
}

export function renderModelsPage(models: ModelOverview[], opts: { title: string; now?: Date }): string {
  const rows = models.map((m) => `<tr data-model="${esc(m.name)}">
  <td><strong>${esc(m.name)}</strong><div class="muted">${m.versions} version(s)</div></td>
  <td>${m.champion ? `<code>${esc(m.champion.version)}</code><div class="muted">for ${esc(formatAge(m.champion.ageSeconds))}</div>` : '<span class="muted">none</span>'}</td>
  <td>${m.lastTraining ? `<span class="verdict ${esc(m.lastTraining.verdict)}">${esc(m.lastTraining.verdict)}</span> <code>${esc(m.lastTraining.version)}</code>${m.lastTraining.headline ? `<div>${esc(m.lastTraining.headline.metric)} ${esc(m.lastTraining.headline.value.toFixed(4))}</div>` : ''}` : '<span class="muted">never trained</span>'}</td>
  <td class="pending">${m.pendingApprovals.length ? m.pendingApprovals.map((t) => `<div><code>${esc(t)}</code></div>`).join('') : '<span class="muted">none</span>'}</td>
  ${driftCell(m)}
  ${triggerCell(m)}
</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)} — models</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.5rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
.muted{color:#888}.verdict{padding:0 .4rem;border-radius:3px}.blessed{background:#d4f4dd}.rejected{background:#f8d7da}.pending_approval{background:#fff3cd}
</style></head>
<body><h1>${esc(opts.title)} — models</h1>
<p class="muted">Read-only. Generated ${esc((opts.now ?? new Date()).toISOString())}. <a href="./">Queues</a></p>
<table id="models"><thead><tr><th>Model</th><th>Champion</th><th>Last training</th><th>Pending approval</th><th>Worst drift</th><th>Triggers</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6" class="muted">no models in the repository</td></tr>'}
</tbody></table></body></html>`;
}
