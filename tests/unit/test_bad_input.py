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

"""Bad input ends in a valid output with a warning naming the problem, or in a
one-line error and a non-zero exit: never a traceback, never a half-written folder."""
import gzip
import io
import json
import os
import random
import shutil

import pytest
from subunit import v2

from stackviz_publish import generate
from stackviz_publish.cli import export_cmd
from tests.unit.conftest import all_details
from tests.unit.conftest import read_json
from tests.unit.conftest import stream_bytes
from tests.unit.test_fuzz import mutate


def _cli(argv, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(argv, out, err, stdin=stdin)
    return code, out.getvalue(), err.getvalue()


def _check_outcome(tmp_path, code, err, out_dir):
    """Either a complete output with a warning, or one error line and no output."""
    assert 'Traceback' not in err
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith('.')]
    assert leftovers == [], 'temporary folders left behind'
    if code == 0:
        config = read_json(out_dir, 'config.json')
        for art in config['datasets'][0]['artifacts']:
            if not art['path'].endswith('/'):
                assert os.path.exists(os.path.join(out_dir, art['path']))
        return config
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('stackviz-export: error: ')
    assert not os.path.exists(out_dir)
    return None


def _raw(out_dir, name):
    return read_json(out_dir, '%s-0-raw.json' % name)


def test_empty_file(tmp_path):
    (tmp_path / 'empty.subunit').write_bytes(b'')
    code, out, err = _cli(['-f', str(tmp_path / 'empty.subunit'), str(tmp_path / 'o')])
    assert code == 0 and 'the stream is empty' in err
    _check_outcome(tmp_path, code, err, str(tmp_path / 'o'))
    assert _raw(tmp_path / 'o', 'empty.subunit') == []


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_random_bytes(tmp_path, seed):
    data = random.Random(seed).randbytes(50000)
    (tmp_path / 'r.bin').write_bytes(data)
    code, out, err = _cli(['-f', str(tmp_path / 'r.bin'), str(tmp_path / 'o')])
    assert code == 1 and 'not a subunit stream' in err
    _check_outcome(tmp_path, code, err, str(tmp_path / 'o'))


def test_random_bytes_starting_like_v2(tmp_path):
    data = b'\xb3' + random.Random(9).randbytes(20000)
    (tmp_path / 'r.bin').write_bytes(data)
    code, out, err = _cli(['-f', str(tmp_path / 'r.bin'), str(tmp_path / 'o')])
    assert code == 1 and 'no valid subunit packet' in err
    _check_outcome(tmp_path, code, err, str(tmp_path / 'o'))


def test_stream_cut_anywhere(tmp_path):
    data, _ = stream_bytes(tests=3, workers=2, log_bytes=40, fail_rate=0.4, seed=11)
    full = None
    ends = sorted(_packet_ends(data))
    first_end = ends[0]
    # Every byte of the first packets, both sides of every packet boundary, and a
    # stride through the rest (all ~2,800 cut points take over a minute).
    cuts = set(range(0, ends[2] + 2)) | set(range(0, len(data), 11))
    cuts |= {e + d for e in ends for d in (-2, -1, 0, 1)}
    for cut in sorted(c for c in cuts if 0 <= c <= len(data)):
        path = tmp_path / 'cut.subunit'
        path.write_bytes(data[:cut])
        out_dir = tmp_path / 'o'
        shutil.rmtree(out_dir, ignore_errors=True)
        code, out, err = _cli(['-f', str(path), str(out_dir)])
        _check_outcome(tmp_path, code, err, str(out_dir))
        if 0 < cut < first_end:
            # Not even one whole packet: nothing to show, a one-line error.
            assert code == 1 and 'no valid subunit packet' in err
            continue
        assert code == 0, (cut, err)
        raw = _raw(out_dir, 'cut.subunit')
        if cut < len(data):
            assert 'cut short' in err or 'empty' in err or cut in _packet_ends(data), \
                (cut, err)
        else:
            full = raw
            assert err == ''
    assert len(full) == 3 and all(t['status'] != 'inprogress' for t in full)


def _packet_ends(data):
    ends = set()
    pos = 0
    while pos < len(data):
        b3 = data[pos + 3]
        kind = b3 & 0xC0
        length = b3 if kind == 0 else ((b3 & 0x3F) << 8) | data[pos + 4] if kind == 0x40 \
            else ((b3 & 0x3F) << 16) | (data[pos + 4] << 8) | data[pos + 5]
        pos += length
        ends.add(pos)
    return ends


def test_cut_keeps_everything_before_the_cut(tmp_path):
    data, summary = stream_bytes(tests=200, seed=12)
    path = tmp_path / 'cut.subunit'
    path.write_bytes(data[:len(data) // 2 + 7])
    code, out, err = _cli(['-f', str(path), str(tmp_path / 'o')])
    assert code == 0 and 'stream cut short' in err and 'everything before was kept' in err
    raw = _raw(tmp_path / 'o', 'cut.subunit')
    finished = [t for t in raw if t['status'] != 'inprogress']
    unfinished = [t for t in raw if t['status'] == 'inprogress']
    assert 60 < len(finished) < 140 and unfinished
    stats = read_json(tmp_path / 'o', 'cut.subunit-0-stats.json')
    assert any('cut short' in w for w in stats['warnings'])


def test_gzip_cut_short(tmp_path):
    data, _ = stream_bytes(tests=300, seed=13)
    packed = gzip.compress(data)
    path = tmp_path / 'cut.subunit.gz'
    path.write_bytes(packed[:len(packed) // 2])
    code, out, err = _cli(['-f', str(path), str(tmp_path / 'o')])
    assert code == 0 and 'gzip data damaged or cut short' in err
    assert len(_raw(tmp_path / 'o', 'cut.subunit.gz')) > 50


@pytest.mark.parametrize('where', [0.3, 0.5, 0.8])
def test_corrupted_packet_mid_stream(tmp_path, where):
    data, summary = stream_bytes(tests=300, seed=14)
    damaged = bytearray(data)
    spot = int(len(data) * where)
    damaged[spot:spot + 3] = bytes(b ^ 0x5A for b in damaged[spot:spot + 3])
    path = tmp_path / 'bad.subunit'
    path.write_bytes(bytes(damaged))
    code, out, err = _cli(['-f', str(path), str(tmp_path / 'o')])
    assert code == 0 and 'damaged subunit packet(s) or line(s) skipped' in err
    _check_outcome(tmp_path, code, err, str(tmp_path / 'o'))
    raw = _raw(tmp_path / 'o', 'bad.subunit')
    # One packet lost at most costs one test its end (or one attachment chunk).
    finished = sum(1 for t in raw if t['status'] != 'inprogress')
    assert finished >= summary['finished'] - 1


def test_non_utf8_attachment(tmp_path):
    out = io.BytesIO()
    writer = v2.StreamResultToBytes(out)
    writer.status(test_id='t.bad', test_status='inprogress')
    writer.status(test_id='t.bad', file_name='stdout', file_bytes=b'caf\xe9 \xff\x00 ok',
                  mime_type='text/plain', eof=True)
    writer.status(test_id='t.bad', test_status='success')
    (tmp_path / 's.subunit').write_bytes(out.getvalue())
    code, _, err = _cli(['-f', str(tmp_path / 's.subunit'), str(tmp_path / 'o')])
    assert code == 0 and 'not valid UTF-8' in err and 't.bad' in err
    shard = read_json(tmp_path / 'o', 's.subunit-0-tests/0.js')
    assert shard['t.bad']['details']['stdout'] == 'caf\ufffd \ufffd\x00 ok'


def test_one_50mb_attachment(tmp_path):
    path = tmp_path / 'big.subunit'
    with open(path, 'wb') as out:
        generate.generate_stream(out, tests=4, workers=1, big_attachment=50 << 20)
    code, _, err = _cli(['--max-attachment-bytes', '0', '--max-test-attachment-bytes', '0',
                         '--max-run-details-bytes', '0', '--max-output-bytes', '0',
                         '-f', str(path), str(tmp_path / 'o')])
    assert code == 0 and err == ''
    details = all_details(tmp_path / 'o', 'big.subunit')
    assert max(len(d.get('pythonlogging', '')) for d in details.values()) >= 50 << 20
    code, _, err = _cli(['-f', str(path), str(tmp_path / 'o')])   # the default limits
    assert code == 0 and err.count('\n') == 1 and \
        '1 attachment(s) cut at --max-attachment-bytes=4194304' in err
    details = all_details(tmp_path / 'o', 'big.subunit')
    assert max(len(d.get('pythonlogging', '')) for d in details.values()) < 5 << 20


def test_not_dstat(tmp_path):
    data, _ = stream_bytes(tests=5)
    (tmp_path / 's.subunit').write_bytes(data)
    for name, content in (('bin', bytes(range(256))), ('text', b'hello\n' * 40),
                          ('json', json.dumps({'a': 1}).encode())):
        (tmp_path / name).write_bytes(content)
        code, _, err = _cli(['-f', str(tmp_path / 's.subunit'), '--dstat',
                             str(tmp_path / name), str(tmp_path / 'o')])
        assert code == 0 and 'dstat log' in err and 'not used' in err
        assert not os.path.exists(tmp_path / 'o' / 'dstat.csv')
    code, _, err = _cli(['-f', str(tmp_path / 's.subunit'), '--dstat',
                         str(tmp_path / 'missing'), str(tmp_path / 'o')])
    assert code == 0 and 'cannot be read' in err


def test_one_bad_input_among_good_ones(tmp_path):
    data, _ = stream_bytes(tests=5)
    (tmp_path / 'good.subunit').write_bytes(data)
    (tmp_path / 'junk.txt').write_bytes(b'junk\n' * 10)
    code, out, err = _cli(['-f', str(tmp_path / 'good.subunit'), '-f',
                           str(tmp_path / 'junk.txt'), str(tmp_path / 'o')])
    assert code == 0 and 'skipped' in err and 'junk.txt' in err
    assert sorted(os.listdir(tmp_path / 'o')) == [
        'config.js', 'config.json', 'good.subunit-0-details.json', 'good.subunit-0-ids',
        'good.subunit-0-raw.json', 'good.subunit-0-stats.json', 'good.subunit-0-stats.json.js',
        'good.subunit-0-summary.js', 'good.subunit-0-tests', 'good.subunit-0-timeline.js']


def test_unwritable_and_missing(tmp_path):
    data, _ = stream_bytes(tests=5)
    (tmp_path / 's.subunit').write_bytes(data)
    # Like the classic tool, the CLI creates missing parent folders...
    code, _, err = _cli(['-f', str(tmp_path / 's.subunit'), str(tmp_path / 'a' / 'b' / 'o')])
    assert code == 0 and os.path.isfile(tmp_path / 'a' / 'b' / 'o' / 'config.json')
    # ... unless it cannot.
    (tmp_path / 'file').write_text('')
    code, _, err = _cli(['-f', str(tmp_path / 's.subunit'), str(tmp_path / 'file' / 'o')])
    assert code == 1 and 'cannot create' in err and len(err.splitlines()) == 1
    code, _, err = _cli(['-f', str(tmp_path / 'missing'), str(tmp_path / 'o')])
    assert code == 1 and 'cannot read' in err and 'no such file' in err
    assert len(err.splitlines()) == 1
    code, _, err = _cli(['-r', str(tmp_path), str(tmp_path / 'o')])
    assert code == 1 and 'neither a .stestr' in err


def test_text_that_only_looks_like_v1(tmp_path):
    (tmp_path / 'notes.txt').write_bytes(b'time: to go\nprogress: none\nplain text\n')
    code, out, err = _cli(['-f', str(tmp_path / 'notes.txt'), str(tmp_path / 'o')])
    assert code == 1 and 'no test results' in err, err
    _check_outcome(tmp_path, code, err, str(tmp_path / 'o'))


def test_v1_stream_cut_short(tmp_path):
    v1 = (b'time: 2020-01-01 00:00:00.000000Z\ntest: pkg.A.test_one\n'
          b'time: 2020-01-01 00:00:01.000000Z\nsuccess: pkg.A.test_one\n'
          b'test: pkg.A.test_two\ntime: 2020-01-01 00:00:02.000000Z\n')
    (tmp_path / 'v1.subunit').write_bytes(v1)
    code, out, err = _cli(['-f', str(tmp_path / 'v1.subunit'), str(tmp_path / 'o')])
    assert code == 0 and 'stream cut short' in err
    raw = _raw(tmp_path / 'o', 'v1.subunit')
    assert [t['name'] for t in raw] == ['pkg.A.test_one', 'pkg.A.test_two']
    assert [t['status'] for t in raw] == ['success', 'inprogress']
    assert raw[1]['timestamps'][0] == '2020-01-01T00:00:01.000000+00:00'
    assert raw[1]['unfinished']


def test_random_damage_never_escapes(tmp_path):
    """Seeded random flips, cuts, deletions and insertions in v2, gzip and v1 input:
    always a complete output or a single error line."""
    rng = random.Random(2024)
    v2_data, _ = stream_bytes(tests=20, seed=3, unfinished=1)
    v1_data = (b'time: 2020-01-01 00:00:00.000000Z\n' + b''.join(
        b'test: pkg.T.test_%d\ntime: 2020-01-01 00:00:0%d.000000Z\n'
        b'%s: pkg.T.test_%d [\nline one\nline two\n]\n'
        % (i, i, b'failure' if i % 3 else b'success', i) for i in range(8)))
    for i in range(60):
        source = rng.choice([v2_data, v1_data, gzip.compress(v2_data)])
        data = mutate(rng, source, source is v1_data)
        path = tmp_path / 'fuzz.bin'
        path.write_bytes(data)
        out_dir = tmp_path / 'o'
        shutil.rmtree(out_dir, ignore_errors=True)
        code, out, err = _cli(['-f', str(path), str(out_dir)])
        assert 'unexpected' not in err, (i, err)
        _check_outcome(tmp_path, code, err, str(out_dir))
