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
