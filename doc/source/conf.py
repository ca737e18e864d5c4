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
"""Sphinx configuration of the stackviz-publish documentation (tox -e docs)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

extensions = [
    'reno.sphinxext',
    'zuul_sphinx',
]

project = 'stackviz-publish'
copyright = 'stackviz-publish developers'
master_doc = 'index'
exclude_patterns = ['_build']

# A plain Sphinx theme. openstackdocstheme installs cleanly, but it is the theme of
# docs.openstack.org: every page would carry OpenStack's header and menus, load its
# search widget and its analytics tag from outside, and say "OpenStack Docs", which
# this project is not.
html_theme = 'alabaster'
html_static_path = []

# zuul:autorole reads roles/<name>/README.rst. zuul-sphinx looks for a Zuul config
# (zuul.yaml) from this folder up before it looks roles up: doc/source/zuul.yaml is an
# empty one (the project defines no Zuul jobs; Zuul itself reads only the top folder).
zuul_role_paths = [os.path.join(HERE, '..', '..', 'roles')]
