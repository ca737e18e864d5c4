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

"""The stream generator: checked by parsing its output with python-subunit itself."""
import datetime
import gzip
import io

import testtools
from subunit import ByteStreamToStreamResult

from stackviz_publish import generate


class _Collect(testtools.StreamResult):
    def __init__(self):
        super().__init__()
        self.final = {}
        self.started = set()
        self.files = {}
        self.tags = {}

    def status(self, test_id=None, test_status=None, test_tags=None, file_name=None,
               file_bytes=None, **kwargs):
        if test_status == 'inprogress':
            self.started.add(test_id)
        elif test_status is not None:
            self.final[test_id] = test_status
            self.tags[test_id] = test_tags
        if file_name:
            key = (test_id, file_name)
            self.files[key] = self.files.get(key, b'') + bytes(file_bytes)


def _parse(data):
    result = _Collect()
    ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name='stdout').run(result)
    return result


def test_stream_matches_summary():
    out = io.BytesIO()
    summary = generate.generate_stream(out, tests=300, workers=3, unfinished=2, seed=7)
    parsed = _parse(out.getvalue())
    statuses = list(parsed.final.values())
    assert statuses.count('fail') == summary['fail']
    assert statuses.count('skip') == summary['skip']
    assert statuses.count('success') == summary['success']
    assert len(parsed.started - set(parsed.final)) == summary['inprogress'] == 2
    assert {t for tags in parsed.tags.values() for t in tags} == {
        'worker-0', 'worker-1', 'worker-2'}
    # Every failure carries a traceback, every skip a reason.
    for test_id, status in parsed.final.items():
        if status == 'fail':
            assert b'Traceback' in parsed.files[(test_id, 'traceback')]
        if status == 'skip':
            assert parsed.files[(test_id, 'reason')]


def test_stream_has_the_awkward_cases():
    out = io.BytesIO()
    generate.generate_stream(out, tests=50, hostile=True, seed=1)
    ids = set(_parse(out.getvalue()).final)
    assert generate.HOSTILE_NAME in ids
    assert any(i.startswith('setUpClass (') for i in ids)
    cleaned = [i.split('[')[0] for i in ids if '[' in i]
    assert len(cleaned) > len(set(cleaned)), 'no two ids collide after cleaning'


def test_same_seed_same_bytes_and_log_size():
    a, b, c = io.BytesIO(), io.BytesIO(), io.BytesIO()
    generate.generate_stream(a, tests=40, seed=3)
    generate.generate_stream(b, tests=40, seed=3)
    generate.generate_stream(c, tests=40, seed=3, log_bytes=20000)
    assert a.getvalue() == b.getvalue()
    assert len(c.getvalue()) > 5 * len(a.getvalue())


def test_big_attachment_is_chunked():
    out = io.BytesIO()
    generate.generate_stream(out, tests=3, workers=1, big_attachment=5 << 20)
    files = _parse(out.getvalue()).files
    assert max(len(v) for v in files.values()) >= 5 << 20


def test_cli_gzip_and_dstat(tmp_path):
    stream = tmp_path / 's.subunit.gz'
    printed = io.StringIO()
    assert generate.main(['stream', '--tests', '30', '--gzip', str(stream)], printed) == 0
    assert 'tests=30' in printed.getvalue()
    assert len(_parse(gzip.decompress(stream.read_bytes())).final) == 30
    dstat = tmp_path / 'dstat.csv'
    generate.main(['dstat', '--start', '2018-09-28T02:46:35', '--seconds', '10', str(dstat)])
    lines = dstat.read_text().splitlines()
    assert lines[0] == '"Dstat 0.7.2 CSV output"'
    assert lines[6].startswith('"time","usr"')
    assert lines[7].startswith('28-09 02:46:35,')
    assert len(lines) == 7 + 10


def test_dstat_interval():
    out = io.StringIO()
    start = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    generate.generate_dstat(out, start, 60, interval=5)
    rows = out.getvalue().splitlines()[7:]
    assert [r[:14] for r in rows[:2]] == ['02-01 03:04:05', '02-01 03:04:10']
    assert len(rows) == 12
