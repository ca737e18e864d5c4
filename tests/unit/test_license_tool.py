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
"""tools/license-headers.py on a generated git tree: what it touches, and how."""
import ast
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, 'tools', 'license-headers.py')

pytestmark = pytest.mark.skipif(not shutil.which('git'), reason='needs git')

SOURCES = {
    'pkg/mod.py': '"""The module docstring."""\nVALUE = 41 + 1\nprint(VALUE)\n',
    'pkg/script.py': ('#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n'
                      '"""Doc."""\nprint("ran")\n'),
    'tools/run': '#!/bin/bash\nset -eu\necho ran\n',
    'tools/plain.sh': 'echo ran\n',
    'elements/e/environment.d/10-e': 'export E_VAR=${E_VAR:-1}\n',
    'site/src/app.ts': 'export const x: number = 1;\n',
    'bench/b.mjs': '#!/usr/bin/env node\nconsole.log("ran");\n',
    'site/src/no-newline.js': 'console.log("ran")',
}
LEFT_ALONE = {
    'pkg/__init__.py': '',
    'README.rst': 'Title\n=====\n',
    'data.json': '{}\n',
    'site/src/types.d.ts': 'declare const y: number;\n',
    'tools/notes': 'just text, no shebang\n',
}


def load_tool():
    spec = importlib.util.spec_from_file_location('license_headers', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_tree(root):
    files = dict(SOURCES, **LEFT_ALONE)
    files['ignored.py'] = 'print(1)\n'
    files['.gitignore'] = 'ignored.py\n'
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    os.chmod(os.path.join(root, 'tools', 'run'), 0o755)
    subprocess.run(['git', 'init', '-q', root], check=True)
    subprocess.run(['git', 'add', 'pkg', 'tools', 'README.rst'], cwd=root, check=True)
    # the rest stays untracked (new, not ignored): it counts as well


def read(root, name):
    with open(os.path.join(root, name)) as f:
        return f.read()


def test_check_lists_then_add_fixes_and_a_second_run_changes_nothing(tmp_path, capsys):
    tool, root = load_tool(), str(tmp_path)
    make_tree(root)
    assert tool.main(['--root', root, '--check']) == 1
    listed = capsys.readouterr().out.split('\n')
    assert sorted(line.split(': ', 1)[1] for line in listed if line) == sorted(SOURCES)
    assert read(root, 'pkg/mod.py') == SOURCES['pkg/mod.py']  # --check changed nothing

    assert tool.main(['--root', root]) == 0
    after = {name: read(root, name) for name in list(SOURCES) + list(LEFT_ALONE)}
    assert tool.main(['--root', root, '--check']) == 0
    capsys.readouterr()
    assert tool.main(['--root', root]) == 0
    assert capsys.readouterr().out == ''
    assert after == {name: read(root, name) for name in after}
    for name, text in LEFT_ALONE.items():
        assert after[name] == text, name
    assert read(root, 'ignored.py') == 'print(1)\n'
    for name in SOURCES:
        prefix = '// ' if name.endswith(('.ts', '.js', '.mjs')) else '# '
        block = ''.join(tool.header_lines(prefix)) + '\n'
        assert after[name].count(block) == 1, name
        assert after[name].replace(block, '', 1) == SOURCES[name], name  # nothing else moved


def test_header_keeps_shebang_coding_line_and_docstring(tmp_path):
    tool, root = load_tool(), str(tmp_path)
    make_tree(root)
    tool.main(['--root', root])
    mod = read(root, 'pkg/mod.py')
    assert mod.startswith('# Copyright stackviz-publish developers.\n#\n# Licensed under')
    assert ast.get_docstring(ast.parse(mod)) == 'The module docstring.'
    script = read(root, 'pkg/script.py').splitlines()
    assert script[:2] == ['#!/usr/bin/env python3', '# -*- coding: utf-8 -*-']
    assert script[2] == '# Copyright stackviz-publish developers.'
    assert ast.get_docstring(ast.parse('\n'.join(script))) == 'Doc.'
    assert read(root, 'tools/run').startswith('#!/bin/bash\n# Copyright ')
    assert os.access(os.path.join(root, 'tools', 'run'), os.X_OK)
    assert read(root, 'site/src/app.ts').startswith('// Copyright ')
    assert read(root, 'bench/b.mjs').startswith('#!/usr/bin/env node\n// Copyright ')
    assert read(root, 'elements/e/environment.d/10-e').startswith('# Copyright ')


def test_changed_files_still_run(tmp_path):
    tool, root = load_tool(), str(tmp_path)
    make_tree(root)
    tool.main(['--root', root])
    runs = [[sys.executable, 'pkg/mod.py'], [sys.executable, 'pkg/script.py'],
            ['bash', 'tools/run'], ['bash', 'tools/plain.sh']]
    if shutil.which('node'):
        runs += [['node', 'bench/b.mjs'], ['node', 'site/src/no-newline.js']]
    for argv in runs:
        out = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout.strip() in ('42', 'ran'), (argv, out)


def test_outside_a_git_checkout_is_a_one_line_error(tmp_path, capsys):
    tool = load_tool()
    assert tool.main(['--root', str(tmp_path), '--check']) == 2
    err = capsys.readouterr().err
    assert err.startswith('license-headers: error: cannot list the files of ')
    assert err.count('\n') == 1
