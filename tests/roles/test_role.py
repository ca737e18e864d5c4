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

"""roles/stackviz-publish as a job runs it: devstack and Zuul v3 layouts, the artifact
returned to Zuul, never failing by default, strict mode, a missing publisher (installed
from a cached sdist), a missing logs folder, and the site opening in Chromium.

Two ansible-playbook runs cover everything (one host per case, as on a multinode job):
one with the defaults, one in strict mode.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from stackviz_publish import serve
from stackviz_publish import sitefiles
from stackviz_publish.cli.harness import plural
from tests.roles import harness
from tests.unit import publish_fixtures as fx

pytestmark = pytest.mark.skipif(harness.ANSIBLE is None or harness.publisher() is None,
                                reason='needs ansible-core and this package (tox -e roles)')
ZUUL = {'project': {'name': 'openstack/tempest'}, 'pipeline': 'check',
        'job': 'tempest-full-py3', 'build': '0123abcd', 'change': '4242', 'patchset': '3'}


def build_sdist(out_dir):
    """This checkout's sdist, as the element would cache it; None when it cannot build."""
    proc = subprocess.run([sys.executable, '-m', 'build', '--sdist', '--no-isolation',
                           '--outdir', out_dir, harness.REPO],
                          capture_output=True, text=True, timeout=600)
    built = glob.glob(os.path.join(out_dir, '*.tar.gz'))
    if proc.returncode != 0 or not built:
        return None, (proc.stdout + proc.stderr)[-1500:]
    cached = os.path.join(out_dir, 'stackviz-latest.tar.gz')
    os.rename(built[0], cached)
    return cached, ''


def config(stage_dir):
    with open(os.path.join(stage_dir, 'stackviz', 'data', 'config.json')) as f:
        return json.load(f)['datasets'][0]


@pytest.fixture(scope='module')
def default_run(tmp_path_factory):
    """One run with default settings; every host is one case."""
    tmp = str(tmp_path_factory.mktemp('role'))
    exe = {'stackviz_publish_executable': harness.publisher()}
    cases, summaries = {}, {}

    cases['devstack'], summaries['devstack'] = harness.devstack_layout(
        os.path.join(tmp, 'devstack'), tests=80)
    cases['devstack'].update(exe, zuul=ZUUL)

    cases['zuulv3'], summaries['zuulv3'] = harness.zuul_v3_layout(os.path.join(tmp, 'zuulv3'))
    cases['zuulv3'].update(exe, zuul=ZUUL, stackviz_publish_gzip=True)

    # Only Tempest's .stestr, and no devstack logs folder (so no dstat log).
    root = os.path.join(tmp, 'stestr')
    summaries['stestr'] = fx.write_stestr(os.path.join(root, 'tempest', '.stestr'), tests=30)
    os.makedirs(os.path.join(root, 'home'))
    cases['stestr'] = dict(exe, stage_dir=os.path.join(root, 'home'),
                           zuul_work_dir=os.path.join(root, 'tempest'),
                           devstack_base_dir=os.path.join(root, 'opt', 'stack'),
                           zuul_output_dir=os.path.join(root, 'home', 'zuul-output'))

    cases['badinput'], _ = harness.devstack_layout(os.path.join(tmp, 'badinput'),
                                                   damaged=b'not a subunit stream\n' * 50)
    cases['badinput'].update(exe)

    cases['nologs'], _ = harness.devstack_layout(os.path.join(tmp, 'nologs'))
    cases['nologs'].update(exe, stage_dir=os.path.join(tmp, 'nologs', 'missing'))

    missing = {'stackviz_publish_executable': os.path.join(tmp, 'no', 'stackviz-publish'),
               'stackviz_publish_venv': os.path.join(tmp, 'venv-unused')}
    cases['noinstall'], _ = harness.devstack_layout(os.path.join(tmp, 'noinstall'))
    cases['noinstall'].update(missing, stackviz_publish_install=False)

    # A broken cached tarball, then nothing to install by name: no site, no failure.
    cases['installfails'], _ = harness.devstack_layout(os.path.join(tmp, 'installfails'))
    broken = os.path.join(tmp, 'installfails', 'stackviz-latest.tar.gz')
    with open(broken, 'wb') as f:
        f.write(b'not a tarball')
    cases['installfails'].update(
        missing, stackviz_publish_cached_tarball=broken,
        stackviz_publish_pip_name=os.path.join(tmp, 'installfails', 'nothing-here.tar.gz'),
        stackviz_publish_venv=os.path.join(tmp, 'installfails', 'venv'),
        stackviz_publish_python=sys.executable)

    sdist, why = build_sdist(os.path.join(tmp, 'cache'))
    if sdist:
        cases['fallback'], summaries['fallback'] = harness.devstack_layout(
            os.path.join(tmp, 'fallback'), tests=40)
        cases['fallback'].update(missing, stackviz_publish_cached_tarball=sdist,
                                 stackviz_publish_venv=os.path.join(tmp, 'fallback-venv'),
                                 stackviz_publish_python=sys.executable)
    run = harness.run_role(tmp, cases)
    return run, cases, summaries, why, tmp


def test_playbook_succeeds_on_every_case(default_run):
    run, cases, _, _, _ = default_run
    assert run.rc == 0, run.output[-4000:]
    assert sorted(run.recap) == sorted(cases)
    assert all(r['failed'] == 0 and r['unreachable'] == 0 for r in run.recap.values()), \
        run.recap


def test_devstack_layout_publishes_into_stage_dir_with_dstat(default_run):
    run, cases, summaries, _, _ = default_run
    stage = cases['devstack']['stage_dir']
    assert os.path.exists(os.path.join(stage, 'stackviz', 'index.html'))
    dataset = config(stage)
    kinds = [a['artifact_type'] for a in dataset['artifacts']]
    assert 'dstat' in kinds
    assert dataset['metadata']['job'] == 'tempest-full-py3'
    summary = summaries['devstack']
    assert 'testrepository.subunit: %s, %s, %s' % (
        plural(summary['tests'], 'test'), plural(summary['fail'], 'failure'),
        plural(summary['skip'], 'skip')) in run.output
    assert run.recap['devstack']['changed'] == 1


def test_zuul_v3_layout_publishes_into_the_logs(default_run):
    run, cases, _, _, _ = default_run
    logs = cases['zuulv3']['stage_dir']
    assert os.path.exists(os.path.join(logs, 'stackviz', 'index.html'))
    # Compressed by default: every data file is a gzip-base64 data script, but the
    # stats and the summary's first screen when small (plain json: data-format.rst).
    artifacts = config(logs)['artifacts']
    small = ('subunit-stats', 'stackviz-summary')
    assert artifacts and all(
        a['content_encoding'] == 'gzip-base64'
        or (a['artifact_type'] in small and a['content_encoding'] == 'json')
        for a in artifacts), artifacts
    assert [a for a in artifacts if a['artifact_type'] == 'stackviz-timeline'
            and a['content_encoding'] == 'gzip-base64']
    assert config(logs)['metadata']['project'] == 'openstack/tempest'
    assert 'dstat' not in [a['artifact_type'] for a in config(logs)['artifacts']]


def test_stestr_only_without_devstack_logs_folder(default_run):
    run, cases, _, _, _ = default_run
    stage = cases['stestr']['stage_dir']
    assert os.path.exists(os.path.join(stage, 'stackviz', 'index.html'))
    assert 'dstat' not in [a['artifact_type'] for a in config(stage)['artifacts']]
    assert run.recap['stestr']['changed'] == 1


def test_one_artifact_per_published_host(default_run):
    run, cases, _, _, _ = default_run
    published = {'devstack', 'zuulv3', 'stestr'} | ({'fallback'} & set(cases))
    by_name = {a['name']: a for a in run.artifacts()}
    assert sorted(by_name) == sorted('Stackviz (%s)' % h for h in published), by_name
    # Multinode: fetch-output puts each host's logs in a folder named after it.
    assert by_name['Stackviz (devstack)'] == {
        'name': 'Stackviz (devstack)', 'url': 'devstack/stackviz/index.html',
        'metadata': {'type': 'stackviz'}}
    assert by_name['Stackviz (zuulv3)']['url'] == 'zuulv3/stackviz/index.html'


def assert_no_site(run, case, host, says):
    """The host went on (not failed, nothing changed), said why, and wrote no site."""
    assert run.recap[host]['failed'] == 0, run.recap
    assert run.recap[host]['changed'] == 0, run.recap
    assert says in run.output
    assert not os.path.exists(os.path.join(case['stage_dir'], 'stackviz'))


def test_bad_input_never_fails_and_reports_no_change(default_run):
    run, cases, _, _, _ = default_run
    assert_no_site(run, cases['badinput'], 'badinput', 'not a subunit stream')


def test_missing_logs_folder_says_so(default_run):
    run, cases, _, _, _ = default_run
    stage = cases['nologs']['stage_dir']
    assert_no_site(run, cases['nologs'], 'nologs', 'the stage folder %s does not exist' % stage)
    assert not os.path.exists(stage)


def test_missing_publisher_with_install_off_says_so(default_run):
    run, cases, _, _, _ = default_run
    if harness.on_node_path('stackviz-publish'):
        pytest.skip('stackviz-publish is installed in /usr/bin on this machine')
    assert_no_site(run, cases['noinstall'], 'noinstall',
                   'stackviz-publish is not installed on this node')
    assert 'stackviz_publish_install is off' in run.output
    assert not os.path.exists(cases['noinstall']['stackviz_publish_venv'])


def test_failed_install_never_fails_the_job(default_run):
    run, cases, _, _, _ = default_run
    assert_no_site(run, cases['installfails'], 'installfails',
                   'No Stackviz site: Install the publisher by name failed')
    assert run.recap['installfails']['rescued'] == 1


def test_missing_publisher_is_installed_from_the_cached_tarball(default_run):
    run, cases, summaries, why, _ = default_run
    if 'fallback' not in cases:
        pytest.skip('could not build the sdist (python -m build --sdist): ' + why)
    venv = cases['fallback']['stackviz_publish_venv']
    assert os.path.exists(os.path.join(venv, 'bin', 'stackviz-publish'))
    stage = cases['fallback']['stage_dir']
    assert os.path.exists(os.path.join(stage, 'stackviz', 'index.html')), run.output[-3000:]
    assert run.recap['fallback']['changed'] == 1


def test_zuul_variable_goes_through_a_temporary_file_that_is_removed(default_run):
    run, cases, _, _, tmp = default_run
    written = set(re.findall(r'"path": "([^"]*stackviz-zuul\.[^"]*\.json)"', run.output))
    # One per host given a zuul variable, in the node's temporary folder.
    assert len(written) == sum(1 for c in cases.values() if 'zuul' in c), run.output[-3000:]
    for path in written:
        assert os.path.dirname(path) == os.path.join(tmp, 'scratch')
        assert not os.path.exists(path)


CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')


@pytest.mark.skipif(CHROMIUM is None, reason='needs Chromium (bindep: chromium)')
@pytest.mark.skipif(not sitefiles.is_site(sitefiles.PACKAGE_SITE),
                    reason='the site is not built (cd site && npm ci && npm run build)')
@pytest.mark.parametrize('host', ['devstack', 'zuulv3'])
def test_published_site_opens_in_chromium(default_run, host):
    """devstack's site from file://, the Zuul v3 one (gzipped) over HTTP serving raw .gz."""
    from tests.unit.test_publish_browser import card, dump_dom, served
    run, cases, summaries, _, _ = default_run
    site = os.path.join(cases[host]['stage_dir'], 'stackviz')
    if host == 'devstack':
        dom = dump_dom('file://' + os.path.join(site, 'index.html'))
    else:
        server = served(cases[host]['stage_dir'])
        try:
            dom = dump_dom(serve.url(server, cases[host]['stage_dir']))
        finally:
            server.shutdown()
            server.server_close()
    assert 'testrepository.subunit' in dom
    # The page's inline script (its text is in the dump) names the loading notes too.
    assert 'Loading' not in re.sub(r'<script\b[^>]*>.*?</script>', '', dom, flags=re.S)
    assert card(dom, 'Failed') == str(summaries[host]['fail'])
    assert card(dom, 'Skipped') == str(summaries[host]['skip'])
    assert 'tempest-full-py3' in dom


@pytest.fixture(scope='module')
def strict_run(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp('strict'))
    exe = {'stackviz_publish_executable': harness.publisher(),
           'stackviz_publish_strict': True}
    cases = {}
    cases['strict-ok'], _ = harness.devstack_layout(os.path.join(tmp, 'ok'), tests=20)
    cases['strict-ok'].update(exe)
    cases['strict-nothing'], _ = harness.devstack_layout(os.path.join(tmp, 'nothing'))
    os.remove(os.path.join(cases['strict-nothing']['devstack_base_dir'], 'tempest',
                           'testrepository.subunit'))
    cases['strict-nothing'].update(exe)
    cases['strict-bad'], _ = harness.devstack_layout(os.path.join(tmp, 'bad'),
                                                     damaged=b'\x00garbage' * 100)
    cases['strict-bad'].update(exe)
    cases['strict-nopublisher'], _ = harness.devstack_layout(os.path.join(tmp, 'nopub'))
    cases['strict-nopublisher'].update(
        exe, stackviz_publish_install=False,
        stackviz_publish_executable=os.path.join(tmp, 'no', 'stackviz-publish'))
    return harness.run_role(tmp, cases), cases


def test_strict_fails_each_problem_and_passes_a_good_run(strict_run):
    run, cases = strict_run
    assert run.rc != 0
    assert run.recap['strict-ok']['failed'] == 0, run.output[-3000:]
    assert run.recap['strict-ok']['changed'] == 1
    for host in ('strict-nothing', 'strict-bad', 'strict-nopublisher'):
        assert run.recap[host]['failed'] == 1, (host, run.recap, run.output[-3000:])
    assert [a['name'] for a in run.artifacts()] == ['Stackviz (strict-ok)']


def test_single_node_artifact_is_named_stackviz_with_its_path_in_the_logs(tmp_path):
    case, _ = harness.zuul_v3_layout(str(tmp_path / 'single'))
    case['stage_dir'] = os.path.join(case['stage_dir'], 'tempest')
    os.makedirs(case['stage_dir'])
    case.update(stackviz_publish_executable=harness.publisher(), zuul=ZUUL)
    run = harness.run_role(str(tmp_path), {'controller': case})
    assert run.rc == 0, run.output[-3000:]
    expected = {'name': 'Stackviz', 'url': 'tempest/stackviz/index.html',
                'metadata': {'type': 'stackviz'}}
    assert run.artifacts() == [expected]
