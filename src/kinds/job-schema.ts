import { z } from 'zod';
import { PredictJobSchema } from '../predict/job-spec.js';
import { TrainJobSchema } from './train/spec-schema.js';

/**
 * The JSON Schema published as docs/job.schema.json: any job spec, each kind
 * told apart by `kind:` (predict when absent).
 */
export function allJobsJsonSchema(): unknown {
  return z.toJSONSchema(z.union([PredictJobSchema, TrainJobSchema]), { io: 'input' });
}
