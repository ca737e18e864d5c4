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

"""Where the packaging tests find the checkout and the release artifacts."""
import glob
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIST = os.path.join(REPO, 'dist')


def artifact(pattern):
    """The newest file in dist/ matching ``pattern``; skip when tox -e dist did not run."""
    found = sorted(glob.glob(os.path.join(DIST, pattern)))
    if not found:
        pytest.skip('no %s in dist/: build them first (tox -e dist)' % pattern)
    return found[-1]
