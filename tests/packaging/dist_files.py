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
