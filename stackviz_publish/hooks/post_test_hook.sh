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

# devstack-gate style post-test hook: publish the run's Stackviz site into the logs.
#
#   post_test_hook.sh [LOGS_DIR]     (default: $WORKSPACE/logs, else ./logs)
#
# Where it fits: devstack-gate, which called post_test_hook.sh, was retired in 2024,
# and it ran the hook only when the tests passed, so failed runs, the ones worth
# looking at, got no site. Zuul jobs use roles/stackviz-publish instead. The hook is
# for shell-driven jobs (a Jenkins or cron script, a Zuul job's own shell step): call
# it after the tests whatever their result, for example from an EXIT trap.
#
# It never fails the job: whatever happens it exits 0, unless STACKVIZ_STRICT=1.
# Settings (environment):
#   STACKVIZ_PUBLISH   command to run (default: /opt/stackviz/venv/bin/stackviz-publish,
#                      then stackviz-publish on PATH)
#   STACKVIZ_GZIP=0    write the data uncompressed (compressed is the default)
#   STACKVIZ_STRICT=1  pass --strict and let a failure fail the job
#   STACKVIZ_TIMEOUT   seconds before giving up (default 900)
#   BASE               devstack-gate's base folder; $BASE/new/tempest is searched too
# The legacy ZUUL_* and JOB_NAME variables devstack-gate sets become the run's metadata.
set -u

logs_dir=${1:-${WORKSPACE:-$PWD}/logs}
strict=${STACKVIZ_STRICT:-0}

if [ -n "${STACKVIZ_PUBLISH:-}" ]; then
    read -r -a cmd <<< "$STACKVIZ_PUBLISH"
elif [ -x /opt/stackviz/venv/bin/stackviz-publish ]; then
    cmd=(/opt/stackviz/venv/bin/stackviz-publish)
elif command -v stackviz-publish >/dev/null 2>&1; then
    cmd=(stackviz-publish)
else
    echo "stackviz: stackviz-publish is not installed; no Stackviz site for this job"
    [ "$strict" = 1 ] && exit 1
    exit 0
fi

args=(publish "$logs_dir")
[ "${STACKVIZ_GZIP:-1}" = 0 ] && args+=(--no-compress)
[ "$strict" = 1 ] && args+=(--strict)
# The hook runs before devstack-gate copies logs: read Tempest's repository directly.
tempest_dir=${BASE:-/opt/stack}/new/tempest
[ -d "$tempest_dir" ] && args+=(--work-dir "$tempest_dir")

timeout "${STACKVIZ_TIMEOUT:-900}" "${cmd[@]}" "${args[@]}"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "stackviz: publishing exited with status $rc"
    [ "$strict" = 1 ] && exit "$rc"
fi
exit 0
