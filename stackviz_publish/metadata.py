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

"""Job metadata from the legacy Zuul environment, Zuul's ``zuul`` variable, or flags.

Later sources win: flags override the JSON file, which overrides the environment.

Metadata never costs the site: a file that cannot be read, is not JSON, or holds
values of the wrong type or shape gives a warning (``warn``) and what was readable is
used. Sizes are capped: the file is read only up to MAX_FILE_BYTES, each value is cut
at MAX_VALUE_CHARS (with a visible marker), and only the FIELDS (7 keys) are kept.
"""
import json

from stackviz_publish.format import CLASSIC_KEYS
from stackviz_publish.format import LEGACY_ENV
from stackviz_publish.readers import files

FIELDS = ('project', 'change', 'patchset', 'pipeline', 'job', 'build', 'log_url')
MAX_FILE_BYTES = 1024 * 1024
MAX_VALUE_CHARS = 1024
CUT_MARKER = ' [stackviz: cut]'

# Where each field is in Zuul's ``zuul`` variable: the first path holding text wins.
ZUUL_PATHS = {
    'project': (('project', 'name'), ('project', 'canonical_name'), ('project',)),
    'change': (('change',), ('items', -1, 'change')),
    'patchset': (('patchset',),),
    'pipeline': (('pipeline',),),
    'job': (('job', 'name'), ('job',)),
    'build': (('build',),),
    'log_url': (('log_url',),),
}


class MetadataError(Exception):
    """The metadata file cannot be used (one-line message)."""


def _ignore(message):
    pass


def _is_text(value):
    """Text and numbers are used as text; anything else is of the wrong type."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _text(where, value, warn):
    """``value`` (text or a number) as text cut at MAX_VALUE_CHARS."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > MAX_VALUE_CHARS:
        warn('job metadata: %s cut at %d characters of %d'
             % (where, MAX_VALUE_CHARS, len(text)))
        text = text[:MAX_VALUE_CHARS] + CUT_MARKER
    return text


def _kind(value):
    for types, name in ((bool, 'true/false'), ((int, float), 'a number'), (str, 'text'),
                        (list, 'a list'), (dict, 'an object')):
        if isinstance(value, types):
            return name
    return 'null' if value is None else type(value).__name__


def _clean(values, source, warn):
    out = {}
    for key in FIELDS:
        value = values.get(key)
        if value is None or value == '':
            continue
        where = '%s %s' % (source, key)
        if _is_text(value):
            out[key] = _text(where, value, warn)
        else:
            warn('job metadata: ignoring %s: %s, where text was expected'
                 % (where, _kind(value)))
    return out


def from_env(environ, warn=_ignore):
    return _clean({field: environ.get(name) for field, name in LEGACY_ENV.items()},
                  'environment', warn)


def _lookup(data, path):
    """(value, where, problem) at the end of ``path`` (keys, list indexes) in ``data``.
    value is None when a key is missing, or when a step meets the wrong type (then
    ``problem`` names the step)."""
    value, where = data, 'zuul'
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list):
                return None, where, '%s is %s' % (where, _kind(value))
            if not value:
                return None, where, None
            value, where = value[step], '%s[%d]' % (where, step)
        else:
            if not isinstance(value, dict):
                return None, where, '%s is %s' % (where, _kind(value))
            if step not in value:
                return None, where, None
            value, where = value[step], '%s.%s' % (where, step)
    if value is not None and value != '' and not _is_text(value):
        return None, where, '%s is %s' % (where, _kind(value))
    return value, where, None


def from_zuul_vars(zuul, warn=_ignore):
    """Map Zuul's ``zuul`` variable to our fields; anything of the wrong shape is a
    warning, and the rest is used."""
    if not isinstance(zuul, dict):
        warn('job metadata: the zuul variable is %s, not a JSON object: not used'
             % _kind(zuul))
        return {}
    out = {}
    for field, paths in ZUUL_PATHS.items():
        problems = []
        for path in paths:
            value, where, problem = _lookup(zuul, path)
            if value is not None and value != '':
                out[field] = _text(where, value, warn)
                break
            if problem:
                problems.append(problem)
        else:
            if problems:   # only when no path held the field: say what was in the way
                warn('job metadata: no %s: %s, of the wrong type' % (field, problems[0]))
    return out


def load_zuul_json(path):
    """The JSON value in ``path`` (read up to MAX_FILE_BYTES); raises MetadataError."""
    try:
        with files.open_file(path) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except files.InputError as exc:
        raise MetadataError(str(exc))
    if len(data) > MAX_FILE_BYTES:
        raise MetadataError('%s is larger than %d bytes: not read'
                            % (path, MAX_FILE_BYTES))
    try:
        return json.loads(data.decode('utf-8', 'replace'))
    except RecursionError:
        raise MetadataError('%s is nested too deeply to be read' % path)
    except ValueError as exc:
        raise MetadataError('%s is not valid JSON: %s' % (path, exc))


def from_zuul_json(path, warn=_ignore):
    """Our fields from a JSON file holding Zuul's ``zuul`` variable, bare or as
    ``{"zuul": {...}}``. Never raises: problems go to ``warn``."""
    try:
        data = load_zuul_json(path)
    except MetadataError as exc:
        warn('job metadata: %s; publishing without it' % exc)
        return {}
    if isinstance(data, dict) and 'zuul' in data:
        if not isinstance(data['zuul'], dict):
            warn('job metadata: %s: "zuul" is %s, not an object: not used'
                 % (path, _kind(data['zuul'])))
            return {}
        data = data['zuul']
    return from_zuul_vars(data, warn)


def from_flags(values, warn=_ignore):
    """The --project ... flags (the Zuul role fills them from Zuul's variable)."""
    return _clean(values, 'flag', warn)


def merge(*sources):
    """Later sources win; each source has been checked by its from_* function."""
    merged = {}
    for source in sources:
        merged.update((k, v) for k, v in (source or {}).items()
                      if k in FIELDS and v not in (None, ''))
    return merged


def to_dataset(facts):
    """The dict given to the exporter: classic dataset keys plus the ``metadata`` object."""
    dataset = {CLASSIC_KEYS[k]: v for k, v in facts.items() if k in CLASSIC_KEYS}
    if facts:
        dataset['metadata'] = dict(facts)
    return dataset
