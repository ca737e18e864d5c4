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

"""Release artifacts carry the built site, so installing them needs no npm.

Run by ``tox -e dist`` after it builds dist/*.tar.gz and dist/*.whl from the checkout.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

# pytest puts tests/packaging on sys.path: the shared paths and artifact finder.
from dist_files import artifact
from dist_files import REPO
sys.path.insert(0, REPO)


def referenced(index_html):
    """Local files index.html loads (scripts, styles, icons)."""
    refs = re.findall(r'(?:src|href)="([^"#?:]+)"', index_html)
    return sorted({r.lstrip('./') for r in refs if not r.startswith('//')})


def test_wheel_holds_the_built_site():
    with zipfile.ZipFile(artifact('*.whl')) as whl:
        names = set(whl.namelist())
        index = whl.read('stackviz_publish/site/index.html').decode('utf-8')
    refs = referenced(index)
    assert refs, 'index.html loads nothing?'
    for ref in refs:
        assert 'stackviz_publish/site/' + ref in names
    assert 'stackviz_publish/hooks/post_test_hook.sh' in names


def test_sdist_holds_the_built_site():
    with tarfile.open(artifact('*.tar.gz')) as sdist:
        names = {n.split('/', 1)[1] for n in sdist.getnames() if '/' in n}
    assert 'stackviz_publish/site/index.html' in names
    assert 'site/package.json' in names
    assert not any(n.startswith('site/node_modules') for n in names)


def test_sdist_installs_and_publishes_without_npm(tmp_path):
    sdist = artifact('*.tar.gz')
    venv = str(tmp_path / 'venv')
    subprocess.run([sys.executable, '-m', 'venv', venv], check=True, timeout=300)
    bin_dir = os.path.join(venv, 'bin')
    path = bin_dir  # nothing else: no node, no npm
    assert shutil.which('npm', path=path) is None and shutil.which('node', path=path) is None
    env = {'PATH': path, 'HOME': str(tmp_path), 'PIP_DISABLE_PIP_VERSION_CHECK': '1'}
    for key in ('PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_CONFIG_FILE', 'PIP_FIND_LINKS'):
        if key in os.environ:
            env[key] = os.environ[key]
    proc = subprocess.run([os.path.join(bin_dir, 'pip'), 'install', '-q', sdist], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'npm' not in proc.stderr
    from tests.unit import publish_fixtures as fx
    logs, summary = fx.devstack_gate(str(tmp_path / 'ws'), tests=50)
    if os.path.exists('/opt/stackviz/site/index.html'):
        pytest.skip('/opt/stackviz/site exists here and would be published instead')
    proc = subprocess.run([os.path.join(bin_dir, 'stackviz-publish'), 'publish', logs,
                           '--strict'], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    published = os.path.join(logs, 'stackviz')
    with open(os.path.join(published, 'index.html')) as f:
        index = f.read()
    shipped = glob.glob(os.path.join(venv, 'lib', 'python*', 'site-packages',
                                     'stackviz_publish', 'site', 'index.html'))
    with open(shipped[0]) as f:
        assert f.read() == index  # the copy that came inside the package
    for ref in referenced(index):
        assert os.path.isfile(os.path.join(published, ref)), ref
    assert os.path.isfile(os.path.join(published, 'data', 'config.json'))
