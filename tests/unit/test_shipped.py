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

"""``stackviz-publish elements-path``: the element folder of a checkout or of a release."""
import io
import os
import sys

from stackviz_publish import shipped
from stackviz_publish.cli import main as cli_main


def fake_release(root, name='fake-release'):
    """site-packages with a dist-info whose RECORD lists the element as data files, the
    way pip installs a wheel's .data/data/share/... beside lib/."""
    site = root / 'lib' / 'python3' / 'site-packages'
    info = site / ('%s-1.0.dist-info' % name.replace('-', '_'))
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' % name)
    element = root / 'share' / 'stackviz-publish' / 'elements' / 'stackviz'
    element.mkdir(parents=True)
    (element / 'element-deps').write_text('package-installs\n')
    (info / 'RECORD').write_text(
        '../../../share/stackviz-publish/elements/stackviz/element-deps,,\n'
        '%s/METADATA,,\n' % info.name)
    return site, root / 'share' / 'stackviz-publish' / 'elements'


def test_installed_release_is_found_from_its_record(tmp_path, monkeypatch):
    site, elements = fake_release(tmp_path)
    monkeypatch.setattr(sys, 'path', [str(site)] + sys.path)
    found = shipped.find('elements', distribution='fake-release',
                         checkout=str(tmp_path / 'no-checkout'))
    assert found == str(elements)
    assert shipped.find('roles', distribution='fake-release',
                        checkout=str(tmp_path / 'no-checkout')) is None


def test_a_checkout_wins_over_an_installed_release(tmp_path, monkeypatch):
    site, _ = fake_release(tmp_path / 'prefix')
    monkeypatch.setattr(sys, 'path', [str(site)] + sys.path)
    checkout = tmp_path / 'checkout'
    (checkout / 'elements' / 'stackviz').mkdir(parents=True)
    (checkout / 'setup.cfg').write_text('[metadata]\n')
    assert shipped.find('elements', 'fake-release', str(checkout)) == \
        str(checkout / 'elements')


def test_nothing_installed_is_none(tmp_path):
    assert shipped.find('elements', 'no-such-distribution-here', str(tmp_path)) is None


def test_command_prints_the_folder_or_fails_in_one_line(monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    assert cli_main.main(['elements-path'], out, err) == 0
    folder = out.getvalue().strip()
    assert os.path.isfile(os.path.join(folder, 'stackviz', 'element-deps'))
    monkeypatch.setattr(shipped, 'find', lambda name: None)
    out, err = io.StringIO(), io.StringIO()
    assert cli_main.main(['elements-path'], out, err) == 1
    assert out.getvalue() == '' and len(err.getvalue().splitlines()) == 1
    assert err.getvalue().startswith('stackviz-publish: error: no elements folder')
