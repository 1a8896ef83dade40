#!/usr/bin/env bash
# Runs one libFuzzer harness built by `make fuzz` (docs/FUZZING.md):
#
#   scripts/fuzz.sh NAME [SECONDS]     fuzz for SECONDS (default 600), one worker, nice 15
#   scripts/fuzz.sh --merge NAME       add to tests/fuzz/corpus/NAME the inputs of the working
#                                      corpus that add the most edges (40 files in all, < 64 KiB each)
#
# The working corpus is build-fuzz/corpus/NAME (started from tests/fuzz/corpus/NAME and
# tests/fuzz/regressions/NAME); crashes, leaks, timeouts and OOMs are saved in
# build-fuzz/artifacts/NAME/ and the log in build-fuzz/logs/NAME.log ends with the
# run's totals (executions, exec/s, corpus), the numbers of docs/FUZZING.md's table.
set -euo pipefail
cd "$(dirname "$0")/.."

merge=0
if [[ ${1:-} == --merge ]]; then
  merge=1
  shift
fi
name=${1:?usage: scripts/fuzz.sh [--merge] NAME [SECONDS]}
seconds=${2:-600}
bin=build-fuzz/tests/fuzz/${name}_fuzz
[[ -x $bin ]] || { echo "fuzz.sh: $bin is missing; run make fuzz first" >&2; exit 1; }
work=build-fuzz/corpus/$name
artifacts=build-fuzz/artifacts/$name
seeds=tests/fuzz/corpus/$name
regressions=tests/fuzz/regressions/$name
mkdir -p "$work" "$artifacts" build-fuzz/logs "$seeds"
dirs=("$work" "$seeds")
[[ -d $regressions ]] && dirs+=("$regressions")

# CUDA's runtime needs the shadow gap unprotected (as make test-asan); leaks are findings.
# An impossible allocation (over ASan's 1 TB) returns null as malloc does outside ASan:
# libhdf5 asks for one on some corrupt files and fails cleanly; anything over 2 GB is
# still a finding (libFuzzer's -malloc_limit_mb, = -rss_limit_mb).
export ASAN_OPTIONS=${ASAN_OPTIONS:-protect_shadow_gap=0:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Leaks inside libhdf5 on corrupt files are upstream's (tests/fuzz/lsan.supp).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}
export OMP_NUM_THREADS=1

if ((merge)); then
  # libFuzzer's merge runs the committed files, then the working corpus's files under 64 KiB,
  # and records in a control file the edges each reached first; fuzz_select.py adds the
  # ones that reached the most, up to 40 files in all. The merge writes its own picks into
  # its first folder, a copy.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/committed" "$tmp/work"
  cp "$seeds"/* "$tmp/committed/" 2>/dev/null || true
  find "$work" -type f -size -64k -exec cp {} "$tmp/work/" \;
  nice -n 15 "$bin" -merge=1 -merge_control_file="$tmp/control" "$tmp/committed" "$tmp/work" \
    >"$tmp/log" 2>&1 || { tail -n 20 "$tmp/log"; exit 1; }
  scripts/fuzz_select.py "$tmp/control" $((40 - $(ls "$seeds" | wc -l))) >"$tmp/chosen"
  while read -r f; do cp "$f" "$seeds/cov-$(sha1sum "$f" | cut -c1-12)"; done <"$tmp/chosen"
  echo "fuzz.sh: $seeds has $(ls "$seeds" | wc -l) files, $(du -sk "$seeds" | cut -f1) KiB"
  exit 0
fi

log=build-fuzz/logs/$name.log
echo "fuzz.sh: $name for ${seconds}s (log $log)"
set +e
nice -n 15 "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1
rc=$?
set -e
grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)' "$log" || true
grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 2 || true
if ((rc != 0)); then
  echo "fuzz.sh: $name stopped with a finding (exit $rc):" >&2
  grep -E 'ERROR|SUMMARY|Test unit written|fuzz: property' "$log" >&2 || tail -n 30 "$log" >&2
fi
exit $rc
