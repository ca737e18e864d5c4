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

"""Pieces of the element's install script that need no image build: run here, in bash."""
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, 'elements', 'stackviz', 'install.d', 'stackviz-build.bash')


def function_text(name):
    """One shell function's definition, as written in the script."""
    with open(BUILD) as f:
        lines = f.read().splitlines()
    start = lines.index('%s() {' % name)
    end = lines.index('}', start)
    return '\n'.join(lines[start:end + 1])


def run_check_node(tmp_path, version):
    """check_node with a `node` on PATH that reports ``version`` (None: no node)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    if version is not None:
        node = bin_dir / 'node'
        node.write_text('#!/bin/sh\necho %s\n' % version)
        node.chmod(0o755)
    script = '\n'.join([
        'set -eu', 'NODE_MIN=18',
        'die() { echo "stackviz: ERROR: $*" >&2; exit 1; }',
        function_text('check_node'), 'check_node', 'echo ok'])
    return subprocess.run(['/bin/bash', '-c', script], capture_output=True, text=True,
                          env={'PATH': '%s:/usr/bin:/bin' % bin_dir if version else
                               str(bin_dir)})


@pytest.mark.parametrize('version', ['v18.19.0', 'v20.11.1', 'v22.0.0'])
def test_node_18_or_later_passes(tmp_path, version):
    proc = run_check_node(tmp_path, version)
    assert proc.returncode == 0 and proc.stdout == 'ok\n', proc.stderr


@pytest.mark.parametrize('version, shown', [('v12.22.9', 'v12.22.9'), ('v17.9.1', 'v17.9.1'),
                                            (None, 'none')])
def test_older_or_missing_node_fails_with_one_clear_line(tmp_path, version, shown):
    proc = run_check_node(tmp_path, version)
    assert proc.returncode == 1 and proc.stdout == ''
    (line,) = proc.stderr.splitlines()
    assert line.startswith('stackviz: ERROR: a source build needs Node.js 18 or later')
    assert "this distribution's nodejs is %s." % shown in line
    assert 'Install a release instead' in line
