"""stackviz-publish: export, publish and view Stackviz data for CI jobs."""


def version():
    """The installed version (pbr writes it at build time from git tags), or None.

    Only importlib.metadata: pbr is a build requirement, not a runtime one, so the
    image's venv needs no pbr and no setuptools.
    """
    try:
        from importlib import metadata
        return metadata.version('stackviz-publish')
    except Exception:   # not installed (run from a source tree)
        return None
