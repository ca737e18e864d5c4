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

# Measure what the stackviz element costs an image: build seconds and megabytes,
# against the same OS image without it, all in one run (STACKVIZ_DIB_DISTRO and
# DIB_RELEASE pick the OS, as for build-image.sh).
#
# Usage: tools/measure-element.sh [WHEEL]
#   WHEEL  a release wheel (tox -e dist) to also measure the artifact install
# Builds one image at a time (about 2 minutes each) under $STACKVIZ_DIB_CACHE.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
wheel=${1:-}
cache=${STACKVIZ_DIB_CACHE:-/var/cache/stackviz-dib}
out=$cache/measure
rm -rf "$out"
mkdir -p "$out"
export DIB_STACKVIZ_CA_BUNDLE=${DIB_STACKVIZ_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$DIB_STACKVIZ_CA_BUNDLE" ] || DIB_STACKVIZ_CA_BUNDLE=

# name, then elements; extra variables come from the environment of the call.
measure() {
    local name=$1 start seconds mb opt
    shift
    start=$(date +%s)
    if ! "$here/build-image.sh" "$out/$name" "$@" > "$out/$name.log" 2>&1; then
        echo "measure-element.sh: the $name build failed: $out/$name.log" >&2
        exit 1
    fi
    seconds=$(( $(date +%s) - start ))
    mb=$(( $(stat -c %s "$out/$name.tar") / 1000000 ))
    opt=$(tar -tvf "$out/$name.tar" | awk '$6 ~ /^\.\/opt\/stackviz\// {s += $3}
        END {printf "%.1f", s / 1e6}')
    printf '%-24s %6s s %8s MB tar %8s MB in /opt/stackviz\n' "$name" "$seconds" "$mb" "$opt"
    echo "$name $seconds $mb" >> "$out/figures"
    rm -f "$out/$name.tar"
}

# A first build fills the debootstrap and apt caches, so that all measured
# builds use them.
if ! ls "$cache"/image-cache/debootstrap-*-"${DIB_RELEASE:-bookworm}"-*.tar.gz \
        >/dev/null 2>&1; then
    measure warm-up
fi
measure base
DIB_REPOLOCATION_stackviz=$repo DIB_REPOREF_stackviz=$(git -C "$repo" rev-parse HEAD) \
    measure stackviz-source stackviz
if [ -n "$wheel" ]; then
    DIB_STACKVIZ_ARTIFACT=$(readlink -f "$wheel") measure stackviz-wheel stackviz
fi
awk '$1 == "base" {bs = $2; bm = $3} $1 ~ /^stackviz/ {
        printf "%s adds %d s and %d MB to the base image\n", $1, $2 - bs, $3 - bm }' \
    "$out/figures"
