import { DataType, type Data, type RecordBatch, Type } from 'apache-arrow';

/**
 * Checks that every buffer of a decoded batch is long enough for the lengths
 * its metadata claims. apache-arrow trusts the IPC metadata and silently
 * truncates out-of-range buffers, so a corrupt file would otherwise yield
 * vectors whose typed arrays are shorter than their length — and a tensor built
 * from such a view would read past its end in native code.
 * Returns a description of the first problem, or null. O(columns), not O(rows),
 * except for one look at the last offset of variable-width columns.
 */
export function findBatchProblem(batch: RecordBatch): string | null {
  const fields = batch.schema.fields;
  for (let i = 0; i < fields.length; i++) {
    const child = batch.data.children[i];
    if (!child) return `column "${fields[i].name}" is missing from the batch`;
    if (child.length < batch.numRows) return `column "${fields[i].name}" has ${child.length} values for ${batch.numRows} rows`;
    const p = findDataProblem(child, 0);
    if (p) return `column "${fields[i].name}": ${p}`;
  }
  return null;
}

const MAX_DEPTH = 64;

function findDataProblem(data: Data, depth: number): string | null {
  if (depth > MAX_DEPTH) return 'type nesting is too deep';
  const { offset, length, type } = data;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    return `invalid length ${length} / offset ${offset}`;
  }
  const end = offset + length;
  if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length > 0 && data.nullBitmap.length * 8 < end) {
    return `validity bitmap holds ${data.nullBitmap.length * 8} bits for ${end} values`;
  }
  const values = data.values as ArrayLike<unknown> | undefined;
  switch (type.typeId) {
    case Type.Null:
      return null;
    case Type.Bool:
      return length > 0 && (values?.length ?? 0) * 8 < end ? `boolean buffer too short for ${end} values` : null;
    case Type.Int: case Type.Float: case Type.Date: case Type.Time: case Type.Timestamp:
    case Type.Interval: case Type.Duration: case Type.Decimal: case Type.FixedSizeBinary:
      return length > 0 && (values?.length ?? 0) < end * data.stride
        ? `data buffer holds ${values?.length ?? 0} elements, ${end * data.stride} needed` : null;
    case Type.Utf8: case Type.Binary: case Type.LargeUtf8: case Type.LargeBinary:
      return checkOffsets(data, values?.length ?? 0);
    case Type.List: case Type.LargeList: case Type.Map: {
      const child = data.children[0];
      if (!child) return 'list without child data';
      return checkOffsets(data, child.length) ?? findDataProblem(child, depth + 1);
    }
    case Type.FixedSizeList: {
      const child = data.children[0];
      const size = (type as DataType & { listSize: number }).listSize;
      if (!child) return 'list without child data';
      if (child.length < end * size) return `fixed-size list child holds ${child.length} values, ${end * size} needed`;
      return findDataProblem(child, depth + 1);
    }
    case Type.Struct: {
      for (const child of data.children) {
        if (child.length < end) return `struct child holds ${child.length} values, ${end} needed`;
        const p = findDataProblem(child, depth + 1);
        if (p) return p;
      }
      return null;
    }
    case Type.Union: {
      if (length > 0 && (data.typeIds?.length ?? 0) < end) return 'union type-id buffer too short';
      for (const child of data.children) {
        const p = findDataProblem(child, depth + 1);
        if (p) return p;
      }
      return null;
    }
    case Type.Dictionary: {
      if (length > 0 && (values?.length ?? 0) < end) return 'dictionary index buffer too short';
      const dict = data.dictionary?.data;
      if (dict) for (const d of dict) { const p = findDataProblem(d, depth + 1); if (p) return p; }
      return null;
    }
    default:
      // View types and anything newer: rely on apache-arrow's own checks.
      return null;
  }
}

function checkOffsets(data: Data, available: number): string | null {
  if (data.length === 0) return null;
  const offsets = data.valueOffsets as ArrayLike<number | bigint> | undefined;
  const end = data.offset + data.length;
  if (!offsets || offsets.length < end + 1) return `offsets buffer holds ${offsets?.length ?? 0} entries, ${end + 1} needed`;
  const first = Number(offsets[data.offset]);
  const last = Number(offsets[end]);
  if (first < 0 || last < first || last > available) return `offsets [${first}, ${last}] out of range of ${available} values`;
  return null;
}
