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

"""The data format's one home: dataset keys from the environment, artifact entries,
the run summary."""
from stackviz_publish import export
from stackviz_publish import format as data_format
from stackviz_publish import metadata

ENVIRON = {'ZUUL_PROJECT': 'openstack/nova', 'ZUUL_CHANGE': '12345', 'ZUUL_PATCHSET': '3',
           'ZUUL_PIPELINE': 'check', 'JOB_NAME': 'tempest-full', 'ZUUL_UUID': 'abc',
           'LOG_URL': 'https://logs.example/1/', 'HOME': '/root'}


def test_export_env_writes_the_classic_keys_only():
    assert export.env_fields(ENVIRON) == {
        'change_project': 'openstack/nova', 'change_id': '12345', 'revision': '3',
        'pipeline': 'check', 'name': 'tempest-full'}
    assert export.env_fields({'ZUUL_CHANGE': '', 'LOG_URL': 'x'}) == {}


def test_metadata_reads_every_legacy_variable_from_the_same_map():
    facts = metadata.from_env(ENVIRON)
    assert set(facts) == set(data_format.LEGACY_ENV)
    assert facts['build'] == 'abc' and facts['log_url'] == 'https://logs.example/1/'
    # The classic keys the exporter writes agree with the metadata's classic keys.
    dataset = metadata.to_dataset(facts)
    for key, value in export.env_fields(ENVIRON).items():
        assert dataset[key] == value


def test_artifact_entries():
    plain = data_format.run_artifacts('r', 'r-0-raw.json', 'r-0-details.json',
                                      'r-0-stats.json', 'r-0-details', 4, False)
    assert [a['artifact_type'] for a in plain] == [
        'subunit', 'subunit-details', 'subunit-stats', 'subunit-details-shards']
    assert [a['primary'] for a in plain] == [True, False, False, False]
    assert [a.get('script_path') for a in plain] == [
        'r-0-raw.json.js', None, 'r-0-stats.json.js', None]
    assert plain[3]['shard_count'] == 4 and plain[3]['suffix'] == '.json'
    assert all('content_encoding' not in a for a in plain)
    zipped = data_format.run_artifacts('r', 'r-0-raw.json.gz', None, 'r-0-stats.json.gz',
                                       'r-0-details', 0, True)
    assert len(zipped) == 3 and zipped[2]['suffix'] == '.json.gz'
    assert all(a['content_encoding'] == 'gzip' for a in zipped)
    dstat = data_format.dstat_artifact('dstat-ctl.csv', 'ctl', False, False)
    assert list(dstat) == ['path', 'artifact_name', 'artifact_type', 'content_type',
                           'primary', 'node', 'script_path']
    assert dstat['artifact_name'] == 'dstat-ctl' and dstat['content_type'] == 'text/csv'
    assert data_format.dstat_artifact('dstat.csv', '', True, False)['node'] == 'primary'


def test_run_summary_counts_unfinished_tests_as_tests():
    stats = {'count': 5, 'counts': {'fail': 1, 'uxsuccess': 1, 'skip': 2, 'inprogress': 3},
             'wall_time': 1.5, 'warnings': ['w']}
    summary = data_format.RunSummary.from_stats('r', stats, 99)
    assert (summary.tests, summary.failures, summary.skips, summary.inprogress) == (8, 2, 2, 3)
    assert summary.warnings == ['w'] and summary.warnings is not stats['warnings']
