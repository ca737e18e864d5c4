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
