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

# Print the archives that this host's apt uses for a release, as shell
# assignments for diskimage-builder. Debian (the default):
#     DIB_DISTRIBUTION_MIRROR=<uri>
#     DIB_DEBIAN_SECURITY_MIRROR=<uri>
# Ubuntu (one archive serves the release and its -updates, -security and
# -backports suites; only the suites the host lists there are used):
#     DIB_DISTRIBUTION_MIRROR=<uri>
#     DIB_UBUNTU_MIRROR_DISTS=<updates,security,...>
# Image builds must use the mirror the host can reach, never a hard-coded one.
#
# Usage: tools/apt-mirror.sh [--distro debian|ubuntu] [--release CODENAME] [--etc-apt DIR]
# CODENAME defaults to the host's VERSION_CODENAME; DIR to /etc/apt.
set -eu -o pipefail

distro=debian
release=""
etc_apt=/etc/apt
while [ $# -gt 0 ]; do
    case "$1" in
        --distro) distro=$2; shift 2 ;;
        --release) release=$2; shift 2 ;;
        --etc-apt) etc_apt=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "apt-mirror.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$distro" in
    debian|ubuntu) ;;
    *) echo "apt-mirror.sh: unknown distro '$distro' (debian or ubuntu)" >&2; exit 2 ;;
esac
if [ -z "$release" ] && [ -r /etc/os-release ]; then
    # shellcheck source=/dev/null
    release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi

# One "URI SUITE" line per enabled deb source, in apt's reading order.
list_sources() {
    local f
    if [ -f "$etc_apt/sources.list" ]; then
        list_one_line "$etc_apt/sources.list"
    fi
    for f in "$etc_apt"/sources.list.d/*.list; do
        [ -f "$f" ] && list_one_line "$f"
    done
    for f in "$etc_apt"/sources.list.d/*.sources; do
        [ -f "$f" ] && list_deb822 "$f"
    done
    return 0
}

# "deb [opts] URI SUITE COMPONENTS..." (one-line format).
list_one_line() {
    awk '
        { sub(/#.*/, "") }
        $1 != "deb" { next }
        {
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
            if (i + 1 <= NF) print $i, $(i + 1)
        }' "$1"
}

# deb822 stanzas: Types, URIs, Suites, Enabled (keys are case-insensitive).
list_deb822() {
    awk '
        function flush(   nu, ns, u, s, us, ss) {
            if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
                nu = split(uris, us, " "); ns = split(suites, ss, " ")
                for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print us[u], ss[s]
            }
            types = uris = suites = enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[^ \t][^:]*:/ {
            key = tolower(substr($0, 1, index($0, ":") - 1))
            val = substr($0, index($0, ":") + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", val)
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "enabled") enabled = val
        }
        END { flush() }' "$1"
}

sources=$(list_sources)
# The main archive serves the release itself.
mirror=$(awk -v r="$release" '$2 == r { print $1; exit }' <<< "$sources")
if [ -z "$mirror" ]; then
    echo "apt-mirror.sh: no apt source for '$release' in $etc_apt" >&2
    exit 1
fi

if [ "$distro" = ubuntu ]; then
    dists=$(awk -v r="$release" -v m="${mirror%/}" '
        { sub(/\/$/, "", $1) }
        $1 == m { listed[$2] = 1 }
        END {
            n = split("updates security backports", d, " ")
            for (i = 1; i <= n; i++) if ((r "-" d[i]) in listed) out = out "," d[i]
            print substr(out, 2)
        }' <<< "$sources")
    echo "DIB_DISTRIBUTION_MIRROR=${mirror%/}"
    echo "DIB_UBUNTU_MIRROR_DISTS=$dists"
    exit 0
fi

# Debian's security archive serves RELEASE-security (or, on old hosts,
# RELEASE/updates).
security=$(awk -v r="$release" '$2 == r "-security" || $2 == r "/updates" { print $1; exit }' \
    <<< "$sources")
if [ -z "$security" ]; then
    echo "apt-mirror.sh: no apt source for '$release-security' in $etc_apt" >&2
    exit 1
fi
echo "DIB_DISTRIBUTION_MIRROR=${mirror%/}"
echo "DIB_DEBIAN_SECURITY_MIRROR=${security%/}"
