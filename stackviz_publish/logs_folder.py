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

"""The publisher's place in the logs folder, and the checks that keep it there.

The publisher writes only inside LOGS_DIR/stackviz and its own temporary siblings
(LOGS_DIR/.stackviz.tmp-*, LOGS_DIR/.stackviz.old-*). The staging and the swap
themselves are atomic_folders'.
"""
import os
import tempfile

from stackviz_publish import atomic_folders

TARGET_NAME = 'stackviz'
STAGE_PREFIX = '.stackviz.tmp-'
OLD_PREFIX = atomic_folders.OLD_PREFIX   # where place() sets the previous site aside


class UnsafePathError(Exception):
    """A path would lead the publisher outside the logs folder (one-line message)."""


def is_within(path, root):
    """True when the real path of ``path`` is ``root`` or below it (root: a real path)."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def resolve_logs_dir(logs_dir):
    """The real path of LOGS_DIR; it must be an existing folder."""
    if not logs_dir:   # realpath('') is the current folder: never guess it
        raise UnsafePathError('LOGS_DIR is empty: name the logs folder')
    real = os.path.realpath(logs_dir)
    if not os.path.isdir(real):
        raise UnsafePathError('logs folder %s does not exist or is not a folder' % logs_dir)
    return real


def check_target(logs_root):
    """Return LOGS_DIR/stackviz, refusing a symlink there that leads out of LOGS_DIR."""
    target = os.path.join(logs_root, TARGET_NAME)
    if os.path.islink(target) and not is_within(target, logs_root):
        raise UnsafePathError(
            '%s is a symlink to %s, outside the logs folder: refusing to replace it'
            % (target, os.path.realpath(target)))
    return target


def clean_stale(logs_root):
    """Remove temporary siblings left by a publish that was killed."""
    removed = []
    for name in os.listdir(logs_root):
        if name.startswith(STAGE_PREFIX) or name.startswith(OLD_PREFIX):
            atomic_folders.remove_path(os.path.join(logs_root, name))
            removed.append(name)
    return removed


def make_stage(logs_root):
    """Create the staging folder (a sibling of the target, so rename is atomic)."""
    stage = tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=logs_root)
    # mkdtemp makes 0700; the published site must be readable by the log uploader.
    os.chmod(stage, 0o755)
    return stage
