#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make mutate: mutation testing (tests/mutate/mutate.py says how; the mutants
# are tests/mutate/mutants.txt).  Runs niced: it builds and tests for hours.
# make mutate MUTATE_ARGS="--only claims-*" passes arguments through.
cd "$(dirname "$0")/../.." || exit 1
exec nice -n "${PJ_MUTATE_NICE:-10}" /usr/bin/python3 tests/mutate/mutate.py "$@"
