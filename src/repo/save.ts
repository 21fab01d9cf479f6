import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OrtqError } from '../errors.js';
import { fsyncDir } from '../fs/atomic.js';
import { assertLocationInside, assertSafeLocation, externalDataLocations } from '../onnx/external-data.js';
import { inspectModel, isTensorType } from '../onnx/inspect.js';
import { decodeModel, encodeModel, type OnnxNs } from '../onnx/proto.js';
import { classifierLabels, rewriteZipMap } from '../onnx/zipmap.js';
import { ortqVersion } from '../version.js';
import { PROFILE_FILE, validateProfile, type ReferenceProfile } from '../monitor/profile.js';
import { checkAttachment } from './attachments.js';
import { digestFile, prefixed } from './digests.js';
import { fsyncTree, listFiles } from './files.js';
import {
  ATTACHMENTS_DIR, MANIFEST_FILE, MODEL_FILE, ORIGINAL_FILE,
  type FileDigest, type ModelManifest,
} from './manifest.js';
import { assertOpensInOnnxRuntime, onnxruntimeVersion } from './onnx-runtime-check.js';
import { profileBytes } from './profiles.js';

export interface SaveRequest {
  name: string;
  version: string;
  /** The ONNX file to store; external-data side files are read from its folder. */
  file: string;
  labels: Record<string, string>;
  metadata: Record<string, unknown>;
  lineage: Record<string, unknown>;
  attachments: string[];
  createdAt: Date;
  /** stored as profile.json and listed with the other files */
  profile?: ReferenceProfile;
}

/** Parses ONNX bytes, turning protobuf's complaint into ORTQ_MODEL_INVALID. */
export function parseOnnx(bytes: Uint8Array, display: string): OnnxNs.ModelProto {
  let model: OnnxNs.ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (err) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `${display} is not an ONNX model: ${(err as Error).message}`, { file: display }, { cause: err });
  }
  if (!model.graph || (model.graph.node ?? []).length === 0 || (model.graph.output ?? []).length === 0) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `${display} is not an ONNX model: it has no graph, nodes or outputs`, { file: display });
  }
  return model;
}

/** Refuses a scoring model with outputs onnxruntime-node cannot return. */
function assertTensorOutputs(model: OnnxNs.IModelProto, display: string): void {
  for (const o of model.graph?.output ?? []) {
    if (!isTensorType(o.type)) {
      throw new OrtqError('ORTQ_MODEL_INVALID', `${display}: output "${o.name}" is not a tensor and onnxruntime-node cannot return it`, { output: o.name });
    }
  }
}

/**
 * Builds a version folder in `tmpDir`: model files, side files, attachments,
 * manifest; validates it (ONNX parse, external-data locations, onnxruntime
 * open) and fsyncs it. Nothing outside `tmpDir` is written.
 */
export async function buildVersionDir(req: SaveRequest, tmpDir: string): Promise<ModelManifest> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(req.file);
  } catch (err) {
    throw new OrtqError('ORTQ_USAGE', `cannot read model file ${req.file}: ${(err as Error).message}`, { file: req.file });
  }
  const original = parseOnnx(bytes, req.file);
  const facts = inspectModel(original);

  const locations = externalDataLocations(original);
  const srcDir = dirname(req.file);
  for (const loc of locations) {
    assertSafeLocation(loc);
    if ([MODEL_FILE, ORIGINAL_FILE, MANIFEST_FILE, PROFILE_FILE].includes(loc) || loc.startsWith(`${ATTACHMENTS_DIR}/`)) {
      throw new OrtqError('ORTQ_MODEL_INVALID', `external data location "${loc}" clashes with a file ortq stores`, { location: loc });
    }
    await assertLocationInside(srcDir, loc);
  }
  const attachmentNames = await Promise.all(req.attachments.map(checkAttachment));
  if (new Set(attachmentNames).size !== attachmentNames.length) {
    throw new OrtqError('ORTQ_USAGE', 'two attachments have the same file name');
  }

  await mkdir(tmpDir, { recursive: true });
  // facts and locations above are plain copies, so the decoded model can be rewritten in place
  const { model: scoring, rewrites } = rewriteZipMap(original);
  assertTensorOutputs(scoring, req.file);
  if (rewrites.length > 0) {
    await writeFile(join(tmpDir, ORIGINAL_FILE), bytes);
    await writeFile(join(tmpDir, MODEL_FILE), encodeModel(scoring));
  } else {
    await writeFile(join(tmpDir, MODEL_FILE), bytes);
  }
  for (const loc of locations) {
    await mkdir(dirname(join(tmpDir, loc)), { recursive: true });
    await copyFile(join(srcDir, loc), join(tmpDir, loc));
  }
  if (attachmentNames.length > 0) await mkdir(join(tmpDir, ATTACHMENTS_DIR));
  for (let i = 0; i < req.attachments.length; i++) {
    await copyFile(req.attachments[i], join(tmpDir, ATTACHMENTS_DIR, attachmentNames[i]));
  }

  await assertOpensInOnnxRuntime(join(tmpDir, MODEL_FILE), req.file);
  if (req.profile) await writeFile(join(tmpDir, PROFILE_FILE), profileBytes(validateProfile(req.profile, `profile for ${req.name}:${req.version}`)));

  const files: Record<string, FileDigest> = {};
  let size = 0;
  for (const f of (await listFiles(tmpDir)).files) {
    files[f] = await digestFile(join(tmpDir, f));
    size += files[f].size;
  }
  const signature = inspectModel(scoring);
  // labels of classifier outputs with or without ZipMap; ZipMap's own labels win where both name one
  const labelled = { ...classifierLabels(scoring), ...Object.fromEntries(rewrites.map((r) => [r.exposedOutput, r.classLabels])) };
  const classLabels = Object.keys(labelled).length > 0 ? labelled : undefined;
  const manifest: ModelManifest = {
    schema: 1,
    name: req.name,
    version: req.version,
    createdAt: req.createdAt.toISOString(),
    size,
    digest: prefixed(files[MODEL_FILE].sha256),
    files,
    onnx: facts,
    signature: { inputs: signature.inputs, outputs: signature.outputs },
    ...(classLabels ? { classLabels } : {}),
    rewrites,
    externalData: locations,
    attachments: attachmentNames.map((n) => `${ATTACHMENTS_DIR}/${n}`),
    labels: req.labels,
    metadata: req.metadata,
    lineage: req.lineage,
    ...(req.profile ? { profile: { file: PROFILE_FILE, attachedAt: req.createdAt.toISOString() } } : {}),
    versions: { ortq: ortqVersion(), onnxruntime: onnxruntimeVersion() },
  };
  await writeFile(join(tmpDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  await fsyncTree(tmpDir);
  return manifest;
}

/** A fresh build folder inside the repository, so the final rename never crosses filesystems. */
export function newTempDir(root: string, hint: string): string {
  return join(root, '.tmp', `${hint}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Renames a built folder to `<nameDir>/<version>`. rename(2) onto an existing
 * non-empty folder fails (ENOTEMPTY/EEXIST), and a version folder is never
 * empty, so an existing version is never overwritten.
 */
export async function publishDir(tmpDir: string, nameDir: string, version: string, tag: string): Promise<void> {
  await mkdir(nameDir, { recursive: true });
  const target = join(nameDir, version);
  try {
    await rename(tmpDir, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EISDIR' || code === 'EPERM') {
      throw new OrtqError('ORTQ_MODEL_EXISTS', `model ${tag} already exists; versions are immutable — save under a new version`, { tag });
    }
    throw err;
  }
  await fsyncDir(nameDir);
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}
