import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default metrics that break Prometheus naming: gauges that end
 * in `_total` (`promtool check metrics` rejects them). Each one is the sum
 * over `type` of the gauge of the same name without `_total`, which stays.
 */
const NON_CONVENTIONAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Registers the standard process and Node.js metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, …), unprefixed
 * as every Prometheus client library exports them: the scrape target's `job` and
 * `instance` labels tell a worker from a dashboard. Each registry gets its own
 * collectors, so two registries in one process (a worker and a dashboard in a
 * test, say) never clash.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of NON_CONVENTIONAL) registry.removeSingleMetric(name);
}
