"""Job metadata from the legacy Zuul environment, Zuul's ``zuul`` variable, or flags.

Later sources win: flags override the JSON file, which overrides the environment.
"""
import json

FIELDS = ('project', 'change', 'patchset', 'pipeline', 'job', 'build', 'log_url')

# Zuul v2 (and devstack-gate) exported these; Zuul v3 sets none of them.
LEGACY_ENV = {
    'project': 'ZUUL_PROJECT',
    'change': 'ZUUL_CHANGE',
    'patchset': 'ZUUL_PATCHSET',
    'pipeline': 'ZUUL_PIPELINE',
    'job': 'JOB_NAME',
    'build': 'ZUUL_UUID',
    'log_url': 'LOG_URL',
}

# Classic config.json dataset keys, for the classic site.
CLASSIC_KEYS = {
    'job': 'name',
    'pipeline': 'pipeline',
    'change': 'change_id',
    'patchset': 'revision',
    'project': 'change_project',
    'log_url': 'url',
}


class MetadataError(Exception):
    """The metadata file cannot be used (one-line message)."""


def _clean(values):
    return {k: str(v) for k, v in values.items() if k in FIELDS and v not in (None, '')}


def from_env(environ):
    return _clean({field: environ.get(name) for field, name in LEGACY_ENV.items()})


def from_zuul_vars(zuul):
    """Map Zuul's ``zuul`` variable (a dict) to our fields."""
    if not isinstance(zuul, dict):
        raise MetadataError('the zuul variable is not a JSON object')
    project = zuul.get('project')
    if isinstance(project, dict):
        project = project.get('name') or project.get('canonical_name')
    job = zuul.get('job')
    if isinstance(job, dict):
        job = job.get('name')
    change = zuul.get('change')
    if change is None and isinstance(zuul.get('items'), list) and zuul['items']:
        change = zuul['items'][-1].get('change')
    return _clean({
        'project': project,
        'change': change,
        'patchset': zuul.get('patchset'),
        'pipeline': zuul.get('pipeline'),
        'job': job,
        'build': zuul.get('build'),
        'log_url': zuul.get('log_url'),
    })


def from_zuul_json(path):
    """Read a JSON file holding Zuul's ``zuul`` variable, bare or as ``{"zuul": {...}}``."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except OSError as exc:
        raise MetadataError('cannot read %s: %s' % (path, exc.strerror or exc))
    except ValueError as exc:
        raise MetadataError('%s is not valid JSON: %s' % (path, exc))
    if isinstance(data, dict) and isinstance(data.get('zuul'), dict):
        data = data['zuul']
    return from_zuul_vars(data)


def merge(*sources):
    merged = {}
    for source in sources:
        merged.update(_clean(source or {}))
    return merged


def to_dataset(facts):
    """The dict given to the exporter: classic dataset keys plus the ``metadata`` object."""
    dataset = {CLASSIC_KEYS[k]: v for k, v in facts.items() if k in CLASSIC_KEYS}
    if facts:
        dataset['metadata'] = dict(facts)
    return dataset
