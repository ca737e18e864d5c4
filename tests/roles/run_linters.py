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

"""``tox -e linters``: ansible-lint over roles/, yamllint over the YAML we own, and
shellcheck over every shell script of the element, tools/ and the hook.

One JUnit case per tool (and per script for shellcheck), so a report names what is
unclean. Named run_*.py so that ``pytest tests/roles`` (tox -e roles) leaves it out.
"""
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHELL_TREES = ('elements', 'tools', os.path.join('stackviz_publish', 'hooks'))
YAML = ('roles', os.path.join('tests', 'roles'), 'elements', '.ansible-lint', '.yamllint')


def tool(name):
    """The tool of this Python's environment (tox's), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    found = beside if os.path.exists(beside) else shutil.which(name)
    if not found:
        pytest.skip('%s NOT RUN: it is not installed (tox -e linters; bindep for '
                    'shellcheck)' % name)
    return found


def shell_scripts():
    """(path, shell) for each script: a shebang names it; environment.d files are
    sourced by DIB's bash."""
    for tree in SHELL_TREES:
        for top, dirs, files in os.walk(os.path.join(REPO, tree)):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(top, name)
                with open(path, 'rb') as f:
                    first = f.readline()
                if first.startswith(b'#!') and first.rstrip().endswith((b'sh', b'bash')):
                    yield os.path.relpath(path, REPO), None
                elif os.path.basename(top) == 'environment.d':
                    yield os.path.relpath(path, REPO), 'bash'


def run(argv):
    proc = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=dict(os.environ, NO_COLOR='1'))
    return proc.returncode, proc.stdout


def test_ansible_lint_is_clean():
    code, out = run([tool('ansible-lint'), '--offline', 'roles/'])
    assert code == 0, out


def test_yamllint_is_clean():
    code, out = run([tool('yamllint'), '--strict'] + list(YAML))
    assert code == 0, out


SCRIPTS = list(shell_scripts())


def test_every_script_is_checked():
    paths = [path for path, _ in SCRIPTS]
    assert os.path.join('stackviz_publish', 'hooks', 'post_test_hook.sh') in paths
    assert os.path.join('elements', 'stackviz', 'install.d', '75-stackviz') in paths
    assert any(path.startswith('tools' + os.sep) for path in paths)


@pytest.mark.parametrize('path,shell', SCRIPTS, ids=[path for path, _ in SCRIPTS])
def test_shellcheck_is_clean(path, shell):
    argv = [tool('shellcheck')] + (['--shell', shell] if shell else []) + [path]
    code, out = run(argv)
    assert code == 0, out
