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

"""The element README's nodepool ``diskimages:`` snippet passes nodepool's config-validate.

nodepool comes from $STACKVIZ_NODEPOOL (its ``nodepool`` command), else ``nodepool`` on
PATH, else it is pip-installed into its own venv under .cache/nodepool-venv (kept for
the next run; several minutes the first time). If that install fails, the test skips
and says why.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(REPO, 'elements', 'stackviz', 'README.rst')
VENV = os.path.join(REPO, '.cache', 'nodepool-venv')


def snippet():
    """The README's literal block holding ``diskimages:``, dedented."""
    with open(README) as f:
        text = f.read()
    for block in re.findall(r'::\n\n((?:(?: {4}.*)?\n)+)', text):
        if 'diskimages:' in block:
            return '\n'.join(line[4:] for line in block.splitlines()) + '\n'
    raise AssertionError('no diskimages: snippet in %s' % README)


def documented_variables():
    with open(README) as f:
        return set(re.findall(r'^``(DIB_\w+)``$', f.read(), re.M))


@pytest.fixture(scope='module')
def nodepool():
    explicit = os.environ.get('STACKVIZ_NODEPOOL') or shutil.which('nodepool')
    if explicit:
        return explicit
    command = os.path.join(VENV, 'bin', 'nodepool')
    if not os.path.exists(command):
        steps = ([sys.executable, '-m', 'venv', VENV],
                 [os.path.join(VENV, 'bin', 'pip'), 'install', '-q', 'nodepool'])
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0:
                shutil.rmtree(VENV, ignore_errors=True)
                last = (proc.stderr.strip().splitlines() or ['?'])[-1]
                sys.stderr.write('\nNODEPOOL CHECK NOT RUN: nodepool does not install from '
                                 'the package index here: %s\n' % last)
                pytest.skip('NODEPOOL CHECK NOT RUN: nodepool does not install: %s' % last)
    return command


def validate(nodepool, tmp_path, text):
    config = tmp_path / 'nodepool.yaml'
    config.write_text(text)
    return subprocess.run([nodepool, '-c', str(config), 'config-validate'],
                          capture_output=True, text=True, timeout=300)


def test_snippet_names_the_shipped_elements_and_documented_variables():
    text = snippet()
    assert re.search(r'^elements-dir: \S*/share/stackviz-publish/elements$', text, re.M)
    assert '- stackviz\n' in text
    used = set(re.findall(r'^\s+(DIB_\w+):', text, re.M))
    assert used and used <= documented_variables(), used - documented_variables()


def test_snippet_passes_config_validate(nodepool, tmp_path):
    proc = validate(nodepool, tmp_path, snippet())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_config_validate_does_reject_a_bad_diskimage(nodepool, tmp_path):
    """The same snippet with a misspelt key fails: the check above is a real one."""
    proc = validate(nodepool, tmp_path, snippet().replace('env-vars:', 'env-varz:'))
    assert proc.returncode != 0
    assert 'env-varz' in proc.stdout + proc.stderr
