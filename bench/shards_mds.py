#!/usr/bin/env python3
"""MosaicML-streaming side of Spindle's shard cross-checks (optional; needs mosaicml-streaming).

  shards_mds.py dump DIR...         print every sample of each DIR, read through streaming.StreamingDataset,
                                    as JSON lines (arrays as lists), for comparison with Spindle's reader;
                                    a line {"directory": DIR} precedes each directory's samples
  shards_mds.py numpy DIR...        the same samples decoded with plain numpy from the documented layout
                                    (no streaming import): proves the layout doc is enough
  shards_mds.py write OUT SPEC      write samples with streaming's own MDSWriter from a JSON spec
                                    {"columns": {...}, "samples": [...], "size_limit": N,
                                     "hashes": [...], "compression": null}; arrays are lists
The venv: see /work/shared/bench/README.md. On hosts where torchvision cannot load (its PyPI wheels
need CUDA torch), a stub stands in for it: streaming imports it only for its vision data sets.
"""
import json
import os
import sys
import tempfile
import types


def _import_streaming():
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in list(sys.modules):
            if name == 'torchvision' or name.startswith('torchvision.'):
                del sys.modules[name]
        tv = types.ModuleType('torchvision')
        ds = types.ModuleType('torchvision.datasets')
        tr = types.ModuleType('torchvision.transforms')
        fn = types.ModuleType('torchvision.transforms.functional')

        class VisionDataset:  # only subclassed by streaming's vision data sets
            pass

        ds.VisionDataset = VisionDataset
        ds.CIFAR10 = VisionDataset
        fn.to_tensor = lambda x: x
        tr.functional = fn
        tv.datasets, tv.transforms = ds, tr
        import importlib.machinery
        for m in (tv, ds, tr, fn):
            m.__spec__ = importlib.machinery.ModuleSpec(m.__name__, None)
        sys.modules.update({'torchvision': tv, 'torchvision.datasets': ds,
                            'torchvision.transforms': tr, 'torchvision.transforms.functional': fn})
    import streaming
    return streaming


def _jsonable(v):
    import numpy as np
    if isinstance(v, np.ndarray):
        return {'dtype': v.dtype.name, 'shape': list(v.shape), 'values': v.reshape(-1).tolist()}
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, bytes):
        return {'bytes': v.hex()}
    return v


def dump(directories):
    streaming = _import_streaming()
    for directory in directories:
        print(json.dumps({'directory': directory}))
        # Note: streaming decompresses .zstd shards next to the index it reads.
        ds = streaming.StreamingDataset(local=directory, shuffle=False, batch_size=1)
        for i in range(len(ds)):
            sample = ds[i]
            print(json.dumps({k: _jsonable(sample[k]) for k in sorted(sample)}, sort_keys=True))


def numpy_dump(directories):
    for directory in directories:
        print(json.dumps({'directory': directory}))
        numpy_dump_one(directory)


def numpy_dump_one(directory):
    """Decode with numpy alone, following docs/FORMATS-shards.md."""
    import numpy as np
    with open(os.path.join(directory, 'index.json')) as f:
        index = json.load(f)
    widths = {'uint8': 1, 'int8': 1, 'uint16': 2, 'int16': 2, 'uint32': 4, 'int32': 4,
              'uint64': 8, 'int64': 8, 'float32': 4, 'float64': 8}
    for shard in index['shards']:
        names, encs, sizes = shard['column_names'], shard['column_encodings'], shard['column_sizes']
        raw_path = os.path.join(directory, shard['raw_data']['basename'])
        if os.path.exists(raw_path):
            data = open(raw_path, 'rb').read()
        else:
            import zstd
            data = zstd.decompress(open(os.path.join(directory, shard['zip_data']['basename']), 'rb').read())
        n = int(np.frombuffer(data, np.uint32, 1)[0])
        offsets = np.frombuffer(data, np.uint32, n + 1, 4)
        for i in range(n):
            sample = data[offsets[i]:offsets[i + 1]]
            pos = 0
            lens = []
            for s in sizes:
                if s is None:
                    lens.append(int(np.frombuffer(sample, np.uint32, 1, pos)[0]))
                    pos += 4
                else:
                    lens.append(s)
            out = {}
            for name, enc, ln in zip(names, encs, lens):
                b = sample[pos:pos + ln]
                pos += ln
                parts = enc.split(':')
                if parts[0] == 'ndarray':
                    dtype = parts[1]
                    if len(parts) == 3:
                        arr = np.frombuffer(b, dtype)
                    else:  # 1-D dynamic shape: [1 << 2 | shape code][length][values]
                        code = b[0] & 3
                        w = 1 << code
                        length = int.from_bytes(b[1:1 + w], 'little')
                        arr = np.frombuffer(b[1 + w:], dtype)
                        assert len(arr) == length
                    out[name] = _jsonable(arr)
                elif enc == 'str':
                    out[name] = b.decode('utf-8')
                elif enc == 'int':
                    out[name] = int(np.frombuffer(b, np.int64)[0])
                elif enc in widths:
                    out[name] = np.frombuffer(b, enc)[0].item()
                else:
                    out[name] = {'bytes': b.hex()}
            print(json.dumps(out, sort_keys=True))


def write(out, spec_path):
    streaming = _import_streaming()
    import numpy as np
    spec = json.load(open(spec_path))
    cols = spec['columns']
    with streaming.MDSWriter(columns=cols, out=out, size_limit=spec.get('size_limit', 1 << 26),
                             hashes=spec.get('hashes'), compression=spec.get('compression')) as w:
        for s in spec['samples']:
            sample = {}
            for k, v in s.items():
                enc = cols[k]
                if enc.startswith('ndarray'):
                    sample[k] = np.array(v, dtype=enc.split(':')[1])
                else:
                    sample[k] = v
            w.write(sample)


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] not in ('dump', 'numpy', 'write'):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == 'dump':
        dump(sys.argv[2:])
    elif sys.argv[1] == 'numpy':
        numpy_dump(sys.argv[2:])
    else:
        write(sys.argv[2], sys.argv[3])
