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
"""End to end: a generated devstack job published with its service logs indexed."""
import gzip
import io
import os
import time

import pytest

from stackviz_publish import generate_services
from stackviz_publish import publish
from stackviz_publish import stopping
from stackviz_publish.cli import export_cmd
from stackviz_publish.cli import main as cli_main
from tests.unit import publish_fixtures
from tests.unit.conftest import read_json


@pytest.fixture(scope='module', params=['devstack', 'zuul'])
def job(tmp_path_factory, request):
    """devstack-gate: logs/screen-*.txt.gz in oslo.log format; Zuul v3 devstack:
    controller/logs/screen-*.txt, journal exports."""
    root = str(tmp_path_factory.mktemp('job'))
    summary = generate_services.generate_job(root, tests=40, fail_rate=0.3, seed=6,
                                             log_bytes=400000, layout=request.param,
                                             gzipped=request.param == 'devstack')
    return root, summary


def _logs_rel(root, summary):
    return os.path.relpath(os.path.dirname(summary['files'][0]), root)


def _read(data_dir, rel):
    return read_json(data_dir, rel)


def _service_artifact(data_dir):
    config = _read(data_dir, 'config.json')
    arts = [a for a in config['datasets'][0]['artifacts']
            if a['artifact_type'] == 'service-logs']
    return arts[0] if arts else None


def _published(job, tmp_path, **options):
    root, _summary = job
    site = publish_fixtures.write_site(str(tmp_path / 'site'))
    informed = []
    result = publish.publish(publish.Options(root, site=site, environ={}, **options),
                             warn=informed.append, inform=informed.append)
    return os.path.join(root, 'stackviz', 'data'), result, informed


def _file_lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    return data.decode('utf-8', 'replace').splitlines()


def test_a_failed_test_gets_the_nova_and_cinder_lines_that_served_it(job, tmp_path):
    root, summary = job
    data, result, informed = _published(job, tmp_path, gzip=True)
    assert result.status == publish.PUBLISHED, result.warnings
    assert any('screen-dstat.txt skipped: not an oslo.log file' in m for m in informed)
    art = _service_artifact(data)
    assert art['path'].endswith('-servicelogs/index.js') and art['shard_count'] >= 1
    assert art['path'] == art['script_path'] and art['content_encoding'] == 'gzip-base64'
    assert art['suffix'] == '.js'
    index = _read(data, art['path'])
    files = index['files']
    site_dir = os.path.join(root, 'stackviz')
    for f in files:   # links are relative to the site's page, inside the logs folder
        assert os.path.samefile(os.path.join(site_dir, f['href']), os.path.join(root, f['path']))
    both = 0
    for test_id in summary['failed']:
        shard, count, errors, cut = index['tests'][test_id]
        records = _read(data, '%s%d%s' % (art['shards'], shard, art['suffix']))[test_id]
        rows = records['records']
        assert len(rows) == count and cut == records['cut'] == 0
        assert errors >= 1   # the service's traceback, or the error in its window
        services = {files[row[0]]['service'] for row in rows}
        assert 'n-api' in services or 'c-api' in services or 'g-api' in services \
            or 'q-svc' in services or 'keystone' in services or 's-proxy' in services
        if {'n-api', 'c-api'} <= services:
            both += 1
        for number, line, _when, _level, text in rows:
            lines = _file_lines(os.path.join(root, files[number]['path']))
            assert lines[line - 1] == text.split('\n')[0]
        # each line names one of its requests, or is an error while it ran
        ids = summary['requests'][test_id]
        assert all(any(rid in row[4] for rid in ids) or row[3] in ('ERROR', 'CRITICAL')
                   for row in rows)
        # and every line naming one of them is there
        covered = {(row[0], row[1] + k) for row in rows for k in range(row[4].count('\n') + 1)}
        for number, f in enumerate(files):
            for i, text in enumerate(_file_lines(os.path.join(root, f['path']))):
                if any(rid in text for rid in ids):
                    assert (number, i + 1) in covered, (f['path'], i + 1)
    assert both >= 1


def test_failed_tests_show_their_traceback_whole(job, tmp_path):
    _root, summary = job
    data, _result, _informed = _published(job, tmp_path)
    art = _service_artifact(data)
    index = _read(data, art['path'])
    texts = []
    for test_id in summary['failed']:
        shard = index['tests'][test_id][0]
        texts += [row[4] for row in _read(data, '%s%d%s' % (
            art['shards'], shard, art['suffix']))[test_id]['records']]
    tracebacks = [t for t in texts if 'Traceback (most recent call last)' in t]
    assert tracebacks and all('Failed to process the request' in t.split('\n')[0]
                              and t.count('\n') == 6 for t in tracebacks)


def test_turned_off_nothing_changes(job, tmp_path):
    data, _result, informed = _published(job, tmp_path, service_logs=False)
    assert _service_artifact(data) is None
    assert not [n for n in os.listdir(data) if 'servicelogs' in n]
    assert not [m for m in informed if 'service logs' in m]


def test_publish_cli_flags(job, tmp_path):
    root, summary = job
    site = publish_fixtures.write_site(str(tmp_path / 'site'))
    out, err = io.StringIO(), io.StringIO()
    code = cli_main.main(['publish', root, '--site', site, '--service-logs',
                          _logs_rel(root, summary) + '/screen-n-*'], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    data = os.path.join(root, 'stackviz', 'data')
    index = _read(data, _service_artifact(data)['path'])
    assert {f['service'] for f in index['files']} == {'n-api', 'n-cond', 'n-cpu', 'n-sch'}
    code = cli_main.main(['publish', root, '--site', site, '--no-service-logs'],
                         stdout=out, stderr=err)
    assert code == 0 and _service_artifact(data) is None


def test_export_is_unchanged_without_the_flag(job, tmp_path):
    root, summary = job
    stream = summary['stream']
    plain, with_logs = str(tmp_path / 'a' / 'data'), str(tmp_path / 'b' / 'data')
    err = io.StringIO()
    assert export_cmd.main(['-f', stream, plain], io.StringIO(), err) == 0
    assert export_cmd.main(['-f', stream, '--service-logs',
                            os.path.join(root, _logs_rel(root, summary), 'screen-*'),
                            with_logs], io.StringIO(), err) == 0
    # an export with service logs is recognised as ours: it is replaced without --replace
    assert export_cmd.main(['-f', stream, '--service-logs',
                            os.path.join(root, _logs_rel(root, summary), 'screen-*'),
                            with_logs], io.StringIO(), err) == 0, err.getvalue()
    extra = set(os.listdir(with_logs)) - set(os.listdir(plain))
    assert extra == {'testrepository.subunit.gz-0-servicelogs'}
    assert _service_artifact(plain) is None
    index = _read(with_logs, 'testrepository.subunit.gz-0-servicelogs/index.js')
    href = index['files'][0]['href']
    assert os.path.samefile(os.path.join(str(tmp_path / 'b'), href),
                            os.path.join(root, index['files'][0]['path']))
    for name in ('raw.json', 'stats.json', 'timeline.js'):
        rel = 'testrepository.subunit.gz-0-' + name
        assert _read(plain, rel) == _read(with_logs, rel)


def test_bad_service_logs_are_notes_and_the_rest_is_published(tmp_path):
    root = str(tmp_path / 'job')
    summary = generate_services.generate_job(root, tests=20, fail_rate=0.3, seed=6,
                                             log_bytes=100000, extras=False)
    logs = os.path.join(root, 'logs')
    with open(os.path.join(logs, 'screen-binary.txt'), 'wb') as f:
        f.write(b'\x7fELF\x00\x00' * 1000)
    with open(os.path.join(logs, 'screen-bad.txt.gz'), 'wb') as f:
        f.write(b'\x1f\x8b\x08\x00' + b'not really deflate' * 100)
    with open(os.path.join(logs, 'screen-long.txt'), 'w') as f:
        f.write('2018-09-28 02:46:35.000 1 INFO x [-] start\n' + 'y' * (2 << 20) + '\n')
    os.mkfifo(os.path.join(logs, 'screen-fifo.txt'))
    os.symlink('/etc/passwd', os.path.join(logs, 'screen-link.txt'))
    data, result, informed = _published((root, summary), tmp_path)
    assert result.status == publish.PUBLISHED, result.warnings
    notes = '\n'.join(informed)
    for expected in ('logs/screen-binary.txt skipped: a binary file',
                     'logs/screen-bad.txt.gz: damaged after 0 bytes',
                     'logs/screen-long.txt: 1 line(s) longer than',
                     'logs/screen-fifo.txt not read: not a regular file (a FIFO)',
                     'logs/screen-link.txt not read: a symlink leading out of'):
        assert expected in notes
    index = _read(data, _service_artifact(data)['path'])
    assert len(index['notes']) == 5
    assert all(test_id in index['tests'] for test_id in summary['failed'])


def test_the_pass_ends_before_the_publish_time_limit():
    assert publish._service_log_deadline(300, now=100.0) == 400.0
    assert publish._service_log_deadline(0, now=100.0) is None
    with stopping.guarded(time_limit=60):
        deadline = publish._service_log_deadline(300)
        left = deadline - time.monotonic()
        assert 35 < left <= 40   # two thirds of the 60 s left
