#!/bin/bash
# Print the Debian archive and security archive that this host's apt uses, as
# shell assignments for diskimage-builder:
#     DIB_DISTRIBUTION_MIRROR=<uri>
#     DIB_DEBIAN_SECURITY_MIRROR=<uri>
# Image builds must use the mirror the host can reach, never a hard-coded one.
#
# Usage: tools/apt-mirror.sh [--release CODENAME] [--etc-apt DIR]
# CODENAME defaults to the host's VERSION_CODENAME; DIR to /etc/apt.
set -eu -o pipefail

release=""
etc_apt=/etc/apt
while [ $# -gt 0 ]; do
    case "$1" in
        --release) release=$2; shift 2 ;;
        --etc-apt) etc_apt=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "apt-mirror.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
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
# The main archive serves the release itself; the security archive serves
# RELEASE-security (or, on old hosts, RELEASE/updates).
mirror=$(awk -v r="$release" '$2 == r { print $1; exit }' <<< "$sources")
security=$(awk -v r="$release" '$2 == r "-security" || $2 == r "/updates" { print $1; exit }' \
    <<< "$sources")
if [ -z "$mirror" ]; then
    echo "apt-mirror.sh: no apt source for '$release' in $etc_apt" >&2
    exit 1
fi
if [ -z "$security" ]; then
    echo "apt-mirror.sh: no apt source for '$release-security' in $etc_apt" >&2
    exit 1
fi
echo "DIB_DISTRIBUTION_MIRROR=${mirror%/}"
echo "DIB_DEBIAN_SECURITY_MIRROR=${security%/}"
