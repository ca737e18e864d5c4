# Copyright stackviz-publish developers.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Seeded mutation fuzzing of the exporter over v2, v1 and gzip input.

Each mutated stream must end, in time proportional to its size and inside the memory
budget, in a whole output (config.json and every stats file parse) or in one error
line, never a traceback. STACKVIZ_FUZZ_ITERATIONS (default 150, about 20 s) and
STACKVIZ_FUZZ_SEED make longer or other runs:

    STACKVIZ_FUZZ_ITERATIONS=5000 python -m pytest -q tests/unit/test_fuzz.py
"""
import gzip
import io
import json
import os
import random
import shutil
import time
import warnings

import pytest
import subunit
import testtools

from stackviz_publish import peak_memory
from stackviz_publish.cli import export_cmd
from tests.unit.conftest import stream_bytes

ITERATIONS = int(os.environ.get('STACKVIZ_FUZZ_ITERATIONS', '150'))
SEED = int(os.environ.get('STACKVIZ_FUZZ_SEED', '2026'))
MEMORY_BUDGET = 256 << 20    # peak RSS of the whole process, as for stackviz-export
SECONDS_FLAT = 3.0           # slack for a loaded CI machine ...
SECONDS_PER_MB = 3.0         # ... and the time allowed per MB of input


def v1_of(v2_data):
    """The same run as a v1 stream, through python-subunit's own writer."""
    out = io.BytesIO()
    result = testtools.StreamToExtendedDecorator(subunit.TestProtocolClient(out))
    result.startTestRun()
    subunit.ByteStreamToStreamResult(io.BytesIO(v2_data)).run(result)
    result.stopTestRun()
    return out.getvalue()


def _false_header(rng):
    """Bytes that look like a v2 header, claiming up to 4 MB."""
    kind = rng.choice((0x00, 0x40, 0x80))
    tail = rng.randbytes(2)
    return bytes([0xB3, 0x20 | rng.randrange(16), rng.randrange(256),
                  kind | rng.randrange(64)]) + tail


def mutate(rng, data, v1):
    """``data`` with one to four random changes, some of them hostile."""
    data = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        if not data:
            break
        pos = rng.randrange(len(data))
        action = rng.randrange(9)
        if action == 0:
            data[pos] = rng.randrange(256)
        elif action == 1:
            del data[pos:pos + rng.randrange(1, 200)]
        elif action == 2:
            data[pos:pos] = rng.randbytes(rng.randrange(1, 400))
        elif action == 3:
            del data[pos:]
        elif action == 4:
            data[pos:pos] = _false_header(rng) * rng.randrange(1, 3000)
        elif action == 5:
            data[pos:pos] = bytes(rng.choice(b'\xff\xfe\xc3\xe9\x80\xed')
                                  for _ in range(rng.randrange(1, 6)))
        elif action == 6:
            start = rng.randrange(len(data))
            data[pos:pos] = data[start:start + rng.randrange(1, 3000)]
        elif action == 7 and v1:
            year = rng.choice((1, 999, 1000, 1969, 9999))
            data[pos:pos] = (b'\ntime: %04d-01-01 00:00:00%s\n'
                             % (year, rng.choice((b'Z', b'+05:00', b'-11:00', b'x'))))
        else:
            data[pos:pos] = rng.choice((b'\ntags: a \xff b\n', b'\n]\n', b'\nfailure: x [\n',
                                        b'\x00' * 50, b'\r\n'))
    return bytes(data)


def _check_output(out_dir, code, err):
    assert 'Traceback' not in err, err
    if code == 1:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith('stackviz-export: error: '), err
        assert not os.path.exists(out_dir)
        return
    assert code == 0, (code, err)
    with open(os.path.join(out_dir, 'config.json')) as config_file:
        config = json.load(config_file)
    for dataset in config['datasets']:
        stats = [a['path'] for a in dataset['artifacts'] if a['path'].endswith('-stats.json')]
        assert stats
        for path in stats:
            with open(os.path.join(out_dir, path)) as stats_file:
                assert 'counts' in json.load(stats_file)


@pytest.fixture(scope='module')
def seeds():
    v2_data, _ = stream_bytes(tests=12, workers=2, fail_rate=0.3, skip_rate=0.2,
                              unfinished=1, log_bytes=300, hostile=True, seed=SEED)
    return {'v2': v2_data, 'v1': v1_of(v2_data)}


def test_mutated_streams_end_well(tmp_path, seeds):
    rng = random.Random(SEED)
    measure_memory = peak_memory.reset_peak()
    if not measure_memory:
        warnings.warn('peak RSS not checked: /proc/self/clear_refs cannot be written here')
    worst = 0.0
    for i in range(ITERATIONS):
        form = rng.choice(('v2', 'v1', 'gz-inside', 'gz-outside'))
        source = seeds['v1' if form == 'v1' or rng.random() < 0.25 and form != 'v2'
                       else 'v2']
        if form == 'gz-outside':      # damage in the decompressed stream
            data = gzip.compress(mutate(rng, source, source is seeds['v1']))
        elif form == 'gz-inside':     # damage in the gzip data itself
            data = mutate(rng, gzip.compress(source), False)
        else:
            data = mutate(rng, source, form == 'v1')
        path = tmp_path / 'fuzz.subunit'
        path.write_bytes(data)
        out_dir = str(tmp_path / 'o')
        shutil.rmtree(out_dir, ignore_errors=True)
        out, err = io.StringIO(), io.StringIO()
        if measure_memory:
            peak_memory.reset_peak()
        start = time.perf_counter()
        code = export_cmd.main(['-f', str(path), out_dir], out, err)
        took = time.perf_counter() - start
        where = 'iteration %d (%s, %d bytes, seed %d)' % (i, form, len(data), SEED)
        assert took <= SECONDS_FLAT + SECONDS_PER_MB * len(data) / 1e6, where
        if measure_memory:
            assert peak_memory.peak_bytes() <= MEMORY_BUDGET, where
        try:
            _check_output(out_dir, code, err.getvalue())
        except AssertionError as exc:
            raise AssertionError('%s: %s' % (where, exc)) from None
        worst = max(worst, took)
    assert worst > 0
