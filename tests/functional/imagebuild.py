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

"""Helpers for the image build tests: preconditions, builds, tarballs and a chroot.

A build is tools/build-image.sh (the host's apt mirrors, a persistent DIB cache) with
the stackviz element and its test-elements case; its whole log goes to a file, and a
failure shows the lines that matter.
"""
import os
import shutil
import subprocess
import tarfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_IMAGE = os.path.join(REPO, 'tools', 'build-image.sh')
TEST_ELEMENTS = os.path.join(REPO, 'elements', 'stackviz', 'test-elements')
CACHE = os.environ.get('STACKVIZ_DIB_CACHE', '/var/cache/stackviz-dib')
HOST_TOOLS = ('disk-image-create', 'debootstrap', 'qemu-img', 'kpartx', 'sudo', 'losetup',
              'mkfs.ext4', 'chroot', 'unshare', 'mount', 'git')
NOBODY = '65534:65534'


def missing_requirements():
    """Why an image cannot be built here, or None."""
    if os.environ.get('STACKVIZ_SKIP_IMAGE_BUILD') == '1':
        return 'STACKVIZ_SKIP_IMAGE_BUILD=1 is set'
    if os.geteuid() != 0:
        return 'it needs root (diskimage-builder mounts, chroots and makes loop devices)'
    missing = [tool for tool in HOST_TOOLS if not shutil.which(tool)]
    if missing:
        return 'host tools missing: %s (bindep.txt lists them)' % ', '.join(missing)
    if not os.path.exists('/dev/loop-control'):
        return 'no loop devices (/dev/loop-control is missing)'
    probe = subprocess.run(['losetup', '--find'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
    if probe.returncode != 0:
        return 'no free loop device: %s' % probe.stdout.strip()
    if not os.path.exists(os.path.join(REPO, '.git')):  # a folder, or a file in a worktree
        return '%s is not a git checkout (the source build clones it)' % REPO
    return None


APT_MIRROR = os.path.join(REPO, 'tools', 'apt-mirror.sh')
UBUNTU_KEYRING = '/usr/share/keyrings/ubuntu-archive-keyring.gpg'


def missing_ubuntu_source(release, etc_apt='/etc/apt', keyring=UBUNTU_KEYRING):
    """Why an Ubuntu image of ``release`` cannot be built from this host's apt
    configuration, or None."""
    proc = subprocess.run([APT_MIRROR, '--distro', 'ubuntu', '--release', release,
                           '--etc-apt', etc_apt], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        return ('this host\'s apt configuration (%s/sources.list, %s/sources.list.d) names '
                'no Ubuntu archive for %r, and image builds use only the host\'s mirrors '
                '(tools/apt-mirror.sh --distro ubuntu --release %s said: %s)'
                % (etc_apt, etc_apt, release, release, proc.stderr.strip()))
    if not os.path.isfile(keyring):
        return ('no Ubuntu archive keyring at %s for debootstrap (Debian package '
                'ubuntu-keyring)' % keyring)
    return None


def head_commit():
    return subprocess.check_output(['git', '-C', REPO, 'rev-parse', 'HEAD'],
                                   universal_newlines=True).strip()


def host_ca_bundle():
    """The host's CA bundle, handed to the build for pip and npm (TLS proxies)."""
    for var in ('PIP_CERT', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE'):
        if os.path.isfile(os.environ.get(var, '')):
            return os.environ[var]
    default = '/etc/ssl/certs/ca-certificates.crt'
    return default if os.path.isfile(default) else ''


class Build(object):
    def __init__(self, output, returncode, seconds):
        self.output = output
        self.tar = output + '.tar'
        self.log = output + '.log'
        self.returncode = returncode
        self.seconds = seconds

    def text(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def excerpt(self, lines=40):
        """The element's own lines and the end of the log, for failure messages."""
        text = self.text().splitlines()
        ours = [line for line in text if 'stackviz' in line and ': ' in line
                and ('ERROR' in line or 'WARNING' in line or 'FAIL' in line)]
        return '\n'.join(['log: %s' % self.log] + ours[-20:] + ['...'] + text[-lines:])

    def member(self, path):
        """Text of one file in the image tarball, or None."""
        with tarfile.open(self.tar) as tar:
            try:
                return tar.extractfile('./' + path.lstrip('/')).read().decode()
            except KeyError:
                return None

    def remove(self):
        for path in (self.tar, self.output + '.d'):
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)


def build(output, elements, **env):
    """Build debian-minimal + elements into output.tar; the log is output.log."""
    full_env = dict(os.environ, ELEMENTS_PATH=TEST_ELEMENTS,
                    DIB_STACKVIZ_CA_BUNDLE=host_ca_bundle())
    full_env.update(env)
    start = time.monotonic()
    with open(output + '.log', 'w') as log:
        proc = subprocess.run([BUILD_IMAGE, output] + list(elements), cwd=REPO,
                              env=full_env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    return Build(output, proc.returncode, time.monotonic() - start)


def read_manifest(text):
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)


class Chroot(object):
    """An extracted image with /proc, /sys and /dev mounted; unmounted on exit."""

    MOUNTS = (('proc', ['-t', 'proc', 'proc']), ('sys', ['--bind', '/sys']),
              ('dev', ['--bind', '/dev']))

    def __init__(self, tar, root):
        self.root = root
        os.makedirs(root)
        subprocess.check_call(['tar', '--numeric-owner', '-xf', tar, '-C', root])
        self.mounted = []

    def __enter__(self):
        try:
            for name, args in self.MOUNTS:
                target = os.path.join(self.root, name)
                os.makedirs(target, exist_ok=True)  # the tarball leaves some out
                subprocess.check_call(['mount'] + args + [target])
                self.mounted.append(target)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for target in reversed(self.mounted):
            if subprocess.call(['umount', target]) != 0:
                subprocess.call(['umount', '-l', target])
        self.mounted = []

    def path(self, inside):
        return os.path.join(self.root, inside.lstrip('/'))

    def run(self, args, user=None, network=True):
        """Run a command in the image: as `user` (uid:gid) and with no network if asked."""
        # Host paths: the environment below is the image's.
        cmd = [shutil.which('chroot')] + (['--userspec=' + user] if user else []) + \
            [self.root] + args
        if not network:
            cmd = [shutil.which('unshare'), '--net'] + cmd
        env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': '/tmp', 'LANG': 'C.UTF-8'}
        return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, stdin=subprocess.DEVNULL)


def tree_size(root):
    total = 0
    for top, _, files in os.walk(root):
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total
