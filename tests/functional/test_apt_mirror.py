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

"""tools/apt-mirror.sh: the Debian mirrors an image build uses come from apt's config."""
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'tools', 'apt-mirror.sh')

DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example.test/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.test/debian-security/
Suites: bookworm-security
Components: main
"""

DISABLED = """\
Types: deb
URIs: http://disabled.example.test/debian
Suites: bookworm bookworm-security
Enabled: no
"""


def run(etc_apt, release='bookworm'):
    proc = subprocess.run([SCRIPT, '--release', release, '--etc-apt', str(etc_apt)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    values = dict(line.split('=', 1) for line in proc.stdout.splitlines())
    return proc.returncode, values, proc.stderr


def make_etc(tmp_path, files):
    (tmp_path / 'sources.list.d').mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_deb822_sources(tmp_path):
    etc = make_etc(tmp_path, {'sources.list.d/a-disabled.sources': DISABLED,
                              'sources.list.d/debian.sources': DEB822})
    rc, values, _ = run(etc)
    assert rc == 0
    assert values == {'DIB_DISTRIBUTION_MIRROR': 'http://mirror.example.test/debian',
                      'DIB_DEBIAN_SECURITY_MIRROR': 'http://mirror.example.test/debian-security'}


def test_one_line_sources_with_options_and_third_party_repos(tmp_path):
    etc = make_etc(tmp_path, {
        'sources.list': (
            '# deb http://commented.example.test/debian bookworm main\n'
            'deb [arch=amd64] https://vendor.example.test/apt cloud-sdk-bookworm main\n'
            'deb-src http://src.example.test/debian bookworm main\n'
            'deb [arch=amd64 signed-by=/k.gpg] http://one.example.test/debian bookworm main\n'
            'deb http://one.example.test/debian-security bookworm-security main\n'),
    })
    rc, values, _ = run(etc)
    assert rc == 0
    assert values['DIB_DISTRIBUTION_MIRROR'] == 'http://one.example.test/debian'
    assert values['DIB_DEBIAN_SECURITY_MIRROR'] == 'http://one.example.test/debian-security'


def test_old_style_security_suite(tmp_path):
    etc = make_etc(tmp_path, {'sources.list': (
        'deb http://m.example.test/debian buster main\n'
        'deb http://s.example.test/debian-security buster/updates main\n')})
    rc, values, _ = run(etc, release='buster')
    assert rc == 0
    assert values['DIB_DEBIAN_SECURITY_MIRROR'] == 'http://s.example.test/debian-security'


@pytest.mark.parametrize('files, missing', [
    ({'sources.list.d/debian.sources': DEB822}, "'trixie'"),
    ({'sources.list': 'deb http://m.example.test/debian trixie main\n'}, "'trixie-security'"),
    ({'sources.list.d/x.sources': DISABLED.replace('bookworm', 'trixie')}, "'trixie'"),
])
def test_missing_source_is_a_clear_error(tmp_path, files, missing):
    rc, values, err = run(make_etc(tmp_path, files), release='trixie')
    assert rc == 1
    assert values == {}
    assert missing in err and len(err.splitlines()) == 1


def test_this_host():
    """The host's own apt config names both archives (the image build needs them)."""
    if not os.path.isdir('/etc/apt'):
        pytest.skip('NOT RUN: this host has no /etc/apt')
    proc = subprocess.run([SCRIPT], stdout=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0
    assert [line.split('=')[0] for line in proc.stdout.splitlines()] == [
        'DIB_DISTRIBUTION_MIRROR', 'DIB_DEBIAN_SECURITY_MIRROR']


UBUNTU = """\
Types: deb
URIs: http://ubuntu.example.test/ubuntu/
Suites: jammy jammy-updates jammy-security
Components: main universe
"""


def test_ubuntu_archive_and_the_suites_the_host_lists(tmp_path):
    etc = make_etc(tmp_path, {'sources.list.d/debian.sources': DEB822,
                              'sources.list.d/ubuntu.sources': UBUNTU})
    proc = subprocess.run([SCRIPT, '--distro', 'ubuntu', '--release', 'jammy', '--etc-apt',
                           str(etc)], stdout=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ['DIB_DISTRIBUTION_MIRROR=http://ubuntu.example.test/ubuntu',
                                        'DIB_UBUNTU_MIRROR_DISTS=updates,security']


def test_no_ubuntu_source_is_a_precise_skip_reason(tmp_path):
    from tests.functional import imagebuild
    etc = make_etc(tmp_path, {'sources.list.d/debian.sources': DEB822})
    reason = imagebuild.missing_ubuntu_source('jammy', etc_apt=str(etc))
    assert "no Ubuntu archive for 'jammy'" in reason
    assert "no apt source for 'jammy' in %s" % etc in reason
    (tmp_path / 'u').mkdir()
    etc2 = make_etc(tmp_path / 'u', {'sources.list.d/ubuntu.sources': UBUNTU})
    keyring = tmp_path / 'ubuntu.gpg'
    keyring.write_bytes(b'key')
    assert imagebuild.missing_ubuntu_source('jammy', str(etc2), keyring=str(keyring)) is None
    assert 'keyring' in imagebuild.missing_ubuntu_source(
        'jammy', str(etc2), keyring=str(tmp_path / 'none.gpg'))


def test_unknown_distro_is_refused(tmp_path):
    proc = subprocess.run([SCRIPT, '--distro', 'fedora'], stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert proc.returncode == 2 and "unknown distro 'fedora'" in proc.stderr
