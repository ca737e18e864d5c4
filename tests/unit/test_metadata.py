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

import json
import os

import pytest
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

from stackviz_publish import metadata

ZUUL_VAR = {
    'project': {'name': 'openstack/nova', 'canonical_name': 'opendev.org/openstack/nova'},
    'change': '123456', 'patchset': '7', 'pipeline': 'check',
    'job': 'tempest-full-py3', 'build': '0123456789abcdef', 'branch': 'master',
}


def test_legacy_environment():
    env = {'ZUUL_PROJECT': 'openstack/nova', 'ZUUL_CHANGE': '42', 'ZUUL_PATCHSET': '3',
           'ZUUL_PIPELINE': 'gate', 'JOB_NAME': 'gate-tempest-dsvm-full',
           'ZUUL_UUID': 'abc', 'UNRELATED': 'x', 'LOG_URL': ''}
    assert metadata.from_env(env) == {
        'project': 'openstack/nova', 'change': '42', 'patchset': '3', 'pipeline': 'gate',
        'job': 'gate-tempest-dsvm-full', 'build': 'abc'}


def test_zuul_v3_has_no_environment():
    assert metadata.from_env({'HOME': '/root'}) == {}


@pytest.mark.parametrize('wrapped', [True, False])
def test_zuul_json_bare_or_wrapped(tmp_path, wrapped):
    path = tmp_path / 'zuul.json'
    path.write_text(json.dumps({'zuul': ZUUL_VAR} if wrapped else ZUUL_VAR))
    assert metadata.from_zuul_json(str(path)) == {
        'project': 'openstack/nova', 'change': '123456', 'patchset': '7',
        'pipeline': 'check', 'job': 'tempest-full-py3', 'build': '0123456789abcdef'}


def test_zuul_json_periodic_job_has_no_change(tmp_path):
    path = tmp_path / 'zuul.json'
    path.write_text(json.dumps({'project': {'name': 'openstack/tempest'},
                                'pipeline': 'periodic', 'job': {'name': 'nightly'}}))
    assert metadata.from_zuul_json(str(path)) == {
        'project': 'openstack/tempest', 'pipeline': 'periodic', 'job': 'nightly'}


def read_zuul_json(tmp_path, content):
    """from_zuul_json over ``content`` (text or bytes): (facts, warnings)."""
    path = tmp_path / 'zuul.json'
    if isinstance(content, str):
        content = content.encode('utf-8')
    path.write_bytes(content)
    warnings = []
    facts = metadata.from_zuul_json(str(path), warnings.append)
    return facts, warnings


@pytest.mark.parametrize('content,message', [
    ('{not json', 'not valid JSON'),
    ('[1, 2]', 'the zuul variable is a list, not a JSON object'),
    ('"zuul"', 'the zuul variable is text, not a JSON object'),
    ('{"zuul": 5}', '"zuul" is a number, not an object'),
    ('{"zuul": {"items": [1]}}', 'no change: zuul.items[-1] is a number, of the wrong type'),
    ('{"items": "abc"}', 'no change: zuul.items is text, of the wrong type'),
    ('{"project": ["a"]}', 'no project: zuul.project is a list, of the wrong type'),
    ('{"project": {"name": {"x": 1}}}', 'no project: zuul.project.name is an object, of the wrong'),
    ('{"change": true}', 'no change: zuul.change is true/false, of the wrong type'),
    ('[' * 100000 + ']' * 100000, 'nested too deeply'),
    ('{"change": ' + '1' * 5000 + '}', 'not valid JSON'),
    (b'\xff\xfe{', 'not valid JSON'),
    ('', 'not valid JSON'),
])
def test_bad_zuul_json_is_one_warning(tmp_path, content, message):
    facts, warnings = read_zuul_json(tmp_path, content)
    assert facts == {}
    assert len(warnings) == 1 and message in warnings[0], warnings
    assert '\n' not in warnings[0]


def test_what_is_readable_is_used(tmp_path):
    facts, warnings = read_zuul_json(tmp_path, json.dumps({'zuul': {
        'project': 5, 'change': {'x': 1}, 'items': [{'change': '77'}], 'pipeline': 'gate',
        'job': ['a'], 'build': None, 'log_url': ''}}))
    assert facts == {'project': '5', 'change': '77', 'pipeline': 'gate'}
    assert warnings == ['job metadata: no job: zuul.job is a list, of the wrong type']


def test_values_and_file_are_capped(tmp_path):
    long = 'x' * (metadata.MAX_VALUE_CHARS + 10)
    facts, warnings = read_zuul_json(tmp_path, json.dumps({'job': long, 'pipeline': 'p'}))
    assert facts['job'] == 'x' * metadata.MAX_VALUE_CHARS + metadata.CUT_MARKER
    assert facts['pipeline'] == 'p'
    assert warnings == ['job metadata: zuul.job cut at %d characters of %d'
                        % (metadata.MAX_VALUE_CHARS, len(long))]
    big = json.dumps({'job': 'j', 'pad': 'y' * metadata.MAX_FILE_BYTES})
    facts, warnings = read_zuul_json(tmp_path, big)
    assert facts == {} and 'larger than %d bytes' % metadata.MAX_FILE_BYTES in warnings[0]
    env = metadata.from_env({'JOB_NAME': long, 'ZUUL_PIPELINE': 'gate'}, warnings.append)
    assert env == {'job': 'x' * metadata.MAX_VALUE_CHARS + metadata.CUT_MARKER,
                   'pipeline': 'gate'}
    assert 'environment job cut' in warnings[-1]
    # A value cut once is not cut again when the sources are merged.
    assert metadata.merge(env, {}, {}) == env


def test_unreadable_zuul_json_is_a_warning(tmp_path):
    warnings = []
    assert metadata.from_zuul_json(str(tmp_path / 'nope.json'), warnings.append) == {}
    assert warnings == ['job metadata: cannot read %s: no such file; publishing without '
                        'it' % (tmp_path / 'nope.json')]
    os.mkfifo(str(tmp_path / 'fifo'))
    assert metadata.from_zuul_json(str(tmp_path / 'fifo'), warnings.append) == {}
    assert 'not a regular file (a FIFO)' in warnings[-1]


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(['zuul', 'project', 'name', 'canonical_name', 'change', 'items',
                     'patchset', 'pipeline', 'job', 'build', 'log_url', 'other']),
    inner, max_size=6), max_leaves=30)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=JSON)
def test_any_json_shape_gives_text_facts_or_warnings(tmp_path, data):
    facts, warnings = read_zuul_json(tmp_path, json.dumps(data))
    assert set(facts) <= set(metadata.FIELDS)
    for value in facts.values():
        assert isinstance(value, str) and 0 < len(value) <= metadata.MAX_VALUE_CHARS
    assert all(isinstance(w, str) and '\n' not in w for w in warnings)
    dataset = metadata.to_dataset(metadata.merge(facts))
    json.dumps(dataset)   # what goes into config.json is JSON-able


def test_flags_override_file_override_env():
    env = {'project': 'env/p', 'change': '1', 'job': 'env-job', 'pipeline': 'gate'}
    from_file = {'project': 'file/p', 'change': '2'}
    flags = {'project': 'flag/p', 'change': None, 'job': ''}
    assert metadata.merge(env, from_file, flags) == {
        'project': 'flag/p', 'change': '2', 'job': 'env-job', 'pipeline': 'gate'}


def test_dataset_has_classic_keys_and_metadata_object():
    facts = {'project': 'openstack/nova', 'change': '42', 'patchset': '3',
             'pipeline': 'check', 'job': 'tempest-full', 'build': 'b1',
             'log_url': 'https://logs.example.org/42/3/'}
    dataset = metadata.to_dataset(facts)
    assert dataset['change_project'] == 'openstack/nova'
    assert dataset['change_id'] == '42'
    assert dataset['revision'] == '3'
    assert dataset['pipeline'] == 'check'
    assert dataset['name'] == 'tempest-full'
    assert dataset['url'] == 'https://logs.example.org/42/3/'
    assert dataset['metadata'] == facts
    assert metadata.to_dataset({}) == {}
