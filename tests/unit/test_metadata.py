import json

import pytest

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


@pytest.mark.parametrize('content,message', [
    ('{not json', 'not valid JSON'),
    ('[1, 2]', 'not a JSON object'),
])
def test_bad_zuul_json_is_one_line_error(tmp_path, content, message):
    path = tmp_path / 'zuul.json'
    path.write_text(content)
    with pytest.raises(metadata.MetadataError) as err:
        metadata.from_zuul_json(str(path))
    assert message in str(err.value)
    assert '\n' not in str(err.value)


def test_missing_zuul_json(tmp_path):
    with pytest.raises(metadata.MetadataError, match='cannot read'):
        metadata.from_zuul_json(str(tmp_path / 'nope.json'))


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
