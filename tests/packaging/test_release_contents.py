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

"""What a release carries, and devstack's process-stackviz role run on it unchanged.

Run by ``tox -e dist`` after it builds dist/*.tar.gz and dist/*.whl. The legacy test
runs the role's own commands (devstack roles/process-stackviz/tasks/main.yaml): pip
install of the sdist tarball into a fresh venv, ``cp -pR <venv>/share/stackviz-html
<stage>/stackviz``, ``cat testrepository.subunit | stackviz-export --dstat
<base>/logs/dstat-csv.log --env --stdin <stage>/stackviz/data``, then opens the site.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

# pytest puts tests/packaging on sys.path: the shared paths and artifact finder.
from dist_files import artifact
from dist_files import REPO
sys.path.insert(0, REPO)
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
# Hooks DIB runs must stay executable once pip has installed them as data files.
HOOKS = ('extra-data.d/50-stackviz', 'install.d/75-stackviz', 'install.d/stackviz-build.bash')


def pip_env(home):
    env = {'PATH': '/usr/bin:/bin', 'HOME': str(home), 'PIP_DISABLE_PIP_VERSION_CHECK': '1'}
    for key in ('PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_CONFIG_FILE', 'PIP_FIND_LINKS',
                'PIP_CERT', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'http_proxy',
                'https_proxy', 'no_proxy'):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run(args, env, **kwargs):
    proc = subprocess.run(args, env=env, capture_output=True, text=True,
                          timeout=kwargs.pop('timeout', 900), **kwargs)
    assert proc.returncode == 0, ' '.join(args) + '\n' + (proc.stdout + proc.stderr)[-3000:]
    return proc


def test_wheel_carries_site_elements_and_role():
    wheel = artifact('*.whl')
    with zipfile.ZipFile(wheel) as whl:
        infos = {i.filename.split('.data/data/', 1)[1]: i for i in whl.infolist()
                 if '.data/data/' in i.filename}
        (metadata,) = [n for n in whl.namelist() if n.endswith('.dist-info/METADATA')]
        requires = [line for line in whl.read(metadata).decode().splitlines()
                    if line.startswith('Requires-Dist:')]
    assert 'share/stackviz-html/index.html' in infos
    element = 'share/stackviz-publish/elements/stackviz/'
    for name in ('README.rst', 'element-deps', 'environment.d/10-stackviz') + HOOKS:
        assert element + name in infos, name
    for hook in HOOKS:
        assert infos[element + hook].external_attr >> 16 & 0o111, hook + ' not executable'
    assert 'share/stackviz-publish/roles/stackviz-publish/tasks/main.yaml' in infos
    # pbr is a build requirement only: at run time it would pull in setuptools.
    assert requires and not [r for r in requires if re.search(r'\b(pbr|setuptools)\b', r)]


def test_wheel_installs_lean_with_elements_path(tmp_path):
    """No pip, pbr or setuptools in the venv, as in the image; elements-path finds the
    element installed as data files."""
    wheel = artifact('*.whl')
    venv = str(tmp_path / 'venv')
    env = pip_env(tmp_path)
    run([sys.executable, '-m', 'venv', '--without-pip', venv], env)
    run([sys.executable, '-m', 'pip', '--python', os.path.join(venv, 'bin', 'python'),
         'install', '-q', wheel], env)
    python = os.path.join(venv, 'bin', 'python')
    probe = run([python, '-c', 'import importlib.util as u, stackviz_publish as s; '
                 'print(s.version()); print([m for m in ("pbr", "setuptools", "pip") '
                 'if u.find_spec(m)])'], env)
    version, present = probe.stdout.split('\n')[:2]
    assert version == os.path.basename(wheel).split('-')[1]
    assert present == '[]'
    out = run([os.path.join(venv, 'bin', 'stackviz-publish'), 'elements-path'], env,
              cwd=str(tmp_path)).stdout.strip()
    assert out == os.path.join(venv, 'share', 'stackviz-publish', 'elements')
    for hook in HOOKS:
        assert os.access(os.path.join(out, 'stackviz', hook), os.X_OK), hook
    assert os.path.isfile(os.path.join(venv, 'share', 'stackviz-publish', 'roles',
                                       'stackviz-publish', 'tasks', 'main.yaml'))


def legacy_job(root):
    """A devstack job's files: the tempest work folder's stream and devstack's dstat log."""
    from tests.unit import publish_fixtures as fx
    base = os.path.join(root, 'opt-stack')
    summary = fx.write_stream(os.path.join(base, 'tempest', 'testrepository.subunit'),
                              compress=False, tests=200, workers=4, unfinished=1, seed=9)
    fx.write_dstat(os.path.join(base, 'logs', 'dstat-csv.log'))
    stage = os.path.join(root, 'stage')
    os.makedirs(stage)
    return base, stage, summary


@pytest.fixture(scope='module')
def role_venv(tmp_path_factory):
    """The role's pip task: the sdist tarball into a fresh venv (its /tmp/stackviz)."""
    sdist = artifact('*.tar.gz')
    root = tmp_path_factory.mktemp('role')
    venv = str(root / 'stackviz')
    env = pip_env(root)
    run([sys.executable, '-m', 'venv', venv], env)
    run([os.path.join(venv, 'bin', 'pip'), 'install', '-U', 'file://' + sdist], env)
    return venv


def deploy_site(venv, stage, env):
    """The role's copy of the static site."""
    run(['cp', '-pR', os.path.join(venv, 'share', 'stackviz-html'),
         os.path.join(stage, 'stackviz')], env)


def test_devstack_process_stackviz_role_unchanged(role_venv, tmp_path):
    venv = role_venv
    base, stage, summary = legacy_job(str(tmp_path))
    env = pip_env(tmp_path)
    deploy_site(venv, stage, env)
    job_env = dict(env, JOB_NAME='tempest-full-py3', ZUUL_PROJECT='openstack/nova',
                   ZUUL_CHANGE='4242', ZUUL_PATCHSET='3', ZUUL_PIPELINE='check')
    script = ('cat "$1/tempest/testrepository.subunit" | "$2/bin/stackviz-export" '
              '--dstat "$1/logs/dstat-csv.log" --env --stdin "$3/stackviz/data"')
    run(['sh', '-c', script, 'sh', base, venv, stage], job_env)

    site = os.path.join(stage, 'stackviz')
    with open(os.path.join(site, 'data', 'config.json')) as f:
        config = json.load(f)
    (dataset,) = config['datasets']
    assert dataset['name'] == 'tempest-full-py3'
    assert {a['artifact_type'] for a in dataset['artifacts']} >= {'subunit', 'dstat'}
    if not CHROMIUM:
        pytest.skip('site NOT OPENED: needs Chromium (bindep: chromium)')
    from tests.unit import test_publish_browser as browser
    index = 'file://' + os.path.join(site, 'index.html')
    dom = browser.dump_dom(index)
    # The page's inline script (its text is in the dump) names the loading notes too.
    assert 'Loading' not in re.sub(r'<script\b[^>]*>.*?</script>', '', dom, flags=re.S)
    assert browser.card(dom, 'Tests') == str(summary['tests'])
    assert browser.card(dom, 'Failed') == str(summary['fail'])
    assert browser.card(dom, 'Skipped') == str(summary['skip'])
    # The run is named for its source (stdin); its timeline has the dstat strips.
    timeline = browser.dump_dom(index + '#/stdin/timeline')
    # The strips are canvases (CPU, memory, network, disk); the column picker lists the
    # log's other columns by name.
    assert 'Resources' in timeline and timeline.count('class="strip"') >= 4
    assert 'total cpu usage: idl' in timeline


def test_role_commands_without_dstat(role_venv, tmp_path):
    """The role's other branch: no dstat log, the stream on stdin."""
    venv = role_venv
    base, stage, summary = legacy_job(str(tmp_path))
    env = pip_env(tmp_path)
    deploy_site(venv, stage, env)
    with open(os.path.join(base, 'tempest', 'testrepository.subunit'), 'rb') as stream:
        run([os.path.join(venv, 'bin', 'stackviz-export'), '--env', '--stdin',
             os.path.join(stage, 'stackviz', 'data')], env, stdin=stream)
    with open(os.path.join(stage, 'stackviz', 'data', 'config.json')) as f:
        (dataset,) = json.load(f)['datasets']
    assert 'dstat' not in {a['artifact_type'] for a in dataset['artifacts']}
    assert os.path.isfile(os.path.join(stage, 'stackviz', 'index.html'))
