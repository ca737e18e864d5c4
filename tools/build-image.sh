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

# Build a minimal Debian or Ubuntu image as a tarball with diskimage-builder,
# using this checkout's elements/ and the host's own apt mirrors.
#
# Usage: tools/build-image.sh OUTPUT [ELEMENT...]
#   OUTPUT   image path without extension (OUTPUT.tar is written)
#   ELEMENT  elements added to the OS element (e.g. stackviz)
# Environment:
#   STACKVIZ_DIB_CACHE  persistent folder for DIB's image cache (debootstrap
#                       tarball, git caches), lock files and scratch space
#                       (default: /var/cache/stackviz-dib)
#   STACKVIZ_DIB_DISTRO debian-minimal (default) or ubuntu-minimal
#   DIB_RELEASE         release (default: bookworm for Debian, jammy for Ubuntu)
#   DIB_*               passed through to disk-image-create
set -eu -o pipefail

if [ $# -lt 1 ]; then
    sed -n '2,15p' "$0" >&2
    exit 2
fi
output=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cache=${STACKVIZ_DIB_CACHE:-/var/cache/stackviz-dib}
os_element=${STACKVIZ_DIB_DISTRO:-debian-minimal}
case "$os_element" in
    debian-minimal) distro=debian; export DIB_RELEASE=${DIB_RELEASE:-bookworm} ;;
    ubuntu-minimal) distro=ubuntu; export DIB_RELEASE=${DIB_RELEASE:-jammy} ;;
    *) echo "build-image.sh: STACKVIZ_DIB_DISTRO must be debian-minimal or ubuntu-minimal" >&2
       exit 2 ;;
esac

# Mirrors from the host's apt sources, unless the caller chose them.
if [ -z "${DIB_DISTRIBUTION_MIRROR:-}" ] ||
        { [ "$distro" = debian ] && [ -z "${DIB_DEBIAN_SECURITY_MIRROR:-}" ]; }; then
    mirrors=$("$here/apt-mirror.sh" --distro "$distro" --release "$DIB_RELEASE")
    eval "export ${mirrors//$'\n'/ }"
fi

# Everything DIB writes outside the image stays under one folder.
mkdir -p "$cache/image-cache" "$cache/locks" "$cache/tmp"
export TMPDIR=$cache/tmp
export DIB_LOCKFILES=$cache/locks
# Keep the debootstrap result and reuse it: reruns skip debootstrap.
export DIB_DEBOOTSTRAP_CACHE=1
export DIB_DEBIAN_USE_DEBOOTSTRAP_CACHE=1
# The caller's ELEMENTS_PATH comes first, so that an installed release's element
# (stackviz-publish elements-path) overrides this checkout's.
export ELEMENTS_PATH=${ELEMENTS_PATH:+$ELEMENTS_PATH:}$repo/elements

echo "build-image.sh: $os_element $DIB_RELEASE from $DIB_DISTRIBUTION_MIRROR" \
    "(${DIB_DEBIAN_SECURITY_MIRROR:+security: $DIB_DEBIAN_SECURITY_MIRROR}${DIB_UBUNTU_MIRROR_DISTS:+dists: $DIB_UBUNTU_MIRROR_DISTS}), elements: $os_element $*"
start=$(date +%s)
disk-image-create -t tar --image-cache "$cache/image-cache" -o "$output" \
    "$os_element" "$@"
echo "build-image.sh: built $output.tar in $(( $(date +%s) - start )) s"
