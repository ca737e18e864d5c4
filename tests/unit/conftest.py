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

"""Shared helpers for the exporter's tests: generated streams and reading outputs."""
import gzip
import io
import json
import os

import pytest

from stackviz_publish import generate
from stackviz_publish.writers import datascript

SHARED = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..',
                                       'shared', 'data', 'subunit'))


def stream_bytes(**kwargs):
    out = io.BytesIO()
    summary = generate.generate_stream(out, **kwargs)
    return out.getvalue(), summary


@pytest.fixture
def make_stream(tmp_path):
    """make_stream(name, **generate_stream kwargs) -> (path, summary)."""
    def make(name='tempest.subunit', gzipped=False, **kwargs):
        data, summary = stream_bytes(**kwargs)
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if gzipped else data)
        return str(path), summary
    return make


def read_data(data_dir, rel_path):
    """A data file's text, gunzipped if needed; a data script's payload."""
    path = os.path.join(str(data_dir), rel_path)
    if rel_path.endswith('.js'):
        return datascript.read_script(path)[2]
    with open(path, 'rb') as handle:
        data = handle.read()
    if rel_path.endswith('.gz'):
        data = gzip.decompress(data)
    return data.decode('utf-8')


def default_encoding(data_dir, artifact):
    """The encoding a compressed export gives ``artifact``: gzip-base64, but plain json
    for the stats and the summary's first screen when small (datascript.PLAIN_MAX)."""
    if (artifact['artifact_type'] in ('subunit-stats', 'stackviz-summary')
            and artifact['path'].endswith('.js')
            and len(read_data(data_dir, artifact['path'])) <= datascript.PLAIN_MAX):
        return 'json'
    return 'gzip-base64'


def read_json(data_dir, rel_path):
    return json.loads(read_data(data_dir, rel_path))


def read_twin(data_dir, rel_path):
    """Parse a script twin: stackvizData("path", "encoding", "payload");"""
    text = open(os.path.join(str(data_dir), rel_path), encoding='ascii').read()
    assert text.startswith('stackvizData(') and text.endswith(');\n')
    return json.loads('[' + text[len('stackvizData('):-3] + ']')


def artifacts(data_dir):
    config = read_json(data_dir, 'config.json')
    return config['datasets'][0]['artifacts']


def run_files(data_dir, name):
    """{artifact_type: artifact} for the run called ``name``."""
    return {a['artifact_type']: a for a in artifacts(data_dir) if a['artifact_name'] == name}


def run_names(data_dir):
    """The runs of an export, in order (each has a timeline)."""
    return [a['artifact_name'] for a in artifacts(data_dir)
            if a['artifact_type'] == 'stackviz-timeline']


def shard_tests(data_dir, name):
    """Every test of a run from its test shards, in timeline order: [(shard, id,
    entry with its details)]."""
    shards = run_files(data_dir, name)['stackviz-tests']
    found = []
    for k in range(shards['shard_count']):
        shard = read_json(data_dir, '%s%d%s' % (shards['path'], k, shards['suffix']))
        found += [(k, test_id, entry) for test_id, entry in shard.items()]
    return found


def raw_entries(data_dir, name):
    """A run's tests as v1 raw.json entries (details empty, ``shard`` the test
    shard), rebuilt from the test shards."""
    entries = []
    for k, _test_id, entry in shard_tests(data_dir, name):
        entry = dict(entry, details={})
        entry['shard'] = k
        entries.append(entry)
    return entries


def all_details(data_dir, name):
    """The attachments of a run's tests that have some: {test id: {attachment: text}}."""
    return {test_id: entry['details'] for _k, test_id, entry in shard_tests(data_dir, name)
            if entry['details']}
