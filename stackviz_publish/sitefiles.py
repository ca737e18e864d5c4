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

"""Locate the built site and copy it into a staging folder.

Order: ``--site``, then $STACKVIZ_SITE, then the image's fixed path /opt/stackviz/site
(the DIB element puts it there), then the copy shipped inside this Python package.
"""
import os
import shutil

ENV_VAR = 'STACKVIZ_SITE'
IMAGE_SITE = '/opt/stackviz/site'
PACKAGE_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'site')


class SiteError(Exception):
    """An explicitly named site folder is unusable (one-line message)."""


def is_site(path):
    return bool(path) and os.path.isfile(os.path.join(path, 'index.html'))


def find_site(explicit=None, environ=None):
    """Return the site folder to copy, or None when no built site is installed.

    A folder named by the user (flag or environment) must be a site: a typo there
    should be reported, not silently replaced by another copy.
    """
    environ = os.environ if environ is None else environ
    for origin, path in (('--site', explicit), (ENV_VAR, environ.get(ENV_VAR))):
        if path:
            if not is_site(path):
                raise SiteError('%s %s has no index.html: not a built site' % (origin, path))
            return path
    for path in (IMAGE_SITE, PACKAGE_SITE):
        if is_site(path):
            return path
    return None


def copy_site(site, dest):
    """Copy the site into the folder ``dest``, leaving out any data/ folder.

    The site's own data/ (a development sample) would mix with the run's data.
    """
    def ignore(folder, names):
        if os.path.samefile(folder, site):
            return [n for n in names if n == 'data']
        return []
    shutil.copytree(site, dest, ignore=ignore, dirs_exist_ok=True)
