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

"""Find the folders a release ships as data files: the DIB elements and the Zuul role.

The wheel installs them under <prefix>/share/stackviz-publish/ (setup.cfg [files]);
a source checkout has them at its root. The checkout wins when this package runs from
one, so that its elements match its code.
"""
import os

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARE = 'share/stackviz-publish'


def _installed(name, distribution):
    """<prefix>/share/stackviz-publish/<name> of the installed distribution, or None."""
    from importlib import metadata
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    marker = '%s/%s/' % (SHARE, name)
    for path in dist.files or ():
        text = str(path).replace(os.sep, '/')
        if marker in text:
            # The folder is the file's path cut right after SHARE/name.
            cut = text.index(marker) + len(marker) - 1
            return os.path.normpath(str(dist.locate_file(text[:cut])))
    return None


def find(name, distribution='stackviz-publish', checkout=CHECKOUT):
    """The folder ``name`` (``elements`` or ``roles``), or None when none is installed."""
    in_checkout = os.path.join(checkout, name)
    if os.path.isfile(os.path.join(checkout, 'setup.cfg')) and os.path.isdir(in_checkout):
        return in_checkout
    found = _installed(name, distribution)
    return found if found and os.path.isdir(found) else None
