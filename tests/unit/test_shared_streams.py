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

"""Every real stream in ../shared/data/subunit/ exports with -f and with -r, and the
counts agree with python-subunit's own reading of the stream."""
import io
import os
import shutil

import pytest
import testtools
from subunit import ByteStreamToStreamResult

from stackviz_publish.cli import export_cmd
from tests.unit.conftest import SHARED
from tests.unit.conftest import read_json

pytestmark = pytest.mark.skipif(
    not os.path.isdir(SHARED), reason='shared subunit streams absent: %s' % SHARED)

STREAMS = sorted(n for n in os.listdir(SHARED) if n.endswith('.subunit')) \
    if os.path.isdir(SHARED) else []


def _oracle(path):
    """Final statuses per test, by python-subunit (v2) or its v1 parser."""
    import subunit
    summary = testtools.StreamSummary()
    final = {}

    class Track(testtools.StreamResult):
        def status(self, test_id=None, test_status=None, **kwargs):
            if test_status in ('success', 'fail', 'skip', 'xfail', 'uxsuccess'):
                final[test_id] = final.get(test_id, []) + [test_status]

    result = testtools.CopyStreamResult([summary, Track()])
    result.startTestRun()
    with open(path, 'rb') as stream:
        if stream.peek(1)[:1] == b'\xb3':
            ByteStreamToStreamResult(stream, non_subunit_name='stdout').run(result)
        else:
            case = subunit.ProtocolTestCase(stream, passthrough=io.BytesIO())
            case.run(testtools.ExtendedToStreamDecorator(result))
    result.stopTestRun()
    statuses = [s for values in final.values() for s in values]
    return statuses


def _counts(stats):
    counts = stats['counts']
    return sorted(['success'] * counts['success'] + ['fail'] * counts['fail']
                  + ['skip'] * counts['skip'] + ['xfail'] * counts['xfail']
                  + ['uxsuccess'] * counts['uxsuccess'])


@pytest.mark.parametrize('name', STREAMS)
def test_file_and_repository(tmp_path, name):
    path = os.path.join(SHARED, name)
    out, err = io.StringIO(), io.StringIO()
    assert export_cmd.main(['-f', path, str(tmp_path / 'f')], out, err) == 0, err.getvalue()
    assert err.getvalue() == ''
    stats = read_json(tmp_path / 'f', '%s-0-stats.json' % name)
    assert _counts(stats) == sorted(_oracle(path))
    raw = read_json(tmp_path / 'f', '%s-0-raw.json' % name)
    assert len({t['id'] for t in raw}) == len(raw) == stats['count'] + stats['counts'][
        'inprogress']
    # As a repository: the stream copied in as the latest run of a .stestr folder (a
    # run that is a symlink out of the repository is refused by the input policy).
    repo = tmp_path / '.stestr'
    repo.mkdir()
    shutil.copyfile(path, repo / '3')
    (repo / 'next-stream').write_text('4\n')
    out, err = io.StringIO(), io.StringIO()
    assert export_cmd.main(['-r', str(repo), str(tmp_path / 'r')], out, err) == 0
    assert read_json(tmp_path / 'r', 'stestr-0-stats.json')['counts'] == stats['counts']


def test_known_facts():
    """Spot checks against the table in the shared README."""
    if 'stestr-sample-all_skips.subunit' not in STREAMS:
        pytest.skip('stestr-sample-all_skips.subunit absent')
    out = io.StringIO()
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, 'data')
        assert export_cmd.main(['-f', os.path.join(SHARED, 'stestr-sample-all_skips.subunit'),
                                data], out, io.StringIO()) == 0
        stats = read_json(data, 'stestr-sample-all_skips.subunit-0-stats.json')
        raw = read_json(data, 'stestr-sample-all_skips.subunit-0-raw.json')
    assert stats['counts']['skip'] == 7 and len(stats['workers']) == 4
    assert all(s['details'] for s in stats['skips'])
    assert any(t['name'].endswith('.setUpClass') for t in raw)
