/** Shapes stored in a version's manifest.json. Types only: no I/O here. */

/** One graph input or output as onnxruntime-node sees it. */
export interface TensorInfo {
  name: string;
  /** 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'string' | …; non-tensors read like 'seq(map(string,float32))'. */
  elemType: string;
  /** A number per fixed dimension, the symbolic name for a named one, null for an unknown one. */
  shape: Array<number | string | null>;
}

/** Facts read from the ONNX file as saved (before any rewrite). */
export interface OnnxFacts {
  irVersion: number;
  /** Operator set version per domain; the default domain is written 'ai.onnx'. */
  opsets: Record<string, number>;
  producer: string;
  producerVersion: string;
  metadataProps: Record<string, string>;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface FileDigest {
  /** Lowercase hex sha256 of the file's bytes. */
  sha256: string;
  size: number;
}

/** A graph change ortq made at save time so onnxruntime-node can score the model. */
export interface ZipMapRewrite {
  kind: 'zipmap';
  /** The seq(map) output that was removed. */
  removedOutput: string;
  /** The float tensor output exposed in its place. */
  exposedOutput: string;
  classLabels: Array<string | number>;
}

export interface ModelManifest {
  /** Manifest format version. */
  schema: 1;
  name: string;
  version: string;
  /** ISO 8601 UTC; `latest` is the newest by this field. */
  createdAt: string;
  /** Total bytes of every file in `files`. */
  size: number;
  /** "sha256:<hex>" of the scoring model, model.onnx. */
  digest: string;
  /** Every stored file (relative path inside the version folder) with its digest. */
  files: Record<string, FileDigest>;
  /** Facts read from the file as given (original.onnx when it was rewritten). */
  onnx: OnnxFacts;
  /** What the scoring model (model.onnx) takes and returns in onnxruntime-node. */
  signature: { inputs: TensorInfo[]; outputs: TensorInfo[] };
  /** Class labels per scoring output, in column order (from ZipMap). */
  classLabels?: Record<string, Array<string | number>>;
  rewrites: ZipMapRewrite[];
  /** External-data side files referenced by the model, relative to the version folder. */
  externalData: string[];
  /** Attached files, relative to the version folder (under attachments/). */
  attachments: string[];
  labels: Record<string, string>;
  metadata: Record<string, unknown>;
  /** Free-form provenance (training run, dataset, parent model); filled by the retraining work. */
  lineage: Record<string, unknown>;
  /** The reference profile (profile.json, listed in `files`), when the version has one; set at save time or attached once later. */
  profile?: { file: string; attachedAt: string };
  versions: { ortq: string; onnxruntime: string };
}

/** The file names a version folder reserves. */
export const MODEL_FILE = 'model.onnx';
export const ORIGINAL_FILE = 'original.onnx';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'signature.json';
export const ATTACHMENTS_DIR = 'attachments';

/** A stored version found by its tag: where it is and what its manifest says. */
export interface ResolvedModel {
  name: string;
  version: string;
  /** `name:version` */
  tag: string;
  /** "sha256:<hex>" of the scoring ONNX file */
  digest: string;
  dir: string;
  manifest: ModelManifest;
}
