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

"""Sum the JUnit XML reports in a folder into one closing line for CI."""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def count(paths):
    passed = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()
        for case in root.iter('testcase'):
            kinds = {child.tag for child in case}
            if kinds & {'failure', 'error'}:
                failed += 1
            elif 'skipped' in kinds:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(folder):
    paths = sorted(glob.glob(os.path.join(folder, '*.xml')))
    passed, failed, skipped = count(paths)
    print('reports: %s' % ', '.join(os.path.basename(p) for p in paths))
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
