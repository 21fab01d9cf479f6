import { Type, type DataType, type Schema } from 'apache-arrow';
import { OrtqError } from '../errors.js';

/** What a model input expects (from the repository manifest's signature). */
export interface InputSpec { name: string; elemType: string; shape: Array<number | string | null> }

const NUMERIC_ELEM = new Set(['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'float16']);

export function isNumericArrow(t: DataType): boolean {
  return t.typeId === Type.Int || t.typeId === Type.Float || t.typeId === Type.Bool || t.typeId === Type.Decimal;
}

function isStringArrow(t: DataType): boolean {
  if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) return true;
  if (t.typeId === Type.Dictionary) return isStringArrow((t as unknown as { dictionary: DataType }).dictionary);
  return false;
}

export function fixedListInfo(t: DataType): { size: number; numeric: boolean } | null {
  if (t.typeId !== Type.FixedSizeList) return null;
  const ft = t as unknown as { listSize: number; children: Array<{ type: DataType }> };
  return { size: ft.listSize, numeric: isNumericArrow(ft.children[0].type) };
}

/** Width the model input fixes for its second dimension, or null when free. */
function fixedWidth(spec: InputSpec): number | null {
  if (spec.shape.length < 2) return 1;
  const d = spec.shape[1];
  return typeof d === 'number' && d > 0 ? d : null;
}

/**
 * Checks the data's columns against every model input before anything is
 * computed. Lists what the model expects and what the data has.
 */
export function checkFeatureSchema(opts: {
  features: Record<string, string[]>;
  passthrough: string[];
  inputs: InputSpec[];
  schema: Schema;
  file: string;
}): void {
  const problems: string[] = [];
  const fields = new Map(opts.schema.fields.map((f) => [f.name, f]));
  const expect = opts.inputs.map((i) => `${i.name} ${i.elemType}[${i.shape.map((d) => d ?? 'N').join(',')}]`).join(', ');
  const has = opts.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ');
  for (const input of opts.inputs) {
    if (!opts.features[input.name]) problems.push(`model input "${input.name}" has no columns in features`);
  }
  for (const [name, cols] of Object.entries(opts.features)) {
    const spec = opts.inputs.find((i) => i.name === name);
    if (!spec) {
      problems.push(`features names "${name}", which is not a model input`);
      continue;
    }
    let width = 0;
    for (const col of cols) {
      const field = fields.get(col);
      if (!field) {
        problems.push(`column "${col}" (for input "${name}") is missing`);
        continue;
      }
      const list = fixedListInfo(field.type);
      if (field.type.typeId === Type.Null) {
        // no values at all (a header-only CSV): fits any input, like a zero-row column of the right type
        width += 1;
      } else if (spec.elemType === 'string') {
        if (!isStringArrow(field.type)) problems.push(`column "${col}" is ${field.type} but input "${name}" takes strings`);
        width += 1;
      } else if (!NUMERIC_ELEM.has(spec.elemType)) {
        problems.push(`input "${name}" has element type ${spec.elemType}, which ortq cannot feed`);
      } else if (list) {
        if (!list.numeric) problems.push(`column "${col}" is ${field.type} but input "${name}" takes ${spec.elemType}`);
        width += list.size;
      } else if (!isNumericArrow(field.type)) {
        problems.push(`column "${col}" is ${field.type} but input "${name}" takes ${spec.elemType}`);
      } else {
        width += 1;
      }
    }
    const fixed = fixedWidth(spec);
    if (fixed !== null && width !== fixed && !problems.length) {
      problems.push(`input "${name}" takes ${fixed} value(s) per row but ${width} column value(s) are mapped to it`);
    }
  }
  for (const col of opts.passthrough) if (!fields.has(col)) problems.push(`passthrough column "${col}" is missing`);
  if (problems.length) {
    throw new OrtqError('ORTQ_SCHEMA_MISMATCH', `${opts.file}: ${problems.join('; ')} (model expects ${expect}; data has ${has})`, {
      file: opts.file,
      problems,
    });
  }
}
