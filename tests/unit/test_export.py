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

"""export_runs, end to end on generated streams: what it writes matches what the
generator wrote."""
import gzip
import os
import re

import pytest

from stackviz_publish import export
from stackviz_publish import limits
from stackviz_publish import generate
from stackviz_publish.writers.timeline import read_ids
from tests.unit.conftest import all_details
from tests.unit.conftest import default_encoding
from tests.unit.conftest import artifacts
from tests.unit.conftest import read_data
from tests.unit.conftest import read_json
from tests.unit.conftest import read_twin
from tests.unit.conftest import raw_entries
from tests.unit.conftest import run_files
from tests.unit.conftest import shard_tests


def _export(paths, out, **kwargs):
    warnings = []
    sources = [export.Source(os.path.basename(p), path=p) for p in paths]
    summaries = export.export_runs(sources, str(out), warn=warnings.append, **kwargs)
    return summaries, warnings


def test_counts_files_and_shards(make_stream, tmp_path):
    path, summary = make_stream(tests=400, workers=4, unfinished=2, hostile=True, seed=2)
    out = tmp_path / 'data'
    (summ,), warnings = _export([path], out)
    assert warnings == []
    assert (summ.tests, summ.failures, summ.skips, summ.inprogress) == (
        summary['finished'] + 2, summary['fail'], summary['skip'], 2)
    assert summ.total_bytes > 0 and summ.wall_time > 0
    files = run_files(out, 'tempest.subunit')
    assert set(files) == {'subunit-stats', 'stackviz-timeline', 'stackviz-tests',
                          'stackviz-ids', 'stackviz-summary'}
    assert all(a['path'] == a['script_path'] and a['content_encoding'] == default_encoding(out, a)
               for a in files.values() if a['path'].endswith('.js'))
    raw = raw_entries(out, 'tempest.subunit')
    stats = read_json(out, files['subunit-stats']['path'])
    assert sorted(t['id'] for t in raw) == sorted(summary['ids'])
    assert len({t['id'] for t in raw}) == len(raw)
    assert [t['status'] for t in raw[-2:]] == ['inprogress', 'inprogress']
    assert stats['counts']['fail'] == summary['fail']
    assert stats['count'] == summary['finished'] and stats['format_version'] == 2
    assert stats['workers'] == [0, 1, 2, 3]
    assert all(f['details'] and f['details'][-1] for f in stats['failures'])
    assert all(s['details'] for s in stats['skips'])
    # Every test is in a shard, in timeline order, with its attachments.
    timeline = read_json(out, files['stackviz-timeline']['path'])
    assert read_ids(timeline['ids']) == [t['id'] for t in raw]
    tests = files['stackviz-tests']
    assert timeline['shards'] == {'path': tests['path'], 'starts': [
        i for i, t in enumerate(raw) if i == 0 or raw[i - 1]['shard'] != t['shard']]}
    assert len(os.listdir(out / tests['path'])) == tests['shard_count'] > 1
    details = all_details(out, 'tempest.subunit')
    assert 0 < len(details) <= len(raw)
    hostile = details[generate.HOSTILE_NAME]
    assert hostile['pythonlogging'].startswith('</script>')
    assert read_twin(out, 'config.js')[2] == read_data(out, 'config.json')
    assert read_json(out, 'config.json')['format_version'] == 2


def test_no_compress_gives_the_same_data(make_stream, tmp_path):
    path, _ = make_stream(tests=150, seed=4)
    _export([path], tmp_path / 'plain', gzip=False)
    _export([path], tmp_path / 'gz')
    plain = {a['artifact_type']: a for a in artifacts(tmp_path / 'plain')}
    zipped = {a['artifact_type']: a for a in artifacts(tmp_path / 'gz')}
    assert set(plain) == set(zipped)
    for kind in plain:
        assert zipped[kind]['path'] == plain[kind]['path']
        assert zipped[kind]['content_encoding'] == default_encoding(tmp_path / 'gz', zipped[kind])
        assert plain[kind]['content_encoding'] == 'json'
    for kind in ('subunit-stats', 'stackviz-timeline'):
        assert read_data(tmp_path / 'gz', zipped[kind]['path']) == read_data(
            tmp_path / 'plain', plain[kind]['path'])
    assert shard_tests(tmp_path / 'gz', 'tempest.subunit') == shard_tests(
        tmp_path / 'plain', 'tempest.subunit')
    # Nothing but data scripts and config.json.
    names = [os.path.join(folder, name) for folder, _, names in os.walk(tmp_path / 'gz')
             for name in names]
    assert all(n.endswith('.js') or n.endswith('config.json') for n in names)


def test_classic_adds_the_classic_files(make_stream, tmp_path):
    path, summary = make_stream(tests=150, seed=4, unfinished=1)
    _export([path], tmp_path / 'v2')
    _export([path], tmp_path / 'classic', classic=True)
    files = run_files(tmp_path / 'classic', 'tempest.subunit')
    assert files['subunit']['path'] == 'tempest.subunit-0-raw.json.gz'
    assert files['subunit']['primary'] and not files['stackviz-timeline']['primary']
    assert 'script_path' not in files['subunit']
    assert 'script_path' not in files['subunit-details']
    raw = read_json(tmp_path / 'classic', files['subunit']['path'])
    assert raw == raw_entries(tmp_path / 'v2', 'tempest.subunit')
    classic = read_json(tmp_path / 'classic', files['subunit-details']['path'])
    details = all_details(tmp_path / 'v2', 'tempest.subunit')
    assert classic == {t['name']: details[t['id']] for t in raw if t['id'] in details}
    # The v2 files are the same as without --classic.
    for kind in ('subunit-stats', 'stackviz-timeline'):
        assert read_data(tmp_path / 'classic', files[kind]['path']) == read_data(
            tmp_path / 'v2', files[kind]['path'])


def test_several_streams_and_gzip_input(make_stream, tmp_path):
    a, sa = make_stream('tempest.subunit', tests=30, seed=1)
    b, sb = make_stream('tempest.subunit.gz', gzipped=True, tests=40, seed=2)
    os.mkdir(tmp_path / 'other')
    c, sc = make_stream(os.path.join('other', 'tempest.subunit'), tests=50, seed=3)
    summaries, _ = _export([a, b, c], tmp_path / 'data')
    assert [s.name for s in summaries] == ['tempest.subunit', 'tempest.subunit.gz',
                                           'tempest.subunit-2']
    assert [s.tests for s in summaries] == [30, 40, 50]
    primaries = [x['path'] for x in artifacts(tmp_path / 'data') if x['primary']]
    assert primaries == ['tempest.subunit-0-timeline.js', 'tempest.subunit.gz-0-timeline.js',
                         'tempest.subunit-2-0-timeline.js']


def test_metadata_env_and_dstat(make_stream, tmp_path, monkeypatch):
    path, _ = make_stream(tests=10)
    logs = []
    for node in ('primary', 'compute1'):
        log = tmp_path / ('%s.csv' % node)
        with open(log, 'w') as out:
            generate.generate_dstat(out, generate.DEFAULT_START, 30, host=node)
        logs.append((node, str(log)))
    bogus = tmp_path / 'bogus.csv'
    bogus.write_text('not dstat at all\n')
    logs.append(('compute2', str(bogus)))
    monkeypatch.setenv('ZUUL_PROJECT', 'openstack/nova')
    monkeypatch.setenv('ZUUL_CHANGE', '4242')
    monkeypatch.setenv('JOB_NAME', 'tempest-full')
    for compress in (True, False):
        data = tmp_path / ('data-%s' % compress)
        _, warnings = _export([path], data, dstat_logs=logs, env=True, gzip=compress,
                              metadata={'pipeline': 'gate', 'zuul_build': 'abc'})
        config = read_json(data, 'config.json')
        dataset = config['datasets'][0]
        assert (dataset['change_project'], dataset['change_id'], dataset['name'],
                dataset['pipeline']) == ('openstack/nova', '4242', 'tempest-full', 'gate')
        assert dataset['metadata'] == {'zuul_build': 'abc'}
        dstats = [a for a in dataset['artifacts'] if a['artifact_type'] == 'dstat']
        assert [(a['path'], a['artifact_name'], a['node'], a['content_encoding'])
                for a in dstats] == [
            ('dstat.csv.js', 'dstat-csv.log', 'primary', 'gzip-base64' if compress else 'text'),
            ('dstat-compute1.csv.js', 'dstat-compute1', 'compute1',
             'gzip-base64' if compress else 'text')]
        assert read_data(data, 'dstat.csv.js') == open(logs[0][1]).read()
        assert len(warnings) == 1 and 'bogus.csv' in warnings[0] and 'not used' in warnings[0]
        assert config['format_version'] == 2 and config['script'] == 'config.js'


def test_replaces_existing_output_and_limits(make_stream, tmp_path):
    out = tmp_path / 'data'
    out.mkdir()
    (out / 'stale.json').write_text('{}')
    path, _ = make_stream(tests=20, log_bytes=5000)
    with pytest.raises(export.ExportError, match='not a stackviz export'):
        _export([path], out)   # a folder of someone else's files is not replaced...
    assert (out / 'stale.json').exists()
    (summ,), warnings = _export([path], out,   # ...unless asked
                                limits=limits.Limits(max_attachment_bytes=1000),
                                replace=True)
    assert not (out / 'stale.json').exists()
    assert 'subunit-details' not in run_files(out, 'tempest.subunit')
    details = all_details(out, 'tempest.subunit')
    log = next(iter(details.values()))['pythonlogging']
    assert re.search(r'\n\[stackviz: cut at 1000 bytes of \d{4} \(--max-attachment-bytes\)\]$',
                     log)
    cuts = [w for w in warnings if 'cut at --max-attachment-bytes=1000' in w]
    assert len(cuts) == 1 and re.fullmatch(
        r'.*tempest.subunit: \d+ attachment\(s\) cut at --max-attachment-bytes=1000 bytes per '
        r'attachment \(marked "\[stackviz: \.\.\.\]"\)', cuts[0])
    assert summ.warnings
    assert sorted(os.listdir(tmp_path)) == ['data', 'tempest.subunit']
    _export([path], out)   # an earlier v2 export is replaced without --replace


def test_repository_sources(make_stream, tmp_path):
    repo = tmp_path / '.stestr'
    repo.mkdir()
    data_a = make_stream(os.path.join('.stestr', '0'), tests=5)
    make_stream(os.path.join('.stestr', '1'), tests=7, gzipped=False)
    (repo / 'next-stream').write_text('2\n')
    (source,) = export.sources_from_repository(str(repo))
    assert source.path == str(repo / '1') and source.name == '.stestr'
    (summ,), _ = _export([source.path], tmp_path / 'data')
    assert summ.tests == 7
    summaries = export.export_runs(export.sources_from_repository(str(tmp_path), 0),
                                   str(tmp_path / 'data'), warn=lambda m: None)
    assert summaries[0].name == 'stestr' and summaries[0].tests == 5 == data_a[1]['tests']
    with pytest.raises(export.ExportError, match='no run 9'):
        export.sources_from_repository(str(repo), 9)


def test_gzip_stream_from_stdin_like_object(tmp_path):
    import io
    out = io.BytesIO()
    generate.generate_stream(out, tests=12)
    stream = io.BytesIO(gzip.compress(out.getvalue()))
    (summ,) = export.export_runs([export.Source('stdin', stream=stream)],
                                 str(tmp_path / 'data'), warn=lambda m: None)
    assert summ.name == 'stdin' and summ.tests == 12
