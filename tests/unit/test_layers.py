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

"""One direction of imports: readers -> model -> writers -> export -> publish -> cli,
with shared helpers below all of them. A module may import from its own layer or a
lower one; code outside stackviz_publish/readers/ reaches the readers only through
their facade (stackviz_publish.readers) or the shared input-file policy."""
import ast
import os

import pytest

PACKAGE = 'stackviz_publish'
ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), PACKAGE)

LAYERS = ('shared', 'readers', 'model', 'writers', 'export', 'publish', 'cli')

# Every module, by dotted name below the package. A new module must be placed here.
MODULE_LAYER = {
    '': 'shared',                     # the package itself: version()
    'stopping': 'shared',
    'atomic_folders': 'shared',
    'format': 'shared',
    'logs_folder': 'shared',
    'limits': 'shared',               # the caps every layer applies
    'peak_memory': 'shared',          # RSS and its peak (--debug, benches)
    'sitefiles': 'shared',
    'shipped': 'shared',
    'readers.files': 'shared',        # the one input-file policy
    'readers.errors': 'shared',
    'readers': 'readers',
    'readers.apart': 'readers',
    'readers.stream': 'readers',
    'readers.subunit_v1': 'readers',
    'readers.subunit_v2': 'readers',
    'readers.dstat': 'readers',
    'readers.repository': 'readers',
    'readers.oslolog': 'readers',
    'discover': 'readers',
    'metadata': 'readers',
    'zuul_inventory': 'readers',
    'remote': 'readers',
    'remote_discover': 'readers',
    'triage': 'model',
    'servicelogs': 'model',           # service log lines matched to the tests
    'model': 'model',
    'idset': 'model',                 # the compact set of the ids a run gave out
    'writers': 'writers',
    'writers.background': 'writers',
    'writers.datafile': 'writers',
    'writers.datascript': 'writers',
    'writers.figures': 'writers',
    'writers.output': 'writers',
    'writers.packer': 'writers',
    'writers.scriptcodec': 'writers',
    'writers.run': 'writers',
    'writers.servicelogs': 'writers',
    'writers.timeline': 'writers',
    'generate': 'writers',
    'sample': 'writers',
    'generate_services': 'writers',
    'export': 'export',
    'publish': 'publish',
    'serve': 'publish',
    'view': 'publish',
    'cli': 'cli',
    'cli.main': 'cli',
    'cli.harness': 'cli',
    'cli.limit_args': 'cli',
    'cli.elements_cmd': 'cli',
    'cli.export_cmd': 'cli',
    'cli.publish_cmd': 'cli',
    'cli.sample_cmd': 'cli',
    'cli.serve_cmd': 'cli',
    'cli.view_cmd': 'cli',
}

# Reachable from outside stackviz_publish/readers/ (besides shared modules there).
READERS_FACADE = 'readers'


def module_files(root=ROOT):
    """(dotted name below the package, path) of every module under ``root``."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(names):
            if not name.endswith('.py'):
                continue
            rel = os.path.relpath(os.path.join(folder, name), root)[:-3].split(os.sep)
            if rel[-1] == '__init__':
                rel = rel[:-1]
            yield '.'.join(rel), os.path.join(folder, name)


def _known(name, modules):
    """The longest prefix of dotted ``name`` that is a module of ours."""
    parts = name.split('.')
    while parts and '.'.join(parts) not in modules:
        parts.pop()
    return '.'.join(parts)


def imported(source, modules):
    """Dotted names (below the package) of our modules that ``source`` imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module + '.' + alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + '.'):
                found.add(_known(name[len(PACKAGE) + 1:], modules))
    return found


def violations(files, layer_of):
    """One line for each import against the flow, or of a module with no layer."""
    modules = {name for name, _path in files}
    found = []
    for name, path in files:
        if name not in layer_of:
            found.append('%s: not placed in a layer (add it to MODULE_LAYER)' % name)
            continue
        with open(path, encoding='utf-8') as handle:
            targets = imported(handle.read(), modules | set(layer_of))
        rank = LAYERS.index(layer_of[name])
        for target in sorted(targets):
            if target == name or target not in layer_of:
                continue
            if LAYERS.index(layer_of[target]) > rank:
                found.append('%s (%s) imports %s (%s)'
                             % (name, layer_of[name], target, layer_of[target]))
            elif (target.startswith('readers.') and not name.startswith('readers')
                  and layer_of[target] != 'shared'):
                found.append('%s imports %s: use the facade stackviz_publish.%s'
                             % (name, target, READERS_FACADE))
    return found


def test_every_import_follows_the_layers():
    assert violations(list(module_files()), MODULE_LAYER) == []


def test_the_map_names_only_existing_modules():
    assert set(MODULE_LAYER) - {name for name, _path in module_files()} == set()


def _tree(tmp_path, sources):
    for rel, text in sources.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(module_files(str(tmp_path)))


@pytest.mark.parametrize('sources, expected', [
    ({'model.py': 'from stackviz_publish.writers import output\n',
      'writers/__init__.py': '', 'writers/output.py': ''},
     ['model (model) imports writers.output (writers)']),
    ({'model.py': 'import stackviz_publish.cli.main as m\n',
      'cli/__init__.py': '', 'cli/main.py': ''},
     ['model (model) imports cli.main (cli)']),
    ({'export.py': 'from stackviz_publish.readers.subunit_v2 import Damage\n',
      'readers/__init__.py': '', 'readers/subunit_v2.py': ''},
     ['export imports readers.subunit_v2: use the facade stackviz_publish.readers']),
    ({'newthing.py': ''}, ['newthing: not placed in a layer (add it to MODULE_LAYER)']),
    ({'export.py': 'from stackviz_publish import readers, model, stopping\n'
                   'from stackviz_publish.readers import files\n',
      'readers/__init__.py': '', 'readers/files.py': '', 'model.py': '',
      'stopping.py': ''}, []),
])
def test_violations_are_found(tmp_path, sources, expected):
    assert violations(_tree(tmp_path, sources), MODULE_LAYER) == expected
