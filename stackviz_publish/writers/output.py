"""The output folder: built beside its final place, then renamed into it, so that a
reader never sees half of it; and config.json, the index of everything in it."""
import json
import os
import tempfile

from stackviz_publish import safety
from stackviz_publish.readers import files
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import twin_path
from stackviz_publish.writers.datafile import write_whole

DATASET_KEYS = ('name', 'url', 'status', 'ci_username', 'pipeline', 'change_id',
                'revision', 'change_project', 'change_subject')


class AtomicFolder:
    """``with AtomicFolder(out_dir) as tmp:`` write into tmp; on success tmp replaces
    out_dir, on failure it is removed and out_dir is left as it was."""

    def __init__(self, out_dir):
        self.out_dir = os.path.abspath(out_dir)
        self.tmp = None

    def __enter__(self):
        parent, base = os.path.split(self.out_dir.rstrip(os.sep))
        if not os.path.isdir(parent):
            raise OSError('the parent folder %s does not exist' % parent)
        self.tmp = tempfile.mkdtemp(prefix='.%s.tmp-' % base, dir=parent)
        os.chmod(self.tmp, 0o755)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                # The publisher's swap: atomic where renameat2 exists.
                safety.place(self.tmp, self.out_dir)
        finally:
            safety.remove_path(self.tmp)
        return False


def copy_text_file(src, data_dir, rel_path, gzipped, within=None):
    """Copy a text log (dstat CSV) as it is, with its twin; return bytes written.
    ``within``: see files.open_file."""
    with files.open_file(src, within, text=True) as source:
        out = DataFile(data_dir, rel_path, gzipped, encoding='text')
        try:
            for block in iter(lambda: source.read(1 << 20), ''):
                out.write(block)
        except BaseException:   # a read error: no half log is published
            out.close()
            for rel in (out.rel_path, out.twin_rel):
                if rel:
                    safety.remove_path(os.path.join(data_dir, rel))
            raise
        out.close()
    return out.rel_path, out.bytes_written


def dataset(metadata=None, env_fields=None):
    """The classic dataset keys, filled from the environment then the metadata; other
    job facts go in the "metadata" extension object."""
    data = dict.fromkeys(DATASET_KEYS)
    data.update(env_fields or {})
    extra = {}
    for key, value in (metadata or {}).items():
        if key in DATASET_KEYS:
            data[key] = value
        elif key == 'metadata' and isinstance(value, dict):
            extra.update(value)
        else:
            extra[key] = value
    if extra:
        data['metadata'] = extra
    return data


def write_config(data_dir, dataset_entry, artifacts, generator):
    """config.json (never compressed) and its twin config.js."""
    entry = dict(dataset_entry)
    entry['artifacts'] = artifacts
    config = {'deployer': False, 'format_version': 1, 'generator': generator,
              'script': twin_path('config.json'), 'datasets': [entry]}
    return write_whole(data_dir, 'config.json', json.dumps(config, indent=1))
