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

"""Writers: script twins, gzip, shards and the atomic output folder."""
import base64
import gzip
import json
import os

import pytest

from stackviz_publish import atomic_folders
from stackviz_publish.format import twin_path
from stackviz_publish.writers import datafile
from stackviz_publish.writers import output
from tests.unit.conftest import read_twin


def test_twin_paths():
    assert twin_path('x-raw.json.gz') == 'x-raw.json.js'
    assert twin_path('x-raw.json') == 'x-raw.json.js'
    assert twin_path('x-0-details/12.json.gz') == os.path.join('x-0-details', '12.js')
    assert twin_path('config.json') == 'config.js'
    assert twin_path('dstat.csv') == 'dstat.csv.js'


@pytest.mark.parametrize('gzipped', [False, True])
def test_streamed_file_and_twin_agree(tmp_path, gzipped):
    out = datafile.DataFile(str(tmp_path), 'a.json', gzipped)
    text = ['[', '"caf\\u00e9 </script>"', ',' + json.dumps('x' * 300000), ']']
    for part in text:
        out.write(part)
    size = out.close()
    raw = (tmp_path / out.rel_path).read_bytes()
    if gzipped:
        raw = gzip.decompress(raw)
    assert raw.decode() == ''.join(text)
    path, encoding, payload = read_twin(tmp_path, 'a.json.js')
    assert path == out.rel_path
    if gzipped:
        assert encoding == 'gzip-base64'
        payload = gzip.decompress(base64.b64decode(payload)).decode()
    else:
        assert encoding == 'json'
    assert json.loads(payload) == ['café </script>', 'x' * 300000]
    assert size == os.path.getsize(tmp_path / out.rel_path) + os.path.getsize(
        tmp_path / 'a.json.js')


def test_write_whole_text_twin(tmp_path):
    datafile.write_whole(str(tmp_path), 'd.csv', 'a,b\n1,2\n', encoding='text')
    assert read_twin(tmp_path, 'd.csv.js') == ['d.csv', 'text', 'a,b\n1,2\n']


def test_atomic_folder_replaces_or_leaves_untouched(tmp_path):
    target = tmp_path / 'data'
    target.mkdir()
    (target / 'old').write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_folders.AtomicFolder(str(target)) as tmp:
            open(os.path.join(tmp, 'new'), 'w').write('half')
            raise RuntimeError('writer died')
    assert sorted(os.listdir(tmp_path)) == ['data']
    assert os.listdir(target) == ['old']
    with atomic_folders.AtomicFolder(str(target)) as tmp:
        open(os.path.join(tmp, 'new'), 'w').write('whole')
    assert sorted(os.listdir(tmp_path)) == ['data']
    assert os.listdir(target) == ['new']
    with pytest.raises(OSError, match='does not exist'):
        with atomic_folders.AtomicFolder(str(tmp_path / 'no' / 'data')):
            pass


def test_dataset_fields():
    entry = output.dataset({'name': 'job', 'pipeline': 'check', 'project': 'nova',
                            'metadata': {'build': 'b1'}},
                           {'change_id': '123', 'name': 'env-job'})
    assert entry['name'] == 'job' and entry['change_id'] == '123'
    assert entry['pipeline'] == 'check' and entry['url'] is None
    assert entry['metadata'] == {'project': 'nova', 'build': 'b1'}
    assert 'metadata' not in output.dataset()


def test_test_json_is_json_dumps():
    from stackviz_publish.writers.run import test_json

    def same(entry, details):
        head, tail = test_json(entry)
        assert json.loads(head + json.dumps(details) + tail) == dict(entry, details=details)
        assert head + json.dumps(details) + tail == json.dumps(dict(entry, details=details))

    entry = {'name': 'a<"\u00e9\u2028\\', 'status': 'fail', 'tags': ['worker-1', 'x'],
             'timestamps': ['2018-01-01T00:00:00.000000+00:00', None],
             'duration': 1.5e-06, 'details': {}, 'id': 'x #2', 'worker': 3}
    same(entry, {'log': 'x\ny "z"'})
    entry.update(worker=None, tags=[], duration=123456.25)
    same(entry, {})
    entry['unfinished'] = True
    same(entry, {})
    entry['worker_guessed'] = True
    same(entry, {'a': ''})
    entry['duration'] = 0    # not the usual entry: json.dumps
    same(entry, {'b': 'c'})
    entry['other'] = [1]
    same(entry, {})
