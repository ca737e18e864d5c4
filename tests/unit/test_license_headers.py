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
"""Every Python, shell and TypeScript/JavaScript source of the tree has the header.

``python tools/license-headers.py`` adds it where it is missing.
"""
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, 'tools', 'license-headers.py')


def test_every_source_has_the_licence_header():
    if not shutil.which('git') or not os.path.exists(os.path.join(REPO, '.git')):
        pytest.skip('LICENCE HEADERS NOT CHECKED: needs git and a git checkout')
    proc = subprocess.run([sys.executable, TOOL, '--check', '--root', REPO],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        'files without the licence header (run python tools/license-headers.py):\n'
        + proc.stdout + proc.stderr)
