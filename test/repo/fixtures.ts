import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { DataType, encodeModel, onnx } from '../../src/onnx/proto.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { ModelRepository, type TrustPolicy } from '../../src/repo/model-repository.js';
import { createLogger } from '../../src/logger.js';

/** A scratch folder per test, with a repository root inside it. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'ortq-repo-test-'));
  readonly root = join(this.dir, 'models');

  repo(trust?: TrustPolicy): ModelRepository {
    return new ModelRepository({ root: this.root, trust, logger: createLogger({ level: 'silent' }) });
  }

  /** A second repository in the same scratch folder. */
  repoAt(root: string): ModelRepository {
    return new ModelRepository({ root, logger: createLogger({ level: 'silent' }) });
  }

  file(name: string, bytes: Uint8Array | string): string {
    const p = join(this.dir, name);
    writeFileSync(p, bytes);
    return p;
  }

  linear(name = 'linear.onnx', seed = 1): string {
    return this.file(name, linearModel({ features: 3, outputs: 2, seed }).bytes);
  }

  classifier(name = 'iris.onnx'): { path: string; model: ReturnType<typeof zipMapClassifier> } {
    const model = zipMapClassifier({ features: 4, classes: ['setosa', 'versicolor', 'virginica'] });
    return { path: this.file(name, model.bytes), model };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * y = x · W with W [3, 1] stored as external data at `location` (the raw
 * floats are written to `sideFile` when given).
 */
export function externalDataModel(location: string): { bytes: Uint8Array; weights: Float32Array } {
  const weights = new Float32Array([0.5, -1, 2]);
  const g = new GraphBuilder();
  g.input('input', DataType.FLOAT, [null, 3]);
  g.output('output', DataType.FLOAT, [null, 1]);
  g.node('MatMul', ['input', 'W'], ['output']);
  const model = g.toModel();
  model.graph!.initializer = [{
    name: 'W', dataType: DataType.FLOAT, dims: [3, 1],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(weights.byteLength) },
    ],
  }];
  return { bytes: encodeModel(model), weights };
}
