import { Field, Float32, Int32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { childOf, recordBatch, sliceBatch } from '../../src/io/record-batch.js';

function parts(rows: number) {
  const f = vectorFromArray(Float32Array.from({ length: rows }, (_, i) => i / 3)).data[0];
  const n = vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i)), new Int32()).data[0];
  const s = vectorFromArray(Array.from({ length: rows }, (_, i) => `r${i}`), new Utf8()).data[0];
  const fields = [new Field('f', new Float32(), false), new Field('n', new Int32(), true), new Field('s', new Utf8(), false), new Field('f', new Float32(), false)];
  const schema = new Schema(fields, new Map([['k', 'v']]));
  const data = makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: [f, n, s, f] });
  return { schema, data };
}

const ipc = (b: RecordBatch) => Buffer.from(tableToIPC(new Table([b]), 'stream'));

describe('record batches without the constructor\'s Schema.assign', () => {
  it('is the batch the constructor builds, keeping the schema object', () => {
    const { schema, data } = parts(100);
    const meta = new Map([['m', '1']]);
    const mine = recordBatch(schema, data, meta);
    const theirs = new RecordBatch(schema, data, meta);
    expect(mine).toBeInstanceOf(RecordBatch);
    expect(mine.schema).toBe(schema);
    expect(theirs.schema).not.toBe(schema);
    expect([mine.numRows, mine.numCols, mine.metadata]).toEqual([theirs.numRows, theirs.numCols, theirs.metadata]);
    expect(mine.toArray().map((r) => r.toJSON())).toEqual(theirs.toArray().map((r) => r.toJSON()));
    expect(ipc(mine).equals(ipc(theirs))).toBe(true);
    expect(mine.dictionaries).toEqual(theirs.dictionaries);
  });

  it('slices as RecordBatch.slice does, with the same schema object', () => {
    const { schema, data } = parts(1000);
    const whole = recordBatch(schema, data);
    for (const [a, b] of [[0, 1000], [0, 384], [384, 768], [768, 1000], [999, 1000]]) {
      const mine = sliceBatch(whole, a, b);
      const theirs = whole.slice(a, b);
      expect(mine.schema).toBe(schema);
      expect(mine.numRows).toBe(b - a);
      expect(mine.toArray().map((r) => r.toJSON())).toEqual(theirs.toArray().map((r) => r.toJSON()));
      expect(ipc(mine).equals(ipc(theirs))).toBe(true);
    }
  });

  it('leaves data the pass would change (a short child, a missing one) to the constructor', () => {
    const { schema, data } = parts(10);
    const short = makeData({ type: new Struct(schema.fields), length: 10, nullCount: 0, children: [data.children[0].slice(0, 4), ...data.children.slice(1)] });
    const mine = recordBatch(schema, short);
    const theirs = new RecordBatch(schema, short);
    expect(mine.schema).not.toBe(schema);
    expect(ipc(mine).equals(ipc(theirs))).toBe(true);
  });

  it('finds a column as getChild does: the first of a name, null when missing', () => {
    const { schema, data } = parts(20);
    const b = recordBatch(schema, data);
    for (const name of ['f', 'n', 's', 'nope']) {
      const mine = childOf(b, name);
      const theirs = b.getChild(name);
      expect(mine === null).toBe(theirs === null);
      if (mine && theirs) expect(mine.toArray()).toEqual(theirs.toArray());
    }
    expect(childOf(b, 'f')!.data[0]).toBe(data.children[0]);
  });
});
