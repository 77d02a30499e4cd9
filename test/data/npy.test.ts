import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { halfToFloat, npyToFloat32, npyToInt32, readNpy, readNpz, writeNpy, writeNpz, type NpyArray } from '../../src/data/npy.js';

// Files written by numpy 2.4 (np.save / np.savez / np.savez_compressed), base64.
const NUMPY = {
  // np.arange(6, dtype='<f4').reshape(2, 3)
  LE_F4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=',
  // np.array([1, 2, 3], '<i4')
  LE_I4_1D: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAgAAAAMAAAA=',
  // (np.arange(6) / 4).astype('>f8').reshape(2, 3)
  BE_F8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAD/QAAAAAAAAP+AAAAAAAAA/6AAAAAAAAD/wAAAAAAAAP/QAAAAAAAA=',
  // np.array([1, -2, 70000], '>i4')
  BE_I4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAB/////gABEXA=',
  // np.asfortranarray(np.arange(24, dtype='<i2').reshape(2, 3, 4))
  FORTRAN_I2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAwABAAQAAgAFAABAA0ABQARAAkAFQACAA4ABgASAAoAFgADAA8ABwATAAsAFwA=',
  // np.array([1.5, -2, 65504, 0.0001], 'f2')
  F2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPgDA/3uOBg==',
  // np.array([[True, False], [False, True]])
  BOOL: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAB',
  // np.float32(3.25)
  SCALAR: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAFBA',
  // np.savez(f, x=np.array([[1, 2], [3, 4]], 'f4'), y=np.array([7, 8, 9], 'i8'))
  NPZ: 'UEsDBC0AAAAAAAAAIQBO+yB1//////////8FABQAeC5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAACAPwAAAEAAAEBAAACAQFBLAwQtAAAAAAAAACEACGUbW///////////BQAUAHkubnB5AQAQAJgAAAAAAAAAmAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgcAAAAAAAAACAAAAAAAAAAJAAAAAAAAAFBLAQItAy0AAAAAAAAAIQBO+yB1kAAAAJAAAAAFAAAAAAAAAAAAAACAAQAAAAB4Lm5weVBLAQItAy0AAAAAAAAAIQAIZRtbmAAAAJgAAAAFAAAAAAAAAAAAAACAAccAAAB5Lm5weVBLBQYAAAAAAgACAGYAAACWAQAAAAA=',
  // the same with np.savez_compressed
  NPZC: 'UEsDBC0AAAAIAAAAIQBO+yB1//////////8FABQAeC5ucHkBABAAkAAAAAAAAABTAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CkaaOgq1CmQDLgaGBnsGBgYHIALiBgcAUEsDBC0AAAAIAAAAIQAIZRtb//////////8FABQAeS5ucHkBABAAmAAAAAAAAABNAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6mjoKtQoUAC52BgjggNKcUBoAUEsBAi0DLQAAAAgAAAAhAE77IHVTAAAAkAAAAAUAAAAAAAAAAAAAAIABAAAAAHgubnB5UEsBAi0DLQAAAAgAAAAhAAhlG1tNAAAAmAAAAAUAAAAAAAAAAAAAAIABigAAAHkubnB5UEsFBgAAAAACAAIAZgAAAA4BAAAAAA==',
};
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('npy', () => {
  it('reads little-endian C-order arrays written by numpy', () => {
    const a = readNpy(bytes(NUMPY.LE_F4), 'a.npy');
    assert.equal(a.dtype, 'f4');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data as Float32Array), [0, 1, 2, 3, 4, 5]);
    const b = readNpy(bytes(NUMPY.LE_I4_1D));
    assert.deepEqual([b.dtype, b.shape, Array.from(b.data as Int32Array)], ['i4', [3], [1, 2, 3]]);
  });

  it('writes the same bytes as np.save', () => {
    assert.deepEqual(writeNpy({ dtype: 'f4', shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }), bytes(NUMPY.LE_F4));
    assert.deepEqual(writeNpy({ dtype: 'i4', shape: [3], data: Int32Array.from([1, 2, 3]) }), bytes(NUMPY.LE_I4_1D));
    assert.deepEqual(writeNpy({ dtype: 'f4', shape: [], data: Float32Array.from([3.25]) }), bytes(NUMPY.SCALAR));
  });

  it('reads big-endian data', () => {
    const a = readNpy(bytes(NUMPY.BE_F8));
    assert.deepEqual([a.dtype, a.shape], ['f8', [2, 3]]);
    assert.deepEqual(Array.from(a.data as Float64Array), [0, 0.25, 0.5, 0.75, 1, 1.25]);
    const b = readNpy(bytes(NUMPY.BE_I4));
    assert.equal(b.dtype, 'i4');
    assert.deepEqual(Array.from(b.data as Int32Array), [1, -2, 70000]);
  });

  it('transposes Fortran-order arrays to C order', () => {
    const a = readNpy(bytes(NUMPY.FORTRAN_I2));
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.deepEqual(Array.from(a.data as Int16Array), Array.from({ length: 24 }, (_, i) => i));
  });

  it('reads float16 as half bits and booleans as bytes', () => {
    const h = readNpy(bytes(NUMPY.F2));
    assert.equal(h.dtype, 'f2');
    const f = npyToFloat32(h);
    assert.deepEqual(Array.from(f.subarray(0, 3)), [1.5, -2, 65504]);
    assert.ok(Math.abs(f[3]! - 0.0001) < 1e-7);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    const b = readNpy(bytes(NUMPY.BOOL));
    assert.deepEqual([b.dtype, b.shape, Array.from(b.data as Uint8Array)], ['b1', [2, 2], [1, 0, 0, 1]]);
  });

  it('round-trips every dtype', () => {
    const arrays: NpyArray[] = [
      { dtype: 'f4', shape: [2, 2], data: Float32Array.from([1.5, -2, 3, 4]) },
      { dtype: 'f8', shape: [3], data: Float64Array.from([Math.PI, -1e300, 0]) },
      { dtype: 'f2', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
      { dtype: 'i1', shape: [2], data: Int8Array.from([-128, 127]) },
      { dtype: 'i2', shape: [2], data: Int16Array.from([-32768, 32767]) },
      { dtype: 'i4', shape: [1, 2], data: Int32Array.from([-2147483648, 2147483647]) },
      { dtype: 'i8', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 5n]) },
      { dtype: 'u1', shape: [2], data: Uint8Array.from([0, 255]) },
      { dtype: 'u2', shape: [2], data: Uint16Array.from([0, 65535]) },
      { dtype: 'u4', shape: [2], data: Uint32Array.from([0, 4294967295]) },
      { dtype: 'b1', shape: [3], data: Uint8Array.from([1, 0, 1]) },
      { dtype: 'f4', shape: [0, 5], data: new Float32Array(0) },
    ];
    for (const a of arrays) {
      const back = readNpy(writeNpy(a));
      assert.equal(back.dtype, a.dtype);
      assert.deepEqual(back.shape, a.shape);
      assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(a.data as ArrayLike<unknown>));
    }
  });

  it('reads npz archives written by np.savez and np.savez_compressed', () => {
    for (const key of ['NPZ', 'NPZC'] as const) {
      const z = readNpz(bytes(NUMPY[key]), `${key}.npz`);
      assert.deepEqual([...z.keys()].sort(), ['x', 'y']);
      assert.deepEqual(Array.from(z.get('x')!.data as Float32Array), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(z.get('y')!.data as BigInt64Array), [7n, 8n, 9n]);
    }
  });

  it('round-trips npz, stored or compressed, from a record or a map', () => {
    const x: NpyArray = { dtype: 'f4', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) };
    const y: NpyArray = { dtype: 'i4', shape: [3], data: Int32Array.from([7, 8, 9]) };
    for (const compress of [false, true]) {
      const z = readNpz(writeNpz({ x, y }, { compress }));
      assert.deepEqual(Array.from(z.get('x')!.data as Float32Array), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(z.get('y')!.data as Int32Array), [7, 8, 9]);
    }
    assert.deepEqual(writeNpz(new Map([['x', x]])), writeNpz({ x }), 'a map and a record give the same bytes; the output is deterministic');
  });

  it('converts labels to int32 and refuses fractional values', () => {
    assert.deepEqual(Array.from(npyToInt32({ dtype: 'i8', shape: [2], data: BigInt64Array.from([3n, 4n]) })), [3, 4]);
    assert.throws(() => npyToInt32({ dtype: 'f4', shape: [1], data: Float32Array.from([1.5]) }, 'l.npy'), /l\.npy: element 0 is 1\.5, expected an integer label/);
  });

  it('names the file and the problem for bad input', () => {
    assert.throws(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy'), /x\.npy: not a numpy \.npy file/);
    const full = bytes(NUMPY.LE_F4);
    assert.throws(() => readNpy(full.subarray(0, full.length - 3), 'x.npy'), /x\.npy: truncated: shape \(2, 3\) of <f4 needs 24 data bytes but only 21 are present/);
    assert.throws(() => readNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0]), 'z.npz'), /z\.npz: not a readable \.npz/);
    assert.throws(() => writeNpy({ dtype: 'f4', shape: [3], data: Float32Array.from([1, 2]) }, 'feats'), /Expected 3 elements for shape \(3\) for feats\.data but received a Float32Array of 2/);
    assert.throws(() => writeNpy({ dtype: 'f4', shape: [1], data: Int32Array.from([1]) }, 'feats'), /Expected a Float32Array for dtype 'f4' for feats\.data/);
  });

  it('refuses unsupported dtypes with the dtype named', () => {
    const a = writeNpy({ dtype: 'f4', shape: [1], data: Float32Array.from([1]) });
    const text = Buffer.from(a).toString('latin1').replace("'<f4'", "'<U1'");
    assert.throws(() => readNpy(new Uint8Array(Buffer.from(text, 'latin1')), 's.npy'), /s\.npy: numpy dtype "<U1" is not supported/);
  });
});
