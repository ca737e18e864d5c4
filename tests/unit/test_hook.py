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

"""The devstack-gate style post-test hook script."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.unit import publish_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOK = os.path.join(REPO, 'stackviz_publish', 'hooks', 'post_test_hook.sh')
BASH = shutil.which('bash') or '/bin/bash'
PUBLISHER = '%s -m stackviz_publish.cli.main' % sys.executable

pytestmark = pytest.mark.skipif(not shutil.which('bash') or not shutil.which('timeout'),
                                reason='needs bash and timeout')


@pytest.fixture
def site(tmp_path_factory):
    return fx.write_site(str(tmp_path_factory.mktemp('site')))


def run_hook(env, *args):
    base = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'PYTHONPATH': REPO,
            'HOME': os.environ.get('HOME', '/tmp')}
    base.update(env)
    return subprocess.run([BASH, HOOK] + list(args), env=base, capture_output=True,
                          text=True, timeout=120)


def test_publishes_workspace_logs_with_legacy_metadata(tmp_path, site):
    logs, summary = fx.devstack_gate(str(tmp_path), tests=40)
    proc = run_hook({'WORKSPACE': str(tmp_path), 'STACKVIZ_PUBLISH': PUBLISHER,
                     'STACKVIZ_SITE': site, 'BASE': str(tmp_path / 'no-base'),
                     'ZUUL_PROJECT': 'openstack/nova', 'JOB_NAME': 'tempest-dsvm'})
    assert proc.returncode == 0, proc.stderr
    assert 'published %s' % os.path.join(logs, 'stackviz', 'index.html') in proc.stdout
    with open(os.path.join(logs, 'stackviz', 'data', 'config.json')) as f:
        dataset = json.load(f)['datasets'][0]
    assert dataset['change_project'] == 'openstack/nova'
    assert dataset['name'] == 'tempest-dsvm'


def test_reads_tempest_repository_before_logs_are_copied(tmp_path, site):
    summary = fx.write_stestr(str(tmp_path / 'base' / 'new' / 'tempest' / '.stestr'), tests=25)
    logs = tmp_path / 'logs'
    logs.mkdir()
    proc = run_hook({'STACKVIZ_PUBLISH': PUBLISHER, 'STACKVIZ_SITE': site,
                     'BASE': str(tmp_path / 'base'), 'STACKVIZ_GZIP': '0'}, str(logs))
    assert proc.returncode == 0, proc.stderr
    assert '\nstestr: %d tests' % summary['finished'] in proc.stdout
    with open(str(logs / 'stackviz' / 'data' / 'config.json')) as f:
        arts = json.load(f)['datasets'][0]['artifacts']
    assert {a['content_encoding'] for a in arts} == {'json'}   # STACKVIZ_GZIP=0


def test_not_installed_never_fails_the_job(tmp_path):
    if os.path.exists('/opt/stackviz/venv/bin/stackviz-publish'):
        pytest.skip('the image publisher is installed on this machine')
    empty = tmp_path / 'bin'
    empty.mkdir()
    for tool in ('timeout',):
        os.symlink(shutil.which(tool), str(empty / tool))
    env = {'PATH': str(empty), 'WORKSPACE': str(tmp_path)}
    proc = run_hook(env)
    assert proc.returncode == 0
    assert 'not installed' in proc.stdout
    assert run_hook(dict(env, STACKVIZ_STRICT='1')).returncode == 1


def test_publisher_failure_never_fails_the_job_unless_strict(tmp_path):
    proc = run_hook({'STACKVIZ_PUBLISH': 'false', 'WORKSPACE': str(tmp_path)})
    assert proc.returncode == 0
    assert 'exited with status 1' in proc.stdout
    proc = run_hook({'STACKVIZ_PUBLISH': 'false', 'WORKSPACE': str(tmp_path),
                     'STACKVIZ_STRICT': '1'})
    assert proc.returncode == 1


def test_nothing_to_publish_is_not_a_failure(tmp_path, site):
    (tmp_path / 'logs').mkdir()
    proc = run_hook({'STACKVIZ_PUBLISH': PUBLISHER, 'STACKVIZ_SITE': site,
                     'WORKSPACE': str(tmp_path), 'BASE': str(tmp_path)})
    assert proc.returncode == 0
    assert 'nothing to publish' in proc.stdout
    proc = run_hook({'STACKVIZ_PUBLISH': PUBLISHER, 'STACKVIZ_SITE': site,
                     'WORKSPACE': str(tmp_path), 'BASE': str(tmp_path),
                     'STACKVIZ_STRICT': '1'})
    assert proc.returncode == 3
