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
