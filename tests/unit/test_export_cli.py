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

"""stackviz-export with the classic flags, and stackviz-publish export."""
import gzip
import io
import os
import subprocess
import sys

from stackviz_publish.cli import export_cmd
from stackviz_publish.cli import main as main_cli
from tests.unit.conftest import artifacts
from tests.unit.conftest import default_encoding
from tests.unit.conftest import raw_entries
from tests.unit.conftest import read_json
from tests.unit.conftest import read_twin
from tests.unit.conftest import run_files
from tests.unit.conftest import stream_bytes


def _cli(argv, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(argv, out, err, stdin=stdin)
    return code, out.getvalue(), err.getvalue()


def test_classic_flags(tmp_path, monkeypatch):
    data, summary = stream_bytes(tests=60, seed=21)
    (tmp_path / 'tempest.subunit').write_bytes(data)
    (tmp_path / 'other.subunit.gz').write_bytes(gzip.compress(data))
    with open(tmp_path / 'dstat-csv.log', 'w') as out:
        from stackviz_publish import generate
        generate.generate_dstat(out, generate.DEFAULT_START, 20)
    monkeypatch.setenv('ZUUL_PIPELINE', 'check')
    code, out, err = _cli(['-f', str(tmp_path / 'tempest.subunit'), '--stream-file',
                           str(tmp_path / 'other.subunit.gz'), '--dstat',
                           str(tmp_path / 'dstat-csv.log'), '-z', '-e',
                           str(tmp_path / 'data')])
    assert code == 0, err
    assert err == ''
    assert out.splitlines()[0].startswith('tempest.subunit: 60 tests, %d failures'
                                          % summary['fail'])
    config = read_json(tmp_path / 'data', 'config.json')
    assert config['datasets'][0]['pipeline'] == 'check'
    paths = [a['path'] for a in artifacts(tmp_path / 'data')]
    assert 'tempest.subunit-0-raw.json.gz' in paths
    assert 'other.subunit.gz-0-raw.json.gz' in paths and 'dstat.csv.gz' in paths
    # The classic files as v1 (twins for stats and dstat only), plus the timeline, test
    # shards and id index, always compressed (the small first screen: plain json).
    files = run_files(tmp_path / 'data', 'tempest.subunit')
    assert {k: (a['path'], a.get('script_path'), a.get('content_encoding'))
            for k, a in files.items()} == {
        'subunit': ('tempest.subunit-0-raw.json.gz', None, 'gzip'),
        'subunit-details': ('tempest.subunit-0-details.json.gz', None, 'gzip'),
        'subunit-stats': ('tempest.subunit-0-stats.json.gz', 'tempest.subunit-0-stats.json.js',
                          'gzip'),
        'stackviz-timeline': ('tempest.subunit-0-timeline.js',
                              'tempest.subunit-0-timeline.js', 'gzip-base64'),
        'stackviz-tests': ('tempest.subunit-0-tests/', None, 'gzip-base64'),
        'stackviz-ids': ('tempest.subunit-0-ids/', None, 'gzip-base64'),
        'stackviz-summary': ('tempest.subunit-0-summary.js', 'tempest.subunit-0-summary.js',
                             'json')}
    assert files['subunit']['primary'] and not files['stackviz-timeline']['primary']
    raw = read_json(tmp_path / 'data', files['subunit']['path'])
    assert raw == raw_entries(tmp_path / 'data', 'tempest.subunit')
    stats = read_json(tmp_path / 'data', files['subunit-stats']['path'])
    assert stats['format_version'] == 1
    assert read_twin(tmp_path / 'data', 'tempest.subunit-0-stats.json.js')[1] == 'gzip-base64'
    assert read_twin(tmp_path / 'data', 'dstat.csv.js')[:2] == ['dstat.csv.gz', 'gzip-base64']
    assert config['format_version'] == 2
    # Without -z: the same, plain.
    code, out, err = _cli(['-f', str(tmp_path / 'tempest.subunit'), '--no-classic-details',
                           str(tmp_path / 'plain')])
    assert code == 0, err
    files = run_files(tmp_path / 'plain', 'tempest.subunit')
    assert 'subunit-details' not in files
    assert read_json(tmp_path / 'plain', 'tempest.subunit-0-raw.json') == raw
    assert read_twin(tmp_path / 'plain', 'tempest.subunit-0-stats.json.js')[1] == 'json'


def test_stdin_and_repository(tmp_path):
    data, _ = stream_bytes(tests=25, seed=22)
    code, out, err = _cli(['-i', str(tmp_path / 'data')], stdin=io.BytesIO(data))
    assert code == 0 and out.startswith('stdin: 25 tests')
    repo = tmp_path / '.testrepository'
    repo.mkdir()
    (repo / '0').write_bytes(stream_bytes(tests=3)[0])
    (repo / '1').write_bytes(data)
    (repo / 'next-stream').write_text('2\n')
    code, out, err = _cli(['-r', str(repo), str(tmp_path / 'data')])
    assert code == 0 and out.startswith('testrepository: 25 tests')
    code, out, err = _cli(['-r', str(repo), '--run', '0', str(tmp_path / 'data')])
    assert code == 0 and out.startswith('testrepository: 3 tests')


def test_usage_errors(tmp_path):
    code, out, err = _cli([str(tmp_path / 'data')])
    assert code == 2 and 'no input' in err
    code, out, err = _cli(['-f', 'x', '--run', '3', str(tmp_path / 'data')])
    assert code == 2 and '--run needs' in err


def test_publish_export_subcommand(tmp_path):
    data, _ = stream_bytes(tests=8, seed=23)
    (tmp_path / 's.subunit').write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    code = main_cli.main(['export', '-f', str(tmp_path / 's.subunit'),
                          str(tmp_path / 'data')], out, err)
    assert code == 0 and 's.subunit: 8 tests' in out.getvalue()
    assert sorted(os.listdir(tmp_path / 'data')) == [
        'config.js', 'config.json', 's.subunit-0-ids', 's.subunit-0-stats.js',
        's.subunit-0-summary.js', 's.subunit-0-tests', 's.subunit-0-timeline.js']
    default = run_files(tmp_path / 'data', 's.subunit')
    assert all(a['content_encoding'] == default_encoding(tmp_path / 'data', a)
               for a in default.values())
    for flags, encoding, classic in ((['--gzip'], 'gzip-base64', False),
                                     (['-z', '--classic'], 'gzip-base64', True),
                                     (['--no-compress'], 'json', False),
                                     (['--no-compress', '--classic-details'], 'json', True)):
        folder = str(tmp_path / ('out-%s' % '_'.join(flags)))
        code = main_cli.main(['export', '-f', str(tmp_path / 's.subunit'), folder] + flags,
                             out, err)
        assert code == 0, err.getvalue()
        files = run_files(folder, 's.subunit')
        assert files['stackviz-timeline']['content_encoding'] == encoding
        assert ('subunit' in files) == classic == ('subunit-details' in files)
        assert raw_entries(folder, 's.subunit') == raw_entries(tmp_path / 'data', 's.subunit')
        if classic:
            raw = files['subunit']['path']
            assert raw.endswith('.gz') == (encoding == 'gzip-base64')
            assert read_json(folder, raw) == raw_entries(folder, 's.subunit')


def test_real_process_stdin_and_no_traceback(tmp_path):
    """As a shell script would call it: stdin from a pipe, bad input -> one line."""
    data, _ = stream_bytes(tests=10, seed=24)
    run = [sys.executable, '-m', 'stackviz_publish.cli.export_cmd']
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    done = subprocess.run(run + ['--stdin', str(tmp_path / 'data')], input=data,
                          capture_output=True, env=env)
    assert done.returncode == 0 and b'stdin: 10 tests' in done.stdout
    done = subprocess.run(run + ['-i', '-z', str(tmp_path / 'data')],
                          input=gzip.compress(data), capture_output=True, env=env)
    assert done.returncode == 0 and b'stdin: 10 tests' in done.stdout
    assert os.path.exists(tmp_path / 'data' / 'stdin-0-raw.json.gz')
    assert os.path.exists(tmp_path / 'data' / 'stdin-0-timeline.js')
    done = subprocess.run(run + ['-i', str(tmp_path / 'data2')], input=os.urandom(5000),
                          capture_output=True, env=env)
    assert done.returncode == 1 and b'Traceback' not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_command_line_imports_its_own_command_only(tmp_path):
    """``stackviz-publish export`` (and publish) loads no HTTP, TLS or subunit
    writer: the post-job hook does not pay for ``view`` and ``sample``."""
    code = ('import io, sys; from stackviz_publish.cli import main\n'
            'try:\n'
            '    main.main(["export", "--help"], io.StringIO(), io.StringIO())\n'
            'except SystemExit:\n'
            '    pass\n'
            'print("loaded:", " ".join(m for m in ("ssl", "http.client", "http.server",'
            ' "subunit", "stackviz_publish.cli.view_cmd") if m in sys.modules))')
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=repo, env=dict(os.environ, PYTHONPATH=repo))
    assert done.stdout.strip().splitlines()[-1] == 'loaded:', done.stdout
