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
"""pbr setup, plus one build hook: the viewer site is built with npm when missing.

The hook runs before ``egg_info``, the step that lists the files every artifact
carries (sdist, wheel, editable install), so the built site is there when they are
made. A checkout needs npm for it; release artifacts (sdist, wheel) already hold the
built site and never run it.
"""
import os
import re
import shutil
import subprocess

import setuptools
from setuptools import dist as st_dist

HERE = os.path.dirname(os.path.abspath(__file__))
SITE_SRC = os.path.join(HERE, 'site')
SITE_INDEX = os.path.join(HERE, 'stackviz_publish', 'site', 'index.html')
MIN_NODE = 18
DATA_ONLY_VAR = 'STACKVIZ_DATA_ONLY'
HOW_TO_FIX = (
    'Install Node.js %d+ with npm and retry, or install a release artifact (sdist or '
    'wheel: they hold the built site). To install without the site on purpose, set '
    '%s=1; the publisher then copies /opt/stackviz/site or --site.' % (MIN_NODE, DATA_ONLY_VAR))


class SiteBuildError(Exception):
    """The site cannot be built here; the message says why."""


def node_major(node):
    out = subprocess.run([node, '--version'], capture_output=True, text=True).stdout
    found = re.match(r'v?(\d+)\.', out.strip())
    return int(found.group(1)) if found else 0


def run_npm(site_src, index):
    """Build the site with npm (npm ci first when node_modules is missing)."""
    npm, node = shutil.which('npm'), shutil.which('node')
    if not npm or not node:
        raise SiteBuildError('%s not found on PATH' % ('npm' if not npm else 'node'))
    if node_major(node) < MIN_NODE:
        raise SiteBuildError('Node.js %d+ is needed, %s has %s'
                             % (MIN_NODE, node, node_major(node) or 'an unknown version'))
    steps = [['run', 'build']]
    if not os.path.isdir(os.path.join(site_src, 'node_modules')):
        steps.insert(0, ['ci', '--no-audit', '--no-fund'])
    for step in steps:
        if subprocess.run([npm] + step, cwd=site_src).returncode != 0:
            raise SiteBuildError('npm %s failed (its output is above)' % ' '.join(step))
    if not os.path.exists(index):
        raise SiteBuildError('npm run build wrote no %s' % index)


def ensure_site(site_src=SITE_SRC, index=SITE_INDEX, environ=os.environ, build=run_npm):
    """Build the site of a checkout once; fail loudly when that is impossible."""
    if os.path.exists(index) or not os.path.exists(os.path.join(site_src, 'package.json')):
        return  # built already, or not a checkout (nothing to build from)
    try:
        build(site_src, index)
    except (OSError, SiteBuildError) as exc:
        if environ.get(DATA_ONLY_VAR) == '1':
            print('warning: installing without the site (%s=1): %s' % (DATA_ONLY_VAR, exc))
            return
        raise SystemExit('error: cannot build the Stackviz site from this checkout: %s.\n%s'
                         % (exc, HOW_TO_FIX))


class SiteDistribution(st_dist.Distribution):
    """Puts ensure_site() in front of whichever egg_info pbr chose.

    pbr replaces the whole cmdclass from setup.cfg, so a cmdclass given to setup() is
    dropped; wrapping at look-up time keeps pbr's own commands.
    """

    def get_command_class(self, command):
        cls = super().get_command_class(command)
        if command != 'egg_info' or getattr(cls, 'builds_site', False):
            return cls

        class EggInfoWithSite(cls):
            builds_site = True

            def run(self):
                ensure_site()
                super().run()

        self.cmdclass[command] = EggInfoWithSite
        return EggInfoWithSite


if __name__ == '__main__':
    setuptools.setup(setup_requires=['pbr>=5.8.0'], pbr=True, distclass=SiteDistribution)
