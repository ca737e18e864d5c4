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
"""Installing a checkout without npm fails loudly, naming the fix.

A fresh clone of this repository's HEAD is installed with pip into a fresh venv whose
PATH holds only the venv and git (pbr needs git for the version): no npm, no node.
``STACKVIZ_DATA_ONLY=1`` is the explicit opt-in for an install without the site.
The rules of ``ensure_site`` itself are checked on setup.py loaded as a module.
"""
import glob
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PIP_SETTINGS = ('PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_CONFIG_FILE', 'PIP_FIND_LINKS',
                'PIP_CERT', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'http_proxy',
                'https_proxy', 'no_proxy')


def load_setup_py():
    spec = importlib.util.spec_from_file_location('stackviz_setup', os.path.join(REPO, 'setup.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # __name__ is not __main__: setup() does not run
    return module


@pytest.fixture(scope='module')
def checkout_without_npm(tmp_path_factory):
    """(clone, venv bin, env): a fresh clone and a venv whose PATH has no npm or node."""
    git = shutil.which('git')
    if not git or not os.path.exists(os.path.join(REPO, '.git')):
        pytest.skip('needs git and a git checkout of the project')
    tmp = tmp_path_factory.mktemp('checkout')
    clone = str(tmp / 'clone')
    subprocess.run([git, 'clone', '-q', REPO, clone], check=True, timeout=300)
    assert not os.path.exists(os.path.join(clone, 'stackviz_publish', 'site', 'index.html'))
    tools = tmp / 'tools'
    tools.mkdir()
    os.symlink(git, str(tools / 'git'))
    venv = str(tmp / 'venv')
    subprocess.run([sys.executable, '-m', 'venv', venv], check=True, timeout=300)
    bin_dir = os.path.join(venv, 'bin')
    path = os.pathsep.join([bin_dir, str(tools)])
    assert shutil.which('npm', path=path) is None and shutil.which('node', path=path) is None
    env = {'PATH': path, 'HOME': str(tmp), 'PIP_DISABLE_PIP_VERSION_CHECK': '1'}
    env.update({k: os.environ[k] for k in PIP_SETTINGS if k in os.environ})
    return clone, bin_dir, env


def pip_install(bin_dir, clone, env):
    return subprocess.run([os.path.join(bin_dir, 'pip'), 'install', '-q', clone], env=env,
                          capture_output=True, text=True, timeout=900)


def test_install_without_npm_fails_naming_the_fix(checkout_without_npm):
    clone, bin_dir, env = checkout_without_npm
    proc = pip_install(bin_dir, clone, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'cannot build the Stackviz site from this checkout: npm not found on PATH' in out
    for fix in ('Install Node.js 18+ with npm', 'install a release artifact (sdist or wheel',
                'STACKVIZ_DATA_ONLY=1'):
        assert fix in out, out[-3000:]
    assert not glob.glob(os.path.join(bin_dir, 'stackviz-publish'))


def test_install_without_npm_with_data_only_opt_in(checkout_without_npm):
    clone, bin_dir, env = checkout_without_npm
    proc = pip_install(bin_dir, clone, dict(env, STACKVIZ_DATA_ONLY='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert not glob.glob(os.path.join(os.path.dirname(bin_dir), 'lib', 'python*',
                                      'site-packages', 'stackviz_publish', 'site'))
    help_run = subprocess.run([os.path.join(bin_dir, 'stackviz-publish'), '--help'], env=env,
                              capture_output=True, text=True, timeout=120)
    assert help_run.returncode == 0 and 'publish' in help_run.stdout


def site_tree(tmp_path, built):
    site_src, index = tmp_path / 'site', tmp_path / 'pkg' / 'site' / 'index.html'
    site_src.mkdir(parents=True)
    (site_src / 'package.json').write_text('{}')
    if built:
        index.parent.mkdir(parents=True)
        index.write_text('<html></html>')
    return str(site_src), str(index)


def test_ensure_site_builds_only_a_checkout_without_a_built_site(tmp_path):
    setup_py = load_setup_py()
    calls = []
    site_src, index = site_tree(tmp_path, built=True)
    setup_py.ensure_site(site_src, index, {}, build=lambda *a: calls.append(a))
    assert calls == []  # built already (an sdist, or a second build)
    site_src, index = site_tree(tmp_path / 'fresh', built=False)
    setup_py.ensure_site(site_src, index, {}, build=lambda *a: calls.append(a))
    assert calls == [(site_src, index)]
    os.remove(os.path.join(site_src, 'package.json'))
    setup_py.ensure_site(site_src, index, {}, build=lambda *a: calls.append(a))
    assert len(calls) == 1  # no site/package.json: nothing to build from


def test_ensure_site_failure_is_an_error_unless_data_only(tmp_path, capsys):
    setup_py = load_setup_py()

    def broken(site_src, index):
        raise setup_py.SiteBuildError('npm ci failed (its output is above)')

    site_src, index = site_tree(tmp_path, built=False)
    with pytest.raises(SystemExit) as stop:
        setup_py.ensure_site(site_src, index, {}, build=broken)
    message = str(stop.value)
    assert message.startswith('error: cannot build the Stackviz site from this checkout: '
                              'npm ci failed')
    assert 'Node.js 18+' in message and 'STACKVIZ_DATA_ONLY=1' in message
    setup_py.ensure_site(site_src, index, {'STACKVIZ_DATA_ONLY': '1'}, build=broken)
    assert 'installing without the site' in capsys.readouterr().out


def test_old_node_is_refused_by_name(tmp_path, monkeypatch):
    setup_py = load_setup_py()
    node = tmp_path / 'node'
    node.write_text('#!/bin/sh\necho v16.20.2\n')
    node.chmod(0o755)
    (tmp_path / 'npm').symlink_to(node)
    monkeypatch.setenv('PATH', str(tmp_path))
    site_src, index = site_tree(tmp_path / 'tree', built=False)
    with pytest.raises(setup_py.SiteBuildError, match='Node.js 18. is needed, .* has 16'):
        setup_py.run_npm(site_src, index)
