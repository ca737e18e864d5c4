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

"""Read the few facts we need from Zuul's ``zuul-info/inventory.yaml``.

Zuul writes the inventory with PyYAML (block style, strings often tagged ``!unsafe``).
We need only the host names (``all.hosts``, one per node) and the ``zuul`` variable
(``all.vars.zuul``: project, change, patchset, pipeline, job, build), so instead of a
YAML dependency this is a small, tolerant reader of block mappings: ``key: scalar``
and ``key:`` followed by a more indented mapping. Anything else (lists, block and
multi-line scalars, flow collections, anchors) is skipped, never guessed at. Time is
linear in the text; nesting deeper than MAX_DEPTH is skipped.
"""
import re

MAX_DEPTH = 32
MAX_HOSTS = 64
_TAG = re.compile(r'^!\S*\s+')
_PLAIN_KEY = re.compile(r'^([^\s#\'"{}\[\],&*!|>%@`][^:#]*?|[^\s#\'"]):(?:\s+(.*))?$')
_ESCAPES = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', '/': '/', '0': '\0', ' ': ' '}


def _unquote_double(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == '\\' and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def _quoted(text):
    """(value, rest) for a quoted scalar at the start of ``text``; value None when
    the closing quote is not on this line (a multi-line scalar: skipped)."""
    quote = text[0]
    i = 1
    while i < len(text):
        if text[i] == quote:
            if quote == "'" and text[i + 1:i + 2] == "'":
                i += 2
                continue
            body = text[1:i]
            value = body.replace("''", "'") if quote == "'" else _unquote_double(body)
            return value, text[i + 1:]
        if quote == '"' and text[i] == '\\':
            i += 1
        i += 1
    return None, ''


def _key(text):
    """(key, value text) of a ``key: value`` line, or None when it is not one."""
    if text[:1] in ('"', "'"):
        key, rest = _quoted(text)
        if key is None or not rest.startswith(':') or rest[1:2] not in ('', ' '):
            return None
        return key, rest[1:].strip()
    match = _PLAIN_KEY.match(text)
    if not match:
        return None
    return match.group(1).strip(), (match.group(2) or '').strip()


def _scalar(text):
    """The value of an inline scalar; None for what this reader does not read."""
    text = _TAG.sub('', text) if text.startswith('!') else text
    if not text or text[0] in '|>&*[{':
        return {} if text == '{}' else None
    if text[0] in ('"', "'"):
        value, rest = _quoted(text)
        return value
    value = text.split(' #', 1)[0].strip()
    if value in ('~', 'null', 'Null', 'NULL'):
        return None
    return value


def parse(text):
    """The block mappings in ``text`` as nested dicts of text values."""
    root = {}
    # (indent of the owning key, container, indent of its keys once known)
    stack = [[-1, root, None]]
    pending = None   # (indent, parent, key) of a "key:" line with nothing after it
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith('#') or stripped in ('---', '...'):
            continue
        indent = len(raw) - len(raw.lstrip(' '))
        if pending is not None:
            key_indent, parent, key = pending
            pending = None
            if indent > key_indent and not stripped.startswith('- ') \
                    and len(stack) < MAX_DEPTH:
                child = {}
                parent[key] = child
                stack.append([key_indent, child, None])
        while len(stack) > 1 and stack[-1][0] >= indent:
            stack.pop()
        frame = stack[-1]
        if frame[2] is None:
            frame[2] = indent
        if indent != frame[2] or stripped.startswith('-'):
            continue   # a list, or the rest of a multi-line scalar: not read
        parsed = _key(stripped)
        if parsed is None:
            continue
        key, value = parsed
        if value == '' or (value.startswith('!') and _TAG.sub('', value + ' ') == ''):
            frame[1][key] = None
            pending = (indent, frame[1], key)
        else:
            frame[1][key] = _scalar(value)
    return root


def _get(data, *path):
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def facts(text):
    """(host names, zuul variable dict or None) from an inventory's text."""
    data = parse(text)
    hosts = _get(data, 'all', 'hosts')
    names = list(hosts)[:MAX_HOSTS] if isinstance(hosts, dict) else []
    zuul = _get(data, 'all', 'vars', 'zuul')
    return names, zuul if isinstance(zuul, dict) else None
