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

"""DIB's own conventions for elements/, checked by dib-lint and by DIB's resolver.

Run by ``tox -e dib-lint`` (which installs diskimage-builder and flake8).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELEMENT = os.path.join(REPO, 'elements', 'stackviz')
# dib-run-parts runs only executable files whose whole name matches this.
RUNNABLE = re.compile(r'^[0-9A-Za-z_-]+$')
PHASES = ('root.d', 'extra-data.d', 'pre-install.d', 'install.d', 'post-install.d',
          'block-device.d', 'finalise.d', 'cleanup.d')


def _dib_lint():
    """The dib-lint of this Python's environment (tox's), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), 'dib-lint')
    return beside if os.path.exists(beside) else shutil.which('dib-lint')


def test_dib_lint_is_clean():
    dib_lint = _dib_lint()
    if not dib_lint:
        pytest.skip('dib-lint NOT RUN: diskimage-builder is not installed (tox -e dib-lint)')
    env = dict(os.environ, ELEMENTS_DIR='elements', LIB_DIR='tools')
    proc = subprocess.run([dib_lint], cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    problems = [line for line in proc.stdout.splitlines()
                if 'ERROR' in line or 'FAIL' in line or line.startswith(' --')]
    assert proc.returncode == 0, 'dib-lint failed:\n' + '\n'.join(problems or [proc.stdout])
    assert proc.stdout.rstrip().endswith('PASS')


def _hook_files():
    for top, dirs, files in os.walk(ELEMENT):
        if os.path.basename(top) in PHASES:
            for name in files:
                yield os.path.join(top, name)


def test_every_hook_script_runs_or_is_called():
    """A hook named like 50-foo.sh is skipped by DIB without a word: catch it here."""
    hooks = list(_hook_files())
    assert hooks, 'no hook scripts found under %s' % ELEMENT
    for path in hooks:
        name = os.path.basename(path)
        if RUNNABLE.match(name):
            assert os.access(path, os.X_OK), '%s is not executable: DIB skips it' % path
            continue
        # A helper: some runnable script beside it must call it by name.
        callers = [os.path.join(os.path.dirname(path), other)
                   for other in os.listdir(os.path.dirname(path)) if RUNNABLE.match(other)]
        assert any(name in open(caller).read() for caller in callers), \
            '%s is neither run by DIB (name) nor called by a hook beside it' % path


def test_environment_files_are_sourced_not_run():
    env_dirs = [top for top, _, _ in os.walk(ELEMENT) if os.path.basename(top) == 'environment.d']
    assert env_dirs
    for folder in env_dirs:
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            assert not os.access(path, os.X_OK), '%s must not be executable' % path
            # Each default must keep a value the caller already set.
            for line in open(path):
                match = re.match(r'\s*export (DIB_\w+)=(.*)', line)
                if match:
                    assert match.group(2).startswith('${%s:-' % match.group(1)), line


def test_dependencies_resolve_with_dib_elements():
    try:
        import diskimage_builder
    except ImportError:
        pytest.skip('element resolution NOT RUN: diskimage-builder is not installed')
    dib_elements = os.path.join(os.path.dirname(diskimage_builder.__file__), 'elements')
    # As disk-image-create does: DIB's own elements after the ones named here.
    env = dict(os.environ, ELEMENTS_PATH=':'.join(
        [os.path.join(REPO, 'elements'), os.path.join(ELEMENT, 'test-elements'),
         dib_elements]))
    proc = subprocess.run(
        [sys.executable, '-m', 'diskimage_builder.element_dependencies', 'debian-minimal',
         'build-succeeds'],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    expanded = set(proc.stdout.split())
    for needed in ('stackviz', 'debian-minimal', 'package-installs', 'pkg-map'):
        assert needed in expanded, '%s missing from %s' % (needed, sorted(expanded))
    # The element fetches its own source (or release): no git in the image for it.
    assert 'source-repositories' not in expanded
