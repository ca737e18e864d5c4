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

"""A real diskimage-builder image with the stackviz element, from this checkout.

Builds debian-minimal + elements/stackviz (its test-elements case, build-succeeds,
checks the install from inside the build), then publishes a site from inside the
extracted image as an unprivileged user with no network. Also: an image from a
release wheel (no npm), the default source (the release of the element's own version,
the element coming from an installed release), the failure policy both ways, and
ubuntu-minimal jammy from the wheel where the host's apt has an Ubuntu source.

Needs root, loop devices and the host tools in bindep.txt; skips LOUDLY without
them (run pytest with -rs). One build at a time: about 2 minutes each here.
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from stackviz_publish.writers import datascript
from tests.functional import imagebuild

CASE = 'build-succeeds'


@pytest.fixture(scope='module')
def workdir():
    reason = imagebuild.missing_requirements()
    if reason:
        sys.stderr.write('\n%s\nIMAGE BUILD NOT RUN: %s\n%s\n' % ('!' * 70, reason, '!' * 70))
        pytest.skip('IMAGE BUILD NOT RUN: %s' % reason)
    path = os.path.join(imagebuild.CACHE, 'out', 'test-%d' % os.getpid())
    os.makedirs(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def source_image(workdir):
    commit = imagebuild.head_commit()
    build = imagebuild.build(os.path.join(workdir, 'source'), [CASE],
                             DIB_REPOLOCATION_stackviz=imagebuild.REPO,
                             DIB_REPOREF_stackviz=commit)
    print('source image build: %.0f s' % build.seconds)
    if build.returncode != 0:
        pytest.fail('the image build from source failed:\n' + build.excerpt())
    yield build, commit
    build.remove()


@pytest.fixture(scope='module')
def image_root(source_image, workdir):
    with imagebuild.Chroot(source_image[0].tar, os.path.join(workdir, 'root')) as root:
        yield root


def test_source_build_installs_this_checkout(source_image):
    build, commit = source_image
    log = build.text()
    assert 'stackviz test: OK: name=stackviz-publish' in log, build.excerpt()
    manifest = imagebuild.read_manifest(build.member('opt/stackviz/manifest'))
    assert manifest['install_type'] == 'source'
    assert manifest['source_location'] == imagebuild.REPO
    assert manifest['source_commit'] == commit
    assert manifest['version']
    # Node.js and npm came in for the site build and went out again.
    removed = [line for line in log.splitlines() if 'removing build-only packages' in line]
    assert removed and ' nodejs ' in removed[0] and ' npm ' in removed[0]


def test_publish_inside_the_image(image_root):
    root = image_root
    venv_python = '/opt/stackviz/venv/bin/python'
    logs = '/tmp/job/logs'
    os.makedirs(root.path(logs))
    gen = root.run([venv_python, '-m', 'stackviz_publish.generate', 'stream', '--tests', '300',
                    '--workers', '4', '--unfinished', '2', '--seed', '5',
                    logs + '/testrepository.subunit'])
    assert gen.returncode == 0, gen.stderr
    summary = dict(kv.split('=', 1) for kv in gen.stdout.split())
    dstat = root.run([venv_python, '-m', 'stackviz_publish.generate', 'dstat', '--start',
                      summary['start'], '--seconds', '120', logs + '/dstat-csv_log.txt'])
    assert dstat.returncode == 0, dstat.stderr
    subprocess.check_call(['chown', '-R', imagebuild.NOBODY, root.path('/tmp/job')])

    # As a job would: an unprivileged user, the command on PATH, no network at all.
    pub = root.run(['stackviz-publish', 'publish', logs], user=imagebuild.NOBODY,
                   network=False)
    assert pub.returncode == 0, pub.stdout + pub.stderr
    assert 'published' in pub.stdout, pub.stdout + pub.stderr

    site = root.path(logs + '/stackviz')
    with open(os.path.join(site, 'index.html'), 'rb') as f, \
            open(root.path('/opt/stackviz/site/index.html'), 'rb') as g:
        assert f.read() == g.read()
    assert os.stat(os.path.join(site, 'index.html')).st_uid == 65534
    with open(os.path.join(site, 'data', 'config.json')) as f:
        config = json.load(f)
    assert config['format_version'] == 2
    artifacts = {a['artifact_type']: a for a in config['datasets'][0]['artifacts']}
    assert 'dstat' in artifacts, sorted(artifacts)
    # Compressed data scripts by default (doc/source/data-format.rst); the small
    # stats may be plain json.
    assert artifacts['stackviz-timeline']['content_encoding'] == 'gzip-base64'
    timeline = json.loads(data_script(site, artifacts['stackviz-timeline']))
    stats = json.loads(data_script(site, artifacts['subunit-stats']))
    assert len(timeline['unfinished']) == int(summary['inprogress']) == 2
    assert timeline['count'] - 2 == int(summary['finished'])
    assert stats['counts']['fail'] == int(summary['fail'])
    assert stats['counts']['skip'] == int(summary['skip'])
    assert stats['workers'] == [0, 1, 2, 3]


def data_script(site, artifact):
    """The text a data script carries, read as the site reads it (never run)."""
    assert artifact['content_encoding'] in ('gzip-base64', 'json'), artifact
    path, encoding, text = datascript.read_script(os.path.join(site, 'data', artifact['path']))
    assert encoding == artifact['content_encoding']
    assert path == artifact['path']
    return text


def test_nothing_of_the_build_is_left(image_root):
    root = image_root
    du = subprocess.check_output(['du', '-sb', root.path('/opt/stackviz')],
                                 universal_newlines=True)
    size = int(du.split()[0])
    print('/opt/stackviz: %d bytes (du -sb), %.1f MB' % (size, size / 1e6))
    assert size <= 6e6, '/opt/stackviz is %.1f MB, over the 6 MB budget' % (size / 1e6)
    with open(root.path('/var/lib/dpkg/status')) as f:
        installed = [block.split('\n', 1)[0][len('Package: '):]
                     for block in f.read().split('\n\n')
                     if 'Status: install ok installed' in block]
    assert 'python3-venv' in installed
    for gone in ('nodejs', 'npm', 'libnode108', 'node-gyp'):
        assert gone not in installed
    assert not [n for n in installed if n.startswith('node-')]
    leftovers = []
    for top, dirs, files in os.walk(root.root):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in
                   (root.path('/proc'), root.path('/sys'), root.path('/dev'))]
        leftovers += [os.path.join(top, d) for d in dirs
                      if d in ('node_modules', '.npm') or d.startswith('stackviz-build.')]
    assert leftovers == []
    assert not os.path.exists(root.path('/tmp/stackviz-src'))
    assert not os.path.exists(root.path('/opt/stackviz/venv/bin/pip'))


@pytest.fixture(scope='module')
def release(workdir):
    """A release of this checkout's HEAD: dist/ with its wheel and sdist (the site built
    into both by npm), made with PyPA build in a throwaway venv."""
    if not shutil.which('npm'):
        pytest.skip('RELEASE IMAGE BUILDS NOT RUN: no npm on this host to build the release')
    clone = os.path.join(workdir, 'clone')
    subprocess.check_call(['git', 'clone', '-q', imagebuild.REPO, clone])
    subprocess.check_call(['git', '-C', clone, 'checkout', '-q', imagebuild.head_commit()])
    tools = os.path.join(workdir, 'build-venv')
    subprocess.check_call([sys.executable, '-m', 'venv', tools])
    subprocess.check_call([os.path.join(tools, 'bin', 'pip'), 'install', '-q', 'build'])
    dist = os.path.join(workdir, 'dist')
    env = dict(os.environ, STACKVIZ_REQUIRE_SITE='1')
    subprocess.check_call([os.path.join(tools, 'bin', 'python'), '-m', 'build', '--sdist',
                           '--wheel', '--outdir', dist, clone], env=env,
                          stdout=subprocess.DEVNULL)
    return dist


@pytest.fixture(scope='module')
def wheel(release):
    (path,) = glob.glob(os.path.join(release, '*.whl'))
    assert 'stackviz_publish/site/index.html' in zipfile.ZipFile(path).namelist()
    return path


def release_install_manifest(build, artifact):
    """Checks every install of a release file passes; returns the image's manifest."""
    assert build.returncode == 0, build.excerpt()
    log = build.text()
    assert 'stackviz test: OK: name=stackviz-publish' in log
    assert 'stackviz: cloning' not in log                     # no git fetch
    assert 'Mapping for stackviz : nodejs' not in log        # no Node.js at all
    manifest = imagebuild.read_manifest(build.member('opt/stackviz/manifest'))
    with open(artifact, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert manifest['install_type'] == 'package'
    assert manifest['artifact'] == os.path.basename(artifact)
    assert manifest['artifact_sha256'] == digest
    return manifest


def test_image_from_a_release_wheel_needs_no_npm(workdir, wheel):
    build = imagebuild.build(os.path.join(workdir, 'wheel'), [CASE],
                             DIB_STACKVIZ_ARTIFACT=wheel)
    print('wheel image build: %.0f s' % build.seconds)
    try:
        manifest = release_install_manifest(build, wheel)
        assert 'legacy_tarball' not in manifest  # a wheel is no sdist for devstack's role
    finally:
        build.remove()


def test_default_source_is_the_release_of_the_elements_version(workdir, release, wheel):
    """The element as a release installs it (elements-path), no variable naming a source:
    the image gets that release's sdist from the index (here: find-links on dist/), and
    the sdist also lands where devstack's process-stackviz role looks for it."""
    host = os.path.join(workdir, 'host-venv')
    subprocess.check_call([sys.executable, '-m', 'venv', host])
    subprocess.check_call([os.path.join(host, 'bin', 'pip'), 'install', '-q', wheel])
    elements = subprocess.check_output([os.path.join(host, 'bin', 'stackviz-publish'),
                                        'elements-path'], universal_newlines=True).strip()
    assert elements == os.path.join(host, 'share', 'stackviz-publish', 'elements')
    (sdist,) = glob.glob(os.path.join(release, '*.tar.gz'))
    version = os.path.basename(wheel).split('-')[1]
    find_links = ' '.join(filter(None, [release, os.environ.get('PIP_FIND_LINKS')]))
    build = imagebuild.build(os.path.join(workdir, 'release'), [CASE],
                             ELEMENTS_PATH=elements + ':' + imagebuild.TEST_ELEMENTS,
                             PIP_FIND_LINKS=find_links)
    print('default (release) image build: %.0f s' % build.seconds)
    try:
        manifest = release_install_manifest(build, sdist)
        assert 'downloading the stackviz-publish %s sdist' % version in build.text()
        assert manifest['version'] == version
        assert manifest['legacy_tarball'] == '/opt/cache/files/stackviz-latest.tar.gz'
        with tarfile.open(build.tar) as tar:
            member = tar.getmember('./opt/cache/files/stackviz-latest.tar.gz')
            placed = tar.extractfile(member).read()
        assert hashlib.sha256(placed).hexdigest() == manifest['artifact_sha256']
    finally:
        build.remove()


@pytest.fixture(scope='module')
def broken_wheel(workdir):
    path = os.path.join(workdir, 'stackviz_publish-0.0.0-py3-none-any.whl')
    with open(path, 'w') as f:
        f.write('not a zip file\n')
    return path


def test_ignore_errors_leaves_no_stackviz_and_says_so(workdir, broken_wheel):
    build = imagebuild.build(os.path.join(workdir, 'ignored'), [CASE],
                             DIB_STACKVIZ_ARTIFACT=broken_wheel, DIB_STACKVIZ_IGNORE_ERRORS='1',
                             STACKVIZ_TEST_EXPECT_ABSENT='1')
    try:
        assert build.returncode == 0, build.excerpt()
        log = build.text()
        assert 'DIB_STACKVIZ_IGNORE_ERRORS=1: this image has NO Stackviz' in log
        assert 'stackviz test: OK: no Stackviz in the image' in log
        assert build.member('opt/stackviz/manifest') is None
        with imagebuild.tarfile.open(build.tar) as tar:
            names = tar.getnames()
        assert not [n for n in names if n.startswith('./opt/stackviz')]
        assert './usr/local/bin/stackviz-publish' not in names
    finally:
        build.remove()


def test_a_failed_install_fails_the_build_clearly(workdir, broken_wheel):
    build = imagebuild.build(os.path.join(workdir, 'failed'), [CASE],
                             DIB_STACKVIZ_ARTIFACT=broken_wheel)
    try:
        assert build.returncode != 0
        errors = [line.split('| ', 1)[-1] for line in build.text().splitlines()
                  if 'stackviz: ERROR:' in line]
        assert errors and errors[0].startswith(
            'stackviz: ERROR: the Stackviz package install failed (exit '), errors
        assert not os.path.exists(build.tar)
    finally:
        build.remove()


def loud_skip(what, reason):
    sys.stderr.write('\n%s\n%s NOT RUN: %s\n%s\n' % ('!' * 70, what, reason, '!' * 70))
    pytest.skip('%s NOT RUN: %s' % (what, reason))


def test_jammy_image_from_the_wheel(workdir, request):
    """ubuntu-minimal jammy with the element installing the wheel; the Ubuntu archive
    comes from the host's apt configuration, as Debian's does."""
    reason = imagebuild.missing_ubuntu_source('jammy')
    if reason:
        loud_skip('JAMMY IMAGE BUILD', reason)
    wheel = request.getfixturevalue('wheel')  # built only when the image can be
    build = imagebuild.build(os.path.join(workdir, 'jammy'), [CASE],
                             STACKVIZ_DIB_DISTRO='ubuntu-minimal', DIB_RELEASE='jammy',
                             DIB_STACKVIZ_ARTIFACT=wheel)
    print('jammy wheel image build: %.0f s' % build.seconds)
    try:
        assert build.returncode == 0, build.excerpt()
        assert 'stackviz test: OK: name=stackviz-publish' in build.text()
        os_release = build.member('etc/os-release') or build.member('usr/lib/os-release')
        assert 'VERSION_CODENAME=jammy' in os_release
        with imagebuild.Chroot(build.tar, os.path.join(workdir, 'jammy-root')) as root:
            du = subprocess.check_output(['du', '-sb', root.path('/opt/stackviz')],
                                         universal_newlines=True)
            print('jammy /opt/stackviz: %s bytes (du -sb)' % du.split()[0])
            logs = '/tmp/job/logs'
            os.makedirs(root.path(logs))
            gen = root.run(['/opt/stackviz/venv/bin/python', '-m', 'stackviz_publish.generate',
                            'stream', '--tests', '50', logs + '/testrepository.subunit'])
            assert gen.returncode == 0, gen.stderr
            pub = root.run(['stackviz-publish', 'publish', logs, '--strict'], network=False)
            assert pub.returncode == 0, pub.stdout + pub.stderr
            assert os.path.isfile(root.path(logs + '/stackviz/data/config.json'))
    finally:
        build.remove()


def test_jammy_source_build_fails_clearly_on_old_node(workdir):
    """Jammy's nodejs is 12: a source build must say it needs Node.js 18, not crash."""
    reason = imagebuild.missing_ubuntu_source('jammy')
    if reason:
        loud_skip('JAMMY SOURCE BUILD', reason)
    build = imagebuild.build(os.path.join(workdir, 'jammy-source'), [CASE],
                             STACKVIZ_DIB_DISTRO='ubuntu-minimal', DIB_RELEASE='jammy',
                             DIB_REPOLOCATION_stackviz=imagebuild.REPO,
                             DIB_REPOREF_stackviz=imagebuild.head_commit())
    try:
        assert build.returncode != 0
        assert 'stackviz: ERROR: a source build needs Node.js 18 or later' in build.text(), \
            build.excerpt()
    finally:
        build.remove()
