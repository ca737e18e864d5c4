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

"""``stackviz-publish view URL``: find a job's files over HTTP, build and serve its site.

Log servers run on 127.0.0.1 (tests/unit/view_fixtures.py): one like object storage
(raw .gz bytes, no Content-Encoding, no listings), one sending Content-Encoding: gzip,
and Zuul's build API answering from fixtures made here.
"""
import gzip
import io
import json
import os
import urllib.request

import pytest

from stackviz_publish import remote
from stackviz_publish import remote_discover
from stackviz_publish import view
from stackviz_publish import zuul_inventory
from stackviz_publish.cli import main as cli_main
from stackviz_publish.cli import view_cmd

from tests.unit import publish_fixtures as fx
from tests.unit import view_fixtures as vf
from tests.unit.test_publish import ENV_KEYS


@pytest.fixture
def site(tmp_path_factory, monkeypatch):
    for key in ENV_KEYS + ('XDG_CACHE_HOME',):
        monkeypatch.delenv(key, raising=False)
    path = fx.write_site(str(tmp_path_factory.mktemp('built-site')))
    monkeypatch.setenv('STACKVIZ_SITE', path)
    return path


def run_view(argv, environ=None, serve_until=None):
    """Run ``stackviz-publish view ...`` in process; return (code, stdout, stderr)."""
    args = cli_main.build_parser([view_cmd]).parse_args(['view'] + argv)
    out, err = io.StringIO(), io.StringIO()
    code = view_cmd.run(args, out, err, environ=environ, serve_until=serve_until)
    return code, out.getvalue(), err.getvalue()


def config(folder):
    with open(os.path.join(folder, 'logs', 'stackviz', 'data', 'config.json')) as f:
        return json.load(f)['datasets'][0]


def dstat_nodes(folder):
    return sorted(a['node'] for a in config(folder)['artifacts']
                  if a['artifact_type'] == 'dstat')


def run_names(folder):
    return sorted({a['artifact_name'] for a in config(folder)['artifacts']
                   if a['artifact_type'] == 'stackviz-timeline'})


def assert_one_error(code, err, *words):
    """A failure ends in one line on stderr, naming the problem, and no traceback."""
    assert code == view_cmd.EXIT_ERROR
    assert 'Traceback' not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith('stackviz-publish: error: ')
    for word in words:
        assert word in lines[0]


# --- end to end -----------------------------------------------------------------

def test_devstack_gate_folder_from_object_storage_then_from_cache(tmp_path, site):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'))
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        url = server.url('logs/')
        code, stdout, err = run_view([url, '--no-serve', '--out', out])
        assert code == 0, err
        assert err == ''
        # object storage: no manifest, so the known paths were probed
        assert ('GET', '/logs/zuul-manifest.json') in server.requests
        assert ('HEAD', '/logs/testrepository.subunit.gz') in server.requests
        assert not any(path.endswith('/') for _, path in server.requests)
    assert 'built %s' % os.path.join(out, 'logs', 'stackviz', 'index.html') in stdout
    assert '%d tests' % summary['tests'] in stdout   # unfinished ones count too
    assert run_names(out) == ['testrepository.subunit.gz']
    assert dstat_nodes(out) == ['primary']
    assert config(out)['metadata'] == {'log_url': url}
    # the server is gone: a second view opens from the cache, with no network at all
    code, stdout, err = run_view([url, '--no-serve', '--out', out])
    assert code == 0, err
    assert 'from the cache' in stdout


def test_zuul_folder_with_manifest_and_gzip_encoding(tmp_path, site):
    logs, summary = vf.zuul_logs(str(tmp_path))
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path), encoding=True) as server:
        code, stdout, err = run_view([server.url('zuul-logs/'), '--no-serve', '--out', out])
        probes = [r for r in server.requests if r[0] == 'HEAD']
    assert code == 0, err
    assert 'zuul-manifest.json (5 files)' in stdout
    assert probes == []   # the manifest said where everything is
    assert run_names(out) == ['testrepository.subunit']
    assert dstat_nodes(out) == ['compute1', 'controller']
    meta = config(out)['metadata']
    assert meta['job'] == 'tempest-full-py3'
    assert meta['project'] == 'openstack/nova'
    assert meta['change'] == '123456' and meta['patchset'] == '7'
    assert meta['build'] == vf.BUILD
    # the downloads are the decoded bytes, the same as the server's files
    with open(os.path.join(logs, 'testrepository.subunit'), 'rb') as f:
        original = f.read()
    with open(os.path.join(out, 'logs', 'testrepository.subunit'), 'rb') as f:
        assert f.read() == original


def test_zuul_folder_without_manifest_probes_inventory_nodes(tmp_path, site):
    vf.zuul_logs(str(tmp_path), manifest=False)
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path)) as server:
        code, stdout, err = run_view([server.url('zuul-logs'), '--no-serve', '--out', out])
        heads = {path for method, path in server.requests if method == 'HEAD'}
    assert code == 0, err
    assert 'probing' in stdout
    # node names came from zuul-info/inventory.yaml
    assert '/zuul-logs/compute1/logs/dstat-csv_log.txt' in heads
    assert dstat_nodes(out) == ['compute1', 'controller']
    assert config(out)['metadata']['pipeline'] == 'check'


def test_zuul_build_page_reads_log_url_from_the_api(tmp_path, site):
    vf.zuul_logs(str(tmp_path))
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/api/tenant/openstack/build/' + vf.BUILD,
                     vf.json_answer(vf.zuul_build(server.url('zuul-logs/'))))
        code, stdout, err = run_view([server.url('t/openstack/build/%s/logs' % vf.BUILD),
                                      '--no-serve', '--out', out])
    assert code == 0, err
    meta = config(out)['metadata']
    assert meta['pipeline'] == 'gate'     # the API wins over the inventory
    assert meta['change'] == '123456'
    assert meta['log_url'] == server.url('zuul-logs/')


def test_zuul_build_without_logs_is_one_line(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/api/build/' + vf.BUILD, vf.json_answer(vf.zuul_build(None)))
        code, out, err = run_view([server.url('build/' + vf.BUILD), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'no logs URL')


def test_direct_subunit_url(tmp_path, site):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'))
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        code, stdout, err = run_view([server.url('logs/testrepository.subunit.gz'),
                                      '--no-serve', '--out', out])
        assert [r[1] for r in server.requests] == ['/logs/testrepository.subunit.gz']
    assert code == 0, err
    assert run_names(out) == ['testrepository.subunit.gz']


def test_published_site_is_used_unless_rebuild(tmp_path, site):
    logs, summary = vf.zuul_logs(str(tmp_path), manifest=False)
    fx.write_site(os.path.join(logs, 'controller', 'stackviz'), marker='their site')
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path)) as server:
        code, stdout, err = run_view([server.url('zuul-logs/'), '--out', out])
        assert code == 0, err
        published = server.url('zuul-logs/controller/stackviz/index.html')
        assert "the job's own site: %s" % published in stdout
        assert not os.path.exists(os.path.join(out, 'logs', 'stackviz'))
        code, stdout, err = run_view([server.url('zuul-logs/'), '--out', out])
        assert 'cached' in stdout and published in stdout
        code, stdout, err = run_view([server.url('zuul-logs/'), '--rebuild', '--no-serve',
                                      '--out', out])
    assert code == 0, err
    assert run_names(out) == ['testrepository.subunit']


def test_cache_folder_is_keyed_by_the_normalised_url(tmp_path, site):
    vf.devstack_gate_logs(str(tmp_path / 'srv'))
    environ = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / 'cache'))
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        url = server.url('logs/')
        code, stdout, err = run_view([url, '--no-serve'], environ=environ)
        assert code == 0, err
        folder = view.cache_folder(url, environ)
        assert folder.startswith(str(tmp_path / 'cache' / 'stackviz-publish' / 'view'))
        assert os.path.isfile(os.path.join(folder, 'logs', 'stackviz', 'index.html'))
        same = url.replace('http://127.0.0.1', 'HTTP://127.0.0.1') + '#frag'
        assert view.cache_folder(same, environ) == folder
        count = len(server.requests)
        code, stdout, err = run_view([same, '--no-serve'], environ=environ)
        assert 'from the cache' in stdout
        assert len(server.requests) == count


def test_serves_the_built_site(tmp_path, site):
    vf.devstack_gate_logs(str(tmp_path / 'srv'))
    seen = {}

    def fetch_index(url):
        with urllib.request.urlopen(url + 'data/config.json', timeout=10) as response:
            seen['config'] = json.load(response)

    with vf.LogServer(str(tmp_path / 'srv')) as server:
        code, stdout, err = run_view([server.url('logs/'), '--port', '0',
                                      '--out', str(tmp_path / 'out')], serve_until=fetch_index)
    assert code == 0, err
    assert 'Serving ' in stdout and 'http://127.0.0.1:' in stdout
    assert seen['config']['datasets'][0]['metadata']['log_url'] == server.url('logs/')


def test_nothing_found(tmp_path, site):
    os.makedirs(str(tmp_path / 'empty'))
    with vf.LogServer(str(tmp_path)) as server:
        code, out, err = run_view([server.url('empty/'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert code == view_cmd.EXIT_NOTHING
    assert 'Traceback' not in err
    assert err.splitlines() == [err.strip()]
    assert 'no subunit stream found' in err


# --- failure paths: one line, no traceback --------------------------------------

def test_404(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        code, out, err = run_view([server.url('logs/missing.subunit.gz'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'HTTP 404', 'missing.subunit.gz')


def test_server_error_on_the_log_root(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/logs/zuul-manifest.json', vf.gone)
        code, out, err = run_view([server.url('logs/'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'HTTP 500')


def test_timeout(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/logs/zuul-manifest.json', vf.slow(3))
        code, out, err = run_view([server.url('logs/'), '--no-serve', '--timeout', '0.3',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'timed out after 0.3 s')


def test_connection_refused(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        url = server.url('logs/')
    code, out, err = run_view([url, '--no-serve', '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'connection refused')


def test_transfer_cut_short(tmp_path, site):
    data = gzip.compress(fx.stream_bytes(tests=40)[0])
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/cut.subunit.gz', vf.cut_transfer(data[:len(data) // 2], len(data)))
        code, out, err = run_view([server.url('cut.subunit.gz'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'cut short')
    assert not os.path.exists(str(tmp_path / 'out' / 'logs' / 'cut.subunit.gz'))


def test_gzip_encoding_cut_short(tmp_path, site):
    data = gzip.compress(fx.stream_bytes(tests=40)[0])
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/run.subunit', vf.encoded(data[:len(data) // 2]))
        code, out, err = run_view([server.url('run.subunit'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'gzip encoding of the response is cut short')


def test_cut_gzip_file_publishes_the_readable_part_with_warnings(tmp_path, site):
    """A .gz file that is itself cut (a killed job) arrives whole: the publisher's
    policy applies, as on disk: the readable part, and warnings saying so."""
    data = gzip.compress(fx.stream_bytes(tests=80)[0])
    (tmp_path / 'srv').mkdir()
    (tmp_path / 'srv' / 'testrepository.subunit.gz').write_bytes(data[:len(data) * 2 // 3])
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        code, stdout, err = run_view([server.url('testrepository.subunit.gz'),
                                      '--no-serve', '--out', out])
    assert code == 0
    assert 'Traceback' not in err
    lines = err.splitlines()
    assert lines and all(line.startswith('stackviz-publish: warning: ') for line in lines)
    assert 'cut short' in lines[0]
    assert run_names(out) == ['testrepository.subunit.gz']


def test_html_page_where_a_subunit_file_was_expected(tmp_path, site):
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/logs/testrepository.subunit.gz', vf.html_page)
        code, out, err = run_view([server.url('logs/testrepository.subunit.gz'),
                                   '--no-serve', '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'an HTML page, not a subunit stream')


def test_probed_html_pages_are_not_inputs(tmp_path, site):
    """A server answering every path with a 200 HTML page has nothing to offer."""
    with vf.LogServer(str(tmp_path)) as server:
        for rel in remote_discover.probe_paths(['controller', 'primary'])['subunit']:
            server.route('/logs/' + rel, vf.html_page)
        code, out, err = run_view([server.url('logs/'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert code == view_cmd.EXIT_NOTHING
    assert 'Traceback' not in err
    assert 'HTML page' in err


def test_missing_files_answered_403_count_as_absent(tmp_path, site):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'))
    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path / 'srv'), missing=403) as server:
        code, stdout, err = run_view([server.url('logs/'), '--no-serve', '--out', out])
    assert code == 0, err
    assert err == ''
    assert dstat_nodes(out) == ['primary']


def test_probe_failures_are_summed_up(tmp_path, site):
    def broken(handler, head):
        handler.send_body(503, b'', 'text/plain', head)

    with vf.LogServer(str(tmp_path)) as server:
        paths = remote_discover.probe_paths(['controller', 'primary'])
        for rel in [p for kind in paths.values() for p in kind]:
            server.route('/logs/' + rel, broken)
        code, out, err = run_view([server.url('logs/'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert code == view_cmd.EXIT_NOTHING
    assert 'Traceback' not in err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert 'more paths): could not look for it: HTTP 503' in lines[0]


def test_file_over_the_budget(tmp_path, site):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'), tests=300)
    size = os.path.getsize(os.path.join(logs, 'testrepository.subunit.gz'))
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        code, out, err = run_view([server.url('logs/testrepository.subunit.gz'),
                                   '--no-serve', '--max-download', str(size // 2),
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'over the download budget', '--max-download')


def test_gzip_bomb_stops_at_the_budget(tmp_path, site):
    bomb = gzip.compress(b'\0' * (8 * 1024 * 1024))
    with vf.LogServer(str(tmp_path)) as server:
        server.route('/bomb.subunit', vf.encoded(bomb))
        code, out, err = run_view([server.url('bomb.subunit'), '--no-serve',
                                   '--max-download', '1M', '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'over the download budget of 1.0 MB')


def test_manifest_size_over_the_budget_is_not_fetched(tmp_path, site):
    logs, summary = vf.zuul_logs(str(tmp_path), tests=300)
    with vf.LogServer(str(tmp_path)) as server:
        code, out, err = run_view([server.url('zuul-logs/'), '--no-serve',
                                   '--max-download', '60K', '--out', str(tmp_path / 'out')])
        fetched = [path for method, path in server.requests if method == 'GET']
    assert_one_error(code, err, 'over the download budget')
    assert '/zuul-logs/testrepository.subunit' not in fetched   # sizes from the manifest


def test_out_folder_of_someone_else_is_refused(tmp_path, site):
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'notes.txt').write_text('keep me')
    code, out, err = run_view(['http://127.0.0.1:9/logs/', '--no-serve',
                               '--out', str(tmp_path / 'mine')])
    assert_one_error(code, err, 'was not made by view')
    assert os.listdir(str(tmp_path / 'mine')) == ['notes.txt']


def test_refuses_other_schemes(tmp_path, site):
    code, out, err = run_view(['file:///etc/passwd', '--no-serve',
                               '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, 'not an http or https URL')


def test_redirect_is_followed(tmp_path, site):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'))

    def moved(handler, head):
        handler.send_response(302)
        handler.send_header('Location', '/logs/testrepository.subunit.gz')
        handler.send_header('Content-Length', '0')
        handler.end_headers()

    out = str(tmp_path / 'out')
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        server.route('/old/run.subunit.gz', moved)
        code, stdout, err = run_view([server.url('old/run.subunit.gz'), '--no-serve',
                                      '--out', out])
    assert code == 0, err
    assert run_names(out) == ['run.subunit.gz']


@pytest.mark.parametrize('target', ['file:///etc/passwd', 'ftp://127.0.0.1/x.subunit'])
def test_redirect_to_another_scheme_is_refused(tmp_path, site, target):
    def moved(handler, head):
        handler.send_response(302)
        handler.send_header('Location', target)
        handler.send_header('Content-Length', '0')
        handler.end_headers()

    with vf.LogServer(str(tmp_path)) as server:
        server.route('/x.subunit', moved)
        code, out, err = run_view([server.url('x.subunit'), '--no-serve',
                                   '--out', str(tmp_path / 'out')])
    assert_one_error(code, err, target)


# --- pieces ---------------------------------------------------------------------

def test_inventory_reader_reads_what_zuul_writes():
    hosts, zuul = zuul_inventory.facts(vf.INVENTORY)
    assert hosts == ['compute1', 'controller']
    assert zuul['project'] == {'canonical_name': 'opendev.org/openstack/nova',
                               'name': 'openstack/nova'}
    assert zuul['job'] == 'tempest-full-py3'
    assert zuul['change'] == '123456' and zuul['patchset'] == '7'
    assert zuul['message'] is None      # a multi-line scalar is skipped, not guessed


def test_inventory_reader_quoting_and_odd_input():
    text = ('all:\n  vars:\n    zuul:\n      job: "a \\"quoted\\" job"\n'
            "      pipeline: 'it''s'\n      change: 42 # a comment\n"
            '      build: |\n        abc\n      project: {}\n'
            '  hosts: [a, b]\n')
    hosts, zuul = zuul_inventory.facts(text)
    assert hosts == []
    assert zuul == {'job': 'a "quoted" job', 'pipeline': "it's", 'change': '42',
                    'build': None, 'project': {}}
    assert zuul_inventory.facts('- just\n- a list\n') == ([], None)
    assert zuul_inventory.facts('{"not": "block"}') == ([], None)
    deep = ''.join('%sk:\n' % (' ' * i) for i in range(200))
    zuul_inventory.parse(deep)   # bounded depth: no recursion, no error


def test_manifest_plan():
    files = [('testrepository.subunit', 10), ('testrepository.subunit.gz', 5),
             ('controller/logs/dstat-csv.log', 9), ('controller/logs/dstat-csv_log.txt', 9),
             ('compute1/logs/dstat-csv_log.txt.gz', 3), ('zuul-info/inventory.yaml', 1),
             ('controller/stackviz/index.html', 1), ('stackviz/data/run.subunit', 1),
             ('job-output.txt', 100)]
    plan = remote_discover.plan_from_files(files)
    assert plan.subunit == [('testrepository.subunit.gz', 5)]
    assert plan.dstat == [('compute1/logs/dstat-csv_log.txt.gz', 3),
                          ('controller/logs/dstat-csv_log.txt', 9)]
    assert plan.inventory == 'zuul-info/inventory.yaml'
    assert plan.site == 'controller/stackviz/index.html'


def test_manifest_streams_are_capped():
    notes = []
    files = [('run-%03d.subunit' % i, 1) for i in range(100)]
    plan = remote_discover.plan_from_files(files, notes)
    assert len(plan.subunit) == remote_discover.MAX_STREAMS
    assert notes == ['100 subunit files in the manifest: fetching the first 32']


def test_manifest_names_are_untrusted():
    notes = []
    doc = {'tree': [
        {'name': '..', 'mimetype': 'application/directory',
         'children': [{'name': 'x.subunit', 'size': 1}]},
        {'name': 'a/b.subunit', 'size': 1},
        {'name': 'ok', 'mimetype': 'application/directory',
         'children': [{'name': 'run.subunit', 'size': 'big'}, 'junk', {'name': 3}]},
    ]}
    doc['tree'].append({'name': '.stackviz.tmp-1', 'mimetype': 'application/directory',
                        'children': [{'name': 'x.subunit', 'size': 1}]})
    assert remote_discover.manifest_files(doc, notes) == [('ok/run.subunit', None)]
    with pytest.raises(ValueError):
        remote_discover.manifest_files({'files': []}, notes)
    assert not remote_discover.safe_rel('../x') and remote_discover.safe_rel('a/b.txt')


@pytest.mark.parametrize('url,api', [
    ('https://zuul.example.org/t/openstack/build/%s' % vf.BUILD,
     'https://zuul.example.org/api/tenant/openstack/build/%s' % vf.BUILD),
    ('https://ci.example.org/zuul/t/rdo/build/%s/logs' % vf.BUILD,
     'https://ci.example.org/zuul/api/tenant/rdo/build/%s' % vf.BUILD),
    ('https://zuul.example.org/api/tenant/openstack/build/%s' % vf.BUILD,
     'https://zuul.example.org/api/tenant/openstack/build/%s' % vf.BUILD),
    ('https://zuul.example.org/build/%s' % vf.BUILD,
     'https://zuul.example.org/api/build/%s' % vf.BUILD),
    ('https://logs.example.org/34/1234/1/check/tempest-full/abcdef0/', None),
])
def test_zuul_api_url(url, api):
    assert view.zuul_api_url(url) == api


def test_log_root_and_normalise():
    assert view.log_root('http://h/a/b') == 'http://h/a/b/'
    assert view.log_root('http://h/a/b/index.html') == 'http://h/a/b/'
    assert view.normalise('HTTP://Example.ORG:80/a/#x') == 'http://example.org/a/'
    assert view.normalise('https://h:8443/a?b=1') == 'https://h:8443/a?b=1'


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only():
    clock = iter([0.0, 2.0, 3.0]).__next__
    tty = _Tty()
    progress = remote.Progress(tty, clock=clock)
    progress.begin()
    progress.update('run.subunit', 512 * 1024, 1024 * 1024)
    progress.update('run.subunit', 1024 * 1024, 1024 * 1024)
    progress.end()
    text = tty.getvalue()
    assert '50%' in text and '100%' in text and '1.0 MB of 1.0 MB' in text
    assert text.endswith('\n')
    plain = io.StringIO()
    progress = remote.Progress(plain, clock=iter([0.0, 5.0]).__next__)
    progress.begin()
    progress.update('run.subunit', 1, 2)
    progress.end()
    assert plain.getvalue() == ''


def test_printable_escapes_control_characters():
    assert remote.printable('a\x1b[31mb\nc') == 'a\\x1b[31mb\\nc'
    assert len(remote.printable('x' * 1000)) == 303


def test_long_download_draws_a_bar_on_a_terminal(tmp_path):
    data = os.urandom(3 * remote.CHUNK)
    (tmp_path / 'big.bin').write_bytes(data)
    ticks = iter(range(1000))
    tty = _Tty()
    fetcher = remote.Fetcher(progress=remote.Progress(tty, clock=lambda: next(ticks)))
    with vf.LogServer(str(tmp_path)) as server:
        written, _ = fetcher.get(server.url('big.bin'), str(tmp_path / 'copy'), name='big.bin')
    assert written == len(data) and fetcher.budget.used == len(data)
    assert (tmp_path / 'copy').read_bytes() == data
    assert 'big.bin [' in tty.getvalue() and '100%' in tty.getvalue()
    assert not (tmp_path / 'copy.part').exists()
