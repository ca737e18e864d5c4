# Copyright stackviz-publish developers. Licensed under the Apache License 2.0.
import os
import shutil
import subprocess
import sys

import setuptools

HERE = os.path.dirname(os.path.abspath(__file__))
# Commands that make or install the package: they need the built site.
BUILD_COMMANDS = {'build', 'build_py', 'bdist_wheel', 'bdist_egg', 'sdist', 'install',
                  'develop', 'egg_info', 'dist_info', 'editable_wheel'}


def build_site():
    """Build the site into stackviz_publish/site/ with npm when it is missing.

    Only a checkout needs this: a release artifact (sdist, wheel) already holds the
    built site (MANIFEST.in grafts it), so installing one never runs npm. Without npm a
    checkout still installs a working publisher that copies /opt/stackviz/site or --site
    instead, unless STACKVIZ_REQUIRE_SITE=1 (release builds) makes it an error.
    """
    site_src = os.path.join(HERE, 'site')
    index = os.path.join(HERE, 'stackviz_publish', 'site', 'index.html')
    if (os.path.exists(index) or not os.path.exists(os.path.join(site_src, 'package.json'))
            or not BUILD_COMMANDS.intersection(sys.argv[1:])):
        return
    steps = [['run', 'build']]
    if not os.path.isdir(os.path.join(site_src, 'node_modules')):
        steps.insert(0, ['ci', '--no-audit', '--no-fund'])
    try:
        npm = shutil.which('npm')
        if not npm:
            raise OSError('npm not found on PATH')
        for step in steps:
            subprocess.run([npm] + step, cwd=site_src, check=True)
        if not os.path.exists(index):
            raise OSError('npm run build wrote no %s' % index)
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get('STACKVIZ_REQUIRE_SITE') == '1':
            sys.exit('error: cannot build the site: %s' % exc)
        sys.stderr.write('warning: the site was not built (%s); the publisher will copy '
                         '/opt/stackviz/site or --site instead\n' % exc)


build_site()
setuptools.setup(setup_requires=['pbr>=5.8.0'], pbr=True)
