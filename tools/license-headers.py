#!/usr/bin/env python3
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
"""Add the Apache-2.0 licence header to the project's sources, or check for it.

    python tools/license-headers.py            # add it where it is missing
    python tools/license-headers.py --check    # list files without it; exit 1 if any

Sources are the Python, shell and TypeScript/JavaScript files git knows (tracked, or
new and not ignored): by extension, by a shebang naming sh, bash, python or node, and
DIB's sourced ``environment.d`` files. Empty files are left alone (a header alone
would be a file of nothing but comments). The header goes after a shebang line and a
Python coding line, so both keep their places; comments before a module docstring
leave it the docstring. A file that already has it is not changed: running twice
changes nothing.
"""
import argparse
import os
import re
import subprocess
import sys

HOLDER = 'stackviz-publish developers'
MARKER = 'Licensed under the Apache License, Version 2.0'
HEADER = """Copyright {holder}.

Licensed under the Apache License, Version 2.0 (the "License"); you may
not use this file except in compliance with the License. You may obtain
a copy of the License at

     http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
License for the specific language governing permissions and limitations
under the License.
"""
HASH_EXTENSIONS = ('.py', '.sh', '.bash')
SLASH_EXTENSIONS = ('.ts', '.mjs', '.cjs', '.js')
SHEBANG = re.compile(r'#!.*\b(sh|bash|python[0-9.]*|node)\b')
CODING = re.compile(r'^[ \t\f]*#.*?coding[:=]')
HEAD_LINES = 40  # the header must start within the first lines to count


def comment_prefix(path, first_line):
    """'# ' or '// ' for a source file, None for any other file."""
    name = os.path.basename(path)
    if name.endswith(HASH_EXTENSIONS):
        return '# '
    if name.endswith(SLASH_EXTENSIONS) and not name.endswith('.d.ts'):
        return '// '
    if '.' in name:
        return None
    found = SHEBANG.match(first_line)
    if found:
        return '// ' if found.group(1) == 'node' else '# '
    if os.path.basename(os.path.dirname(path)) == 'environment.d':
        return '# '  # DIB sources these into bash
    return None


def header_lines(prefix, holder=HOLDER):
    return [(prefix + line).rstrip() + '\n'
            for line in HEADER.format(holder=holder).splitlines()]


def has_header(text):
    return MARKER in ''.join(text.splitlines(keepends=True)[:HEAD_LINES])


def with_header(text, prefix):
    """text with the header added after any shebang and coding line."""
    lines = text.splitlines(keepends=True)
    at = 0
    if lines and lines[0].startswith('#!'):
        at = 1
    if prefix == '# ' and len(lines) > at and at < 2 and CODING.match(lines[at]):
        at += 1
    if at and not lines[at - 1].endswith('\n'):
        lines[at - 1] += '\n'
    block = header_lines(prefix)
    if at < len(lines) and lines[at].strip():
        block.append('\n')
    return ''.join(lines[:at] + block + lines[at:])


def project_files(root):
    """Files git knows under root: tracked, and new ones that are not ignored."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others',
                          '--exclude-standard'], cwd=root, check=True,
                         capture_output=True).stdout
    names = sorted({n for n in out.decode('utf-8', 'surrogateescape').split('\0') if n})
    return [n for n in names if os.path.isfile(os.path.join(root, n))
            and not os.path.islink(os.path.join(root, n))]


def read_source(path):
    """(text, prefix), or (None, None) for a file that is not a source or is empty."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (UnicodeDecodeError, OSError):
        return None, None
    if not text.strip():
        return None, None
    prefix = comment_prefix(path, text.split('\n', 1)[0])
    return (text, prefix) if prefix else (None, None)


def run(root, check):
    """Paths (relative to root) lacking the header; added unless check."""
    missing = []
    for name in project_files(root):
        path = os.path.join(root, name)
        text, prefix = read_source(path)
        if text is None or has_header(text):
            continue
        missing.append(name)
        if not check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(with_header(text, prefix))
    return missing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='change nothing; list files without the header, exit 1 if any')
    parser.add_argument('--root', default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), help='the checkout (default: this tool\'s)')
    args = parser.parse_args(argv)
    try:
        missing = run(args.root, args.check)
    except (OSError, subprocess.CalledProcessError) as exc:
        print('license-headers: error: cannot list the files of %s with git: %s'
              % (args.root, exc), file=sys.stderr)
        return 2
    for name in missing:
        print(('no licence header: %s' if args.check else 'header added: %s') % name)
    return 1 if args.check and missing else 0


if __name__ == '__main__':
    sys.exit(main())
