#!/bin/bash
# Build a minimal Debian image as a tarball with diskimage-builder, using this
# checkout's elements/ and the host's own apt mirrors.
#
# Usage: tools/build-image.sh OUTPUT [ELEMENT...]
#   OUTPUT   image path without extension (OUTPUT.tar is written)
#   ELEMENT  elements added to debian-minimal (e.g. stackviz)
# Environment:
#   STACKVIZ_DIB_CACHE  persistent folder for DIB's image cache (debootstrap
#                       tarball, git caches), lock files and scratch space
#                       (default: /var/cache/stackviz-dib)
#   DIB_RELEASE         Debian release (default: bookworm)
#   DIB_*               passed through to disk-image-create
set -eu -o pipefail

if [ $# -lt 1 ]; then
    sed -n '2,14p' "$0" >&2
    exit 2
fi
output=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cache=${STACKVIZ_DIB_CACHE:-/var/cache/stackviz-dib}
export DIB_RELEASE=${DIB_RELEASE:-bookworm}

# Mirrors from the host's apt sources, unless the caller chose them.
if [ -z "${DIB_DISTRIBUTION_MIRROR:-}" ] || [ -z "${DIB_DEBIAN_SECURITY_MIRROR:-}" ]; then
    mirrors=$("$here/apt-mirror.sh" --release "$DIB_RELEASE")
    eval "export ${mirrors//$'\n'/ }"
fi

# Everything DIB writes outside the image stays under one folder.
mkdir -p "$cache/image-cache" "$cache/locks" "$cache/tmp"
export TMPDIR=$cache/tmp
export DIB_LOCKFILES=$cache/locks
# Keep the debootstrap result and reuse it: reruns skip debootstrap.
export DIB_DEBOOTSTRAP_CACHE=1
export DIB_DEBIAN_USE_DEBOOTSTRAP_CACHE=1
export ELEMENTS_PATH=$repo/elements${ELEMENTS_PATH:+:$ELEMENTS_PATH}

echo "build-image.sh: $DIB_RELEASE from $DIB_DISTRIBUTION_MIRROR" \
    "(security: $DIB_DEBIAN_SECURITY_MIRROR), elements: debian-minimal $*"
start=$(date +%s)
disk-image-create -t tar --image-cache "$cache/image-cache" -o "$output" \
    debian-minimal "$@"
echo "build-image.sh: built $output.tar in $(( $(date +%s) - start )) s"
