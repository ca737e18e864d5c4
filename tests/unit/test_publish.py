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

"""End to end: publish over generated logs folders, one per layout gate jobs have."""
import io
import json
import os

import pytest

from stackviz_publish.cli import main as cli_main
from stackviz_publish.cli import harness
from stackviz_publish.cli import publish_cmd
from stackviz_publish.writers.timeline import read_ids

from tests.unit import publish_fixtures as fx
from tests.unit.conftest import default_encoding
from tests.unit.conftest import read_data
from tests.unit.conftest import read_json

ENV_KEYS = ('ZUUL_PROJECT', 'ZUUL_CHANGE', 'ZUUL_PATCHSET', 'ZUUL_PIPELINE', 'JOB_NAME',
            'ZUUL_UUID', 'LOG_URL', 'STACKVIZ_SITE', 'STACKVIZ_DEBUG')


@pytest.fixture
def site(tmp_path_factory, monkeypatch):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    path = fx.write_site(str(tmp_path_factory.mktemp('built-site')))
    monkeypatch.setenv('STACKVIZ_SITE', path)
    return path


def run_cli(argv, stdin=None, environ=None):
    """Run ``stackviz-publish publish ...`` in process; return (code, stdout, stderr)."""
    parser = cli_main.build_parser([publish_cmd])
    args = parser.parse_args(['publish'] + argv)
    out, err = io.StringIO(), io.StringIO()
    if environ is not None and 'STACKVIZ_SITE' in os.environ:
        environ = dict(environ, STACKVIZ_SITE=os.environ['STACKVIZ_SITE'])
    code = publish_cmd.run(args, out, err, environ=environ, stdin=stdin)
    return code, out.getvalue(), err.getvalue()


def config(logs):
    with open(os.path.join(logs, 'stackviz', 'data', 'config.json')) as f:
        return json.load(f)


def artifacts(cfg, kind):
    return [a for d in cfg['datasets'] for a in d['artifacts'] if a['artifact_type'] == kind]


def load_data(logs, rel):
    return read_json(os.path.join(logs, 'stackviz', 'data'), rel)


def test_devstack_gate_layout(tmp_path, site):
    logs, summary = fx.devstack_gate(str(tmp_path / 'ws'), tests=80, unfinished=1)
    code, out, err = run_cli([str(tmp_path / 'ws')], environ={})
    assert code == 0, err
    published = os.path.join(str(tmp_path / 'ws'), 'stackviz')
    assert out.splitlines()[0] == 'stackviz-publish: published %s (%s)' % (
        os.path.join(published, 'index.html'), out.split('(')[1].split(')')[0])
    line = out.splitlines()[1]
    assert line.startswith('testrepository.subunit.gz: %d tests, %s, %d skips, '
                           '1 unfinished, wall time ' % (
                               summary['tests'], harness.plural(summary['fail'], 'failure'),
                               summary['skip']))
    with open(os.path.join(published, 'index.html')) as f:
        assert 'stand-in site' in f.read()
    # The site's own development data is not published.
    assert not os.path.exists(os.path.join(published, 'data', 'dev-sample.json'))
    cfg = config(str(tmp_path / 'ws'))
    timeline = artifacts(cfg, 'stackviz-timeline')
    assert len(timeline) == 1 and timeline[0]['primary']
    assert artifacts(cfg, 'subunit') == artifacts(cfg, 'subunit-details') == []
    assert load_data(str(tmp_path / 'ws'), timeline[0]['path'])['count'] == summary['tests']
    dstat = artifacts(cfg, 'dstat')
    assert [a.get('node') for a in dstat] == ['primary']
    # Nothing left behind next to the site.
    assert sorted(os.listdir(str(tmp_path / 'ws'))) == ['logs', 'stackviz']


def test_zuul_v3_layout_with_zuul_json(tmp_path, site):
    logs, work, summary = fx.zuul_v3(str(tmp_path))
    zuul = tmp_path / 'zuul.json'
    zuul.write_text(json.dumps({'zuul': {
        'project': {'name': 'openstack/nova'}, 'change': '4242', 'patchset': '5',
        'pipeline': 'check', 'job': 'tempest-full-py3', 'build': 'b' * 32}}))
    code, out, err = run_cli([logs, '--work-dir', work, '--zuul-json', str(zuul),
                              '--log-url', 'https://logs.example.org/42/', '--strict'],
                             environ={})
    assert code == 0, err  # a choice between inputs is a note, not a warning
    assert err == ''
    # testrepository.subunit chosen over .stestr, and the user is told.
    assert out.splitlines()[0].startswith('stackviz-publish: note: using ')
    assert 'the same run' in out.splitlines()[0]
    assert out.splitlines()[2].startswith('testrepository.subunit: %d tests'
                                          % summary['finished'])
    dataset = config(logs)['datasets'][0]
    assert dataset['change_project'] == 'openstack/nova'
    assert dataset['change_id'] == '4242'
    assert dataset['metadata']['job'] == 'tempest-full-py3'
    assert dataset['metadata']['log_url'] == 'https://logs.example.org/42/'


def test_tempest_stestr_layout(tmp_path, site):
    summary = fx.write_stestr(str(tmp_path / 'tempest' / '.stestr'), tests=40)
    code, out, err = run_cli([str(tmp_path)], environ={})
    assert code == 0, err
    assert ': %d tests' % summary['finished'] in out
    assert len(artifacts(config(str(tmp_path)), 'stackviz-timeline')) == 1


def test_any_subunit_files_and_multinode_dstat(tmp_path, site):
    fx.write_stream(str(tmp_path / 'unit.subunit'), tests=20, seed=3)
    fx.write_stream(str(tmp_path / 'functional' / 'functional.subunit.gz'), tests=30, seed=4)
    fx.write_dstat(str(tmp_path / 'dstat-csv_log.txt'), host='controller')
    fx.write_dstat(str(tmp_path / 'subnode-2' / 'dstat-csv_log.txt'), host='compute')
    code, out, err = run_cli([str(tmp_path)], environ={})
    assert code == 0, err
    cfg = config(str(tmp_path))
    assert len(artifacts(cfg, 'stackviz-timeline')) == 2
    assert sorted(a.get('node') for a in artifacts(cfg, 'dstat')) == ['primary', 'subnode-2']


def test_legacy_environment_metadata(tmp_path, site):
    fx.devstack_gate(str(tmp_path), tests=10)
    env = {'ZUUL_PROJECT': 'openstack/cinder', 'ZUUL_CHANGE': '77', 'ZUUL_PATCHSET': '2',
           'ZUUL_PIPELINE': 'gate', 'JOB_NAME': 'gate-tempest-dsvm-full'}
    code, _, err = run_cli([str(tmp_path)], environ=env)
    assert code == 0, err
    dataset = config(str(tmp_path))['datasets'][0]
    assert dataset['change_project'] == 'openstack/cinder'
    assert dataset['name'] == 'gate-tempest-dsvm-full'
    assert dataset['revision'] == '2'
    # Flags win over the environment; --no-env drops it.
    run_cli([str(tmp_path), '--project', 'openstack/swift'], environ=env)
    assert config(str(tmp_path))['datasets'][0]['change_project'] == 'openstack/swift'
    run_cli([str(tmp_path), '--no-env'], environ=env)
    assert config(str(tmp_path))['datasets'][0].get('change_project') in (None, '')


def test_explicit_subunit_from_stdin_and_dstat(tmp_path, site):
    data, summary = fx.stream_bytes(tests=25)
    fx.write_dstat(str(tmp_path / 'elsewhere' / 'node-a.csv'))
    fx.devstack_gate(str(tmp_path / 'ignored'), tests=5)  # discovery is off
    logs = tmp_path / 'logs'
    logs.mkdir()
    code, out, err = run_cli([str(logs), '--subunit', '-', '--dstat',
                              'ctl=' + str(tmp_path / 'elsewhere' / 'node-a.csv')],
                             stdin=io.BytesIO(data), environ={})
    assert code == 0, err
    assert out.splitlines()[1].startswith('stdin: %d tests' % summary['finished'])
    assert [a.get('node') for a in artifacts(config(str(logs)), 'dstat')] == ['ctl']


@pytest.mark.parametrize('flags', [[], ['--gzip']])
def test_compressed_by_default_config_plain(tmp_path, site, flags):
    fx.devstack_gate(str(tmp_path), tests=30)
    code, _, err = run_cli([str(tmp_path)] + flags, environ={})
    assert code == 0, err
    cfg = config(str(tmp_path))  # plain JSON, or this would fail
    arts = [a for d in cfg['datasets'] for a in d['artifacts']]
    data = os.path.join(str(tmp_path), 'stackviz', 'data')
    assert all(a['content_encoding'] == default_encoding(data, a) for a in arts)
    timeline = artifacts(cfg, 'stackviz-timeline')[0]
    with open(os.path.join(str(tmp_path), 'stackviz', 'data', timeline['path'])) as f:
        head = 'stackvizData("%s", "gzip-base64", "H4sI' % timeline['path']
        assert f.read(200).startswith(head)   # H4sI: base64 of gzip's magic


def test_no_compress_and_classic(tmp_path, site):
    fx.devstack_gate(str(tmp_path), tests=30)
    code, _, err = run_cli([str(tmp_path), '--no-compress', '--classic'], environ={})
    assert code == 0, err
    cfg = config(str(tmp_path))
    arts = [a for d in cfg['datasets'] for a in d['artifacts']]
    assert {a.get('content_encoding') for a in arts} == {'json', 'text', None}
    (raw,) = artifacts(cfg, 'subunit')
    assert raw['primary'] and raw['path'].endswith('-raw.json')
    timeline = artifacts(cfg, 'stackviz-timeline')[0]
    assert [t['id'] for t in load_data(str(tmp_path), raw['path'])] == read_ids(load_data(
        str(tmp_path), timeline['path'])['ids'])
    assert artifacts(cfg, 'subunit-details')[0]['path'].endswith('-details.json')
    assert not artifacts(cfg, 'stackviz-timeline')[0]['primary']


@pytest.mark.parametrize('flag', ['--max-attachment-size', '--max-attachment-bytes'])
def test_attachment_limit_cuts_and_reports_size(tmp_path, site, flag):
    fx.write_stream(str(tmp_path / 'big.subunit'), tests=5, big_attachment=300000)
    code, out, err = run_cli([str(tmp_path), flag, '64K'], environ={})
    assert code == 0, err
    data_dir = os.path.join(str(tmp_path), 'stackviz', 'data')
    texts = []
    for folder, _, files in os.walk(data_dir):
        for name in files:
            if '-tests' in folder:
                texts.append(read_data(folder, name))
    assert any('[stackviz: cut at 65536 bytes of' in t for t in texts)
    size = out.splitlines()[0].rsplit('(', 1)[1]
    assert size.endswith(' KB)') or size.endswith(' MB)')


def test_rerun_replaces_site_cleanly(tmp_path, site):
    fx.write_stream(str(tmp_path / 'first.subunit'), tests=10)
    assert run_cli([str(tmp_path)], environ={})[0] == 0
    data_dir = os.path.join(str(tmp_path), 'stackviz', 'data')
    assert any(n.startswith('first.subunit') for n in os.listdir(data_dir))
    os.unlink(str(tmp_path / 'first.subunit'))
    fx.write_stream(str(tmp_path / 'second.subunit'), tests=12)
    assert run_cli([str(tmp_path)], environ={})[0] == 0
    names = os.listdir(data_dir)
    assert any(n.startswith('second.subunit') for n in names)
    assert not any(n.startswith('first.subunit') for n in names)
    assert sorted(os.listdir(str(tmp_path))) == ['second.subunit', 'stackviz']


def test_no_input_exits_zero_with_one_line(tmp_path, site):
    (tmp_path / 'console.txt').write_text('nothing here\n')
    code, out, err = run_cli([str(tmp_path)], environ={})
    assert code == 0
    assert out.count('\n') == 1 and out.startswith('stackviz-publish: nothing to publish')
    assert sorted(os.listdir(str(tmp_path))) == ['console.txt']
    assert run_cli([str(tmp_path), '--strict'], environ={})[0] == publish_cmd.EXIT_NOTHING


def test_damaged_input_publishes_what_is_readable(tmp_path, site):
    data, summary = fx.stream_bytes(tests=50)
    # A stream cut off mid-packet, followed by bytes that are no subunit at all.
    (tmp_path / 'testrepository.subunit').write_bytes(data[:len(data) * 2 // 3] + b'\x00junk')
    code, out, err = run_cli([str(tmp_path)], environ={})
    assert code == 0
    assert 'warning' in err and 'Traceback' not in err
    assert os.path.exists(os.path.join(str(tmp_path), 'stackviz', 'data', 'config.json'))
    tests = int(out.splitlines()[1].split(': ')[1].split()[0])
    assert 0 < tests <= summary['tests']
    assert run_cli([str(tmp_path), '--strict'], environ={})[0] == publish_cmd.EXIT_WARNINGS


def test_unreadable_explicit_input_is_one_line(tmp_path, site):
    code, out, err = run_cli([str(tmp_path), '--subunit', str(tmp_path / 'missing.subunit')],
                             environ={})
    assert code == 0
    assert err.startswith('stackviz-publish: ') and 'Traceback' not in err
    assert not os.path.exists(os.path.join(str(tmp_path), 'stackviz'))
    code, _, _ = run_cli([str(tmp_path), '--strict', '--subunit',
                          str(tmp_path / 'missing.subunit')], environ={})
    assert code == publish_cmd.EXIT_ERROR


def test_symlink_escape_is_refused(tmp_path, site):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'precious.txt').write_text('keep me')
    logs = tmp_path / 'logs'
    fx.devstack_gate(str(logs), tests=5)
    os.symlink(str(outside), str(logs / 'stackviz'))
    code, out, err = run_cli([str(logs)], environ={})
    assert code == 0
    assert 'outside the logs folder' in err and err.count('\n') == 1
    assert os.listdir(str(outside)) == ['precious.txt']
    assert os.path.islink(str(logs / 'stackviz'))
    assert run_cli([str(logs), '--strict'], environ={})[0] == publish_cmd.EXIT_ERROR


def test_symlinked_input_leading_out_is_not_read(tmp_path, site):
    fx.write_stream(str(tmp_path / 'outside' / 'other-job.subunit'), tests=5)
    logs = tmp_path / 'logs'
    logs.mkdir()
    os.symlink(str(tmp_path / 'outside' / 'other-job.subunit'), str(logs / 'x.subunit'))
    code, out, err = run_cli([str(logs)], environ={})
    assert code == 0 and 'nothing to publish' in out
    assert 'symlink leading out' in err


def test_bad_site_flag_is_one_line(tmp_path, site):
    fx.devstack_gate(str(tmp_path), tests=5)
    code, _, err = run_cli([str(tmp_path), '--site', str(tmp_path / 'nope')], environ={})
    assert code == 0 and 'not a built site' in err and err.count('\n') == 1


def test_without_any_site_data_is_still_published(tmp_path, monkeypatch, site):
    from stackviz_publish import sitefiles
    monkeypatch.delenv('STACKVIZ_SITE')
    monkeypatch.setattr(sitefiles, 'IMAGE_SITE', str(tmp_path / 'no-image-site'))
    monkeypatch.setattr(sitefiles, 'PACKAGE_SITE', str(tmp_path / 'no-package-site'))
    fx.devstack_gate(str(tmp_path / 'ws'), tests=5)
    code, out, err = run_cli([str(tmp_path / 'ws')], environ={})
    assert code == 0 and 'no built site found' in err
    assert os.path.exists(str(tmp_path / 'ws' / 'stackviz' / 'data' / 'config.json'))
    # Nobody is told a site was published: no index.html is claimed.
    assert 'index.html' not in out + err
    assert out.splitlines()[0].startswith(
        'stackviz-publish: published data only, no site: %s (' % os.path.join(
            str(tmp_path / 'ws'), 'stackviz', 'data'))
    # --strict makes it an error.
    code, out, _ = run_cli([str(tmp_path / 'ws'), '--strict'], environ={})
    assert code == publish_cmd.EXIT_ERROR and 'data only, no site' in out


def test_empty_logs_dir_argument_is_refused(tmp_path, site, monkeypatch):
    fx.write_stream(str(tmp_path / 'tempest.subunit'), tests=5)
    monkeypatch.chdir(tmp_path)   # '' would otherwise mean this folder
    code, out, err = run_cli([''], environ={})
    assert code == 0 and out == ''
    assert err == 'stackviz-publish: error: LOGS_DIR is empty: name the logs folder\n'
    assert not os.path.exists(str(tmp_path / 'stackviz'))
    assert run_cli(['', '--strict'], environ={})[0] == publish_cmd.EXIT_ERROR


def test_time_limit_in_process_keeps_previous_site(tmp_path, site, monkeypatch):
    """The backstop check in the export loop (no signal involved: the limit is
    already over when the export starts)."""
    from stackviz_publish import stopping
    fx.write_stream(str(tmp_path / 'tempest.subunit'), tests=30)
    assert run_cli([str(tmp_path)], environ={})[0] == 0
    before = sorted(os.listdir(str(tmp_path / 'stackviz' / 'data')))
    fx.write_stream(str(tmp_path / 'tempest.subunit'), tests=3000, seed=9)
    real_check = stopping.check
    calls = []

    def late_check():   # the deadline passes inside the export's event loop
        calls.append(1)
        if len(calls) > 3:
            stopping._state.deadline = 0
        real_check()
    monkeypatch.setattr(stopping, 'check', late_check)
    code, out, err = run_cli([str(tmp_path), '--time-limit', '3600'], environ={})
    assert code == 0 and out == ''
    assert err == ('stackviz-publish: error: time limit of 3600 s reached; %s left as it '
                   'was\n' % os.path.join(str(tmp_path), 'stackviz'))
    assert sorted(os.listdir(str(tmp_path / 'stackviz' / 'data'))) == before
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith('.stackviz')]
    code, _, _ = run_cli([str(tmp_path), '--time-limit', '3600', '--strict'], environ={})
    assert code == publish_cmd.EXIT_TIME_LIMIT


def test_size_parsing_and_zero_is_no_limit():
    from stackviz_publish import limits
    assert limits.parse_size('4M') == 4 * 1024 * 1024
    assert limits.parse_size('512k') == 512 * 1024
    assert limits.parse_size('1000') == 1000
    assert limits.Limits(max_attachment_bytes=limits.parse_size('0')).max_attachment_bytes \
        is None
    with pytest.raises(ValueError):
        limits.parse_size('lots')


def test_unexpected_error_never_fails_the_job(tmp_path, site, monkeypatch):
    from stackviz_publish import publish

    def broken(*args, **kwargs):
        raise KeyError('artifacts')  # stands for a bug of ours
    monkeypatch.setattr(publish, 'publish', broken)
    code, out, err = run_cli([str(tmp_path)], environ={})
    assert code == 0
    assert err == ("stackviz-publish: internal error: KeyError: 'artifacts' (run with "
                   "--debug for a traceback)\n")
    assert run_cli([str(tmp_path), '--strict'], environ={})[0] == publish_cmd.EXIT_ERROR
    with pytest.raises(KeyError):  # STACKVIZ_DEBUG=1 shows the traceback
        run_cli([str(tmp_path)], environ={'STACKVIZ_DEBUG': '1'})
