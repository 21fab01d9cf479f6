import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { startDashboard } from '../../../queue/dashboard.js';
import { modelsOverview } from '../../../ops/models-overview.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { modelSources } from '../status/models.js';
import { untilSignal } from '../../signals.js';

export interface DashboardFlags { port: string; host: string; allowActions?: boolean }

/** Serves the dashboard until SIGTERM or SIGINT, then closes it and returns so the process exits 0. */
export async function dashboardCommand(flags: DashboardFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OrtqError('ORTQ_USAGE', `--port expects a port number, got "${flags.port}"`);
  const logger = rootLogger();
  const config = loadConfig();
  const repo = ModelRepository.fromConfig(config);
  const sources = await modelSources(config);
  const dashboard = await startDashboard({
    config, port, host: flags.host, allowActions: flags.allowActions === true, logger,
    // the read-only /models page and the model metrics on /metrics
    models: () => modelsOverview(repo, sources.overview),
    triggerCounts: () => sources.store.counts(),
    rollbackCounts: () => sources.store.rollbackCounts(),
  });
  if (flags.allowActions && flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1') {
    logger.warn({ host: flags.host }, 'actions are enabled on a non-loopback address and the dashboard has no authentication');
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'dashboard stopping');
  await dashboard.close();
  await sources.close();
  logger.info('dashboard stopped');
}
