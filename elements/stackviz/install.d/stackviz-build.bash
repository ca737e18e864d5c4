#!/bin/bash
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

# The Stackviz install proper, run by 75-stackviz (this name, with a dot, is
# not run by dib-run-parts itself). Usage: stackviz-build.bash source|package
#   source:  build the site with npm (Node.js 18 or later) from the clone of
#            DIB_REPOLOCATION_stackviz that extra-data.d made, then install it;
#   package: install the release artifact (wheel or sdist holding the built
#            site) that extra-data.d brought in, with no npm at all.
# Any error exits non-zero; 75-stackviz then removes every trace.

if [ "${DIB_DEBUG_TRACE:-0}" -gt 0 ]; then
    set -x
fi
set -eu
set -o pipefail

MODE=${1:-}
PREFIX=/opt/stackviz
SRC=/tmp/stackviz-src
LEGACY_TARBALL=/opt/cache/files/stackviz-latest.tar.gz
NODE_MIN=18
# extra-data.d put these in the hooks folder, mounted here as /tmp/in_target.d.
INPUTS=$(cd "$(dirname "$0")/.." && pwd)/stackviz-inputs

WORK=$(mktemp -d /tmp/stackviz-build.XXXXXX)
trap 'rm -rf "$WORK" "$SRC"' EXIT

die() {
    echo "stackviz: ERROR: $*" >&2
    exit 1
}

# Downloads (pip, npm) trust an extra CA bundle when one was given; host
# variables naming CA files that do not exist in the image are dropped.
setup_downloads() {
    local var
    for var in PIP_CERT REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE NODE_EXTRA_CA_CERTS \
            npm_config_cafile; do
        if [ -n "${!var:-}" ] && [ ! -f "${!var}" ]; then
            unset "$var"
        fi
    done
    if [ -f "$INPUTS/ca-bundle.pem" ]; then
        # pip's requests takes REQUESTS_CA_BUNDLE over PIP_CERT: set them all.
        for var in PIP_CERT REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE npm_config_cafile; do
            export "$var=$INPUTS/ca-bundle.pem"
        done
    fi
    # Caches and dot-files go to the work folder, deleted at exit.
    export HOME=$WORK/home
    export npm_config_cache=$WORK/npm-cache
    export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
    mkdir -p "$HOME"
}

# Each prepare_* sets REQUIREMENT (what pip installs) and writes its source
# lines of the manifest into $WORK/manifest.
# The site's build tools (esbuild, TypeScript) need Node.js 18 or later.
check_node() {
    local version major
    version=$(node --version 2>/dev/null || echo none)
    major=${version#v}
    major=${major%%.*}
    case "$major" in
        ''|*[!0-9]*) major=0 ;;
    esac
    if [ "$major" -lt "$NODE_MIN" ]; then
        die "a source build needs Node.js $NODE_MIN or later to build the site; this" \
            "distribution's nodejs is $version. Install a release instead (the default," \
            "or DIB_STACKVIZ_ARTIFACT)."
    fi
}

prepare_source() {
    [ -f "$INPUTS/src/setup.cfg" ] || die "no source tree (extra-data.d cloned nothing)"
    cp -a "$INPUTS/src" "$SRC"
    [ -f "$SRC/site/package-lock.json" ] || die "$SRC/site/package-lock.json is missing"
    # Node.js and npm are build-only, git is for pbr's version: 75-stackviz
    # removes them afterwards.
    install-packages -m stackviz nodejs npm git
    check_node
    echo "stackviz: building the site with node $(node --version), npm $(npm --version)"
    (cd "$SRC/site" && npm ci --no-audit --no-fund && npm run build)
    {
        echo "install_type=source"
        cat "$INPUTS/source-info"
    } >> "$WORK/manifest"
    REQUIREMENT=$SRC
}

prepare_package() {
    local artifact
    artifact=$(find "$INPUTS/release" -maxdepth 1 -type f 2>/dev/null | head -n 1 || true)
    [ -n "$artifact" ] || die "no release artifact (DIB_STACKVIZ_ARTIFACT='${DIB_STACKVIZ_ARTIFACT:-}')"
    {
        echo "install_type=package"
        echo "artifact=$(basename "$artifact")"
        echo "artifact_sha256=$(sha256sum "$artifact" | awk '{print $1}')"
    } >> "$WORK/manifest"
    REQUIREMENT=$artifact
}

# devstack's process-stackviz role pip-installs this sdist path (auto: when the
# release is an sdist; 1: required; 0: never). Never replaces a file already there.
place_legacy_tarball() {
    local want=$DIB_STACKVIZ_LEGACY_TARBALL
    [ "$want" != "0" ] || return 0
    if [ "$MODE" != "package" ] || [[ "$REQUIREMENT" != *.tar.gz ]]; then
        [ "$want" != "1" ] ||
            die "DIB_STACKVIZ_LEGACY_TARBALL=1 needs an sdist release (the default," \
                "or an sdist as DIB_STACKVIZ_ARTIFACT), not a $MODE install of $(basename "$REQUIREMENT")"
        echo "stackviz: no sdist at hand: $LEGACY_TARBALL not placed"
        return 0
    fi
    if [ -e "$LEGACY_TARBALL" ]; then
        [ "$want" != "1" ] || die "$LEGACY_TARBALL already exists in the image"
        echo "stackviz: $LEGACY_TARBALL already exists: left as it is"
        return 0
    fi
    install -D -m 0644 "$REQUIREMENT" "$LEGACY_TARBALL"
    echo "legacy_tarball=$LEGACY_TARBALL" >> "$WORK/manifest"
}

# The image's venv gets no pip or setuptools (they would be most of its size):
# a throwaway venv's pip installs into it.
install_venv() {
    local pip=$WORK/pip-venv/bin/pip
    python3 -m venv "$WORK/pip-venv"
    if ! "$pip" --help | grep -q -- '--python '; then
        "$pip" install -q --upgrade pip
    fi
    python3 -m venv --without-pip "$PREFIX/venv"
    "$pip" --python "$PREFIX/venv/bin/python" install -q "$REQUIREMENT"
    # The exporter's fast deflate (python-isal, about 1.1 MB), from a wheel only:
    # where there is none for this machine, zlib does the same work more slowly.
    if ! "$pip" --python "$PREFIX/venv/bin/python" install -q --only-binary :all: \
            'isal>=1.6.0'; then
        echo "stackviz: no python-isal wheel for this machine: the exporter uses zlib"
    fi
    "$PREFIX/venv/bin/stackviz-publish" --help >/dev/null
    "$PREFIX/venv/bin/stackviz-export" --help >/dev/null
    # A release's data files are for hosts: share/stackviz-html (devstack's legacy
    # copy of the site, which /opt/stackviz/site replaces here) and the element and
    # role (share/stackviz-publish). A node needs neither.
    rm -rf "$PREFIX/venv/share/stackviz-html" "$PREFIX/venv/share/stackviz-publish"
    # PyYAML comes with python-subunit (its filters read YAML; stackviz never does)
    # and carries an optional 2.7 MB libyaml binding: its pure-Python loader is
    # enough, so the binding goes (the image budget is 6 MB).
    find "$PREFIX/venv/lib" -path '*/site-packages/yaml/_yaml*.so' -delete
    "$PREFIX/venv/bin/python" -c 'import yaml, subunit'
}

# The package carries the built site; /opt/stackviz/site is a plain copy of it
# so that jobs can copy it with any tool.
install_site() {
    local pkgdir
    pkgdir=$("$PREFIX/venv/bin/python" -c \
        'import os, stackviz_publish; print(os.path.dirname(stackviz_publish.__file__))')
    [ -f "$pkgdir/site/index.html" ] ||
        die "the installed package holds no built site ($pkgdir/site/index.html)"
    cp -r "$pkgdir/site" "$PREFIX/site"
}

write_manifest() {
    local version
    version=$("$PREFIX/venv/bin/python" -c \
        'import importlib.metadata as m; print(m.version("stackviz-publish"))')
    {
        echo "name=stackviz-publish"
        echo "version=$version"
        cat "$WORK/manifest"
        echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$PREFIX/manifest.tmp"
    mv "$PREFIX/manifest.tmp" "$PREFIX/manifest"
}

[ ! -f "$INPUTS/error" ] || die "$(cat "$INPUTS/error")"
setup_downloads
case "$MODE" in
    source) prepare_source ;;
    package) prepare_package ;;
    *) die "unknown install type '$MODE' (DIB_INSTALLTYPE_stackviz: source or package)" ;;
esac
mkdir -p "$PREFIX"
install_venv
install_site
ln -sf "$PREFIX/venv/bin/stackviz-publish" "$PREFIX/venv/bin/stackviz-export" /usr/local/bin/
place_legacy_tarball
write_manifest
