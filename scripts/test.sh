#!/usr/bin/env bash
# Runs every test suite: the xunit projects under tests/ (unit, integration, mounted FUSE tests) and
# the QEMU boot scenarios of tests/qemu. Prints one line per suite and ends with the line
# `N passed, N failed, N skipped`. Exit status is non-zero when anything failed.
#
#   ARGOS_TEST_QEMU=0            skip the QEMU scenarios (counted as skipped, with the reason)
#   ARGOS_TEST_FILTER=EXPR       pass a dotnet test --filter expression
#   ARGOS_QEMU_SCENARIOS="a b"   scenarios to run (default: the make-test set)
set -uo pipefail
cd "$(dirname "$0")/.."

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

passed=0 failed=0 skipped=0
failures=()

echo "test: building test projects"
if ! dotnet build Argos.sln -c Debug --nologo -v quiet >"$results/build.log" 2>&1; then
    grep -E 'error' "$results/build.log" | sort -u | head -40
    echo "test: the build failed (full log: $results/build.log)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi

counter() { # counter FILE ATTR → value of ATTR in the trx <Counters> element
    grep -o "<Counters [^>]*>" "$1" | head -1 | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0
}

for proj in tests/*/*.Tests.csproj; do
    name=$(basename "$proj" .csproj)
    args=(test "$proj" --no-build --nologo -v quiet --logger "trx;LogFileName=$name.trx" --results-directory "$results")
    [ -n "${ARGOS_TEST_FILTER:-}" ] && args+=(--filter "$ARGOS_TEST_FILTER")
    timeout 1800 dotnet "${args[@]}" >"$results/$name.log" 2>&1
    rc=$?
    trx="$results/$name.trx"
    if [ ! -f "$trx" ]; then
        echo "test: $name: no results (exit $rc); see $results/$name.log"
        tail -20 "$results/$name.log"
        failed=$((failed + 1)); failures+=("$name (runner)")
        continue
    fi
    p=$(counter "$trx" passed); f=$(counter "$trx" failed); t=$(counter "$trx" total); e=$(counter "$trx" executed)
    s=$((t - e))
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    echo "test: $name: $p passed, $f failed, $s skipped"
    if [ "$f" -gt 0 ]; then
        failures+=("$name")
        # each failed test with its message and the first stack lines, from the trx
        python3 - "$trx" <<'PY' | head -80
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") == "Failed":
        msg = r.findtext(".//t:Message", default="", namespaces=ns).strip()
        stack = r.findtext(".//t:StackTrace", default="", namespaces=ns).strip().splitlines()[:3]
        print(f"  FAILED {r.get('testName')}\n    " + "\n    ".join(msg.splitlines()[:8] + stack))
PY
    fi
    if [ "$s" -gt 0 ]; then
        grep -E '^\s+Skipped ' "$results/$name.log" | head -20
    fi
done

scenarios=${ARGOS_QEMU_SCENARIOS:-boot degraded crash}
if [ "${ARGOS_TEST_QEMU:-1}" = "0" ]; then
    n=$(wc -w <<<"$scenarios")
    echo "test: qemu: $n scenario(s) skipped: ARGOS_TEST_QEMU=0 was set"
    skipped=$((skipped + n))
elif [ ! -x tests/qemu/run ]; then
    echo "test: qemu: tests/qemu/run is missing"
    failed=$((failed + 1)); failures+=("qemu harness")
else
    for sc in $scenarios; do
        if timeout 1200 tests/qemu/run "$sc" >"$results/qemu-$sc.log" 2>&1; then
            echo "test: qemu $sc: passed"
            passed=$((passed + 1))
        else
            echo "test: qemu $sc: FAILED (log: $results/qemu-$sc.log, serial logs under artifacts/qemu/$sc/)"
            tail -30 "$results/qemu-$sc.log"
            failed=$((failed + 1)); failures+=("qemu $sc")
        fi
    done
fi

[ ${#failures[@]} -gt 0 ] && echo "test: failing suites: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
