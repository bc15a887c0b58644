# bench/lib.sh: helpers sourced by the bench/ scripts (POSIX sh).
#
# usage: . "$BENCH_DIR/lib.sh"   (after setting BENCH_DIR to bench/)
#
# Environment read by every script:
#   SHARD_BIN   the binary to measure (default: build/shard of this tree)
#   BENCH_WORK  where generated data and histories live (default: bench/.work,
#               gitignored); data is generated once per (size, seed, runs)
#               and reused, histories are rebuilt on every run
#   BENCH_REPS  repetitions of each timed command (default 3); the table
#               shows the median wall time and the largest peak RSS

set -eu

ROOT=$(cd "$BENCH_DIR/.." && pwd)
SHARD_BIN=${SHARD_BIN:-$ROOT/build/shard}
BENCH_WORK=${BENCH_WORK:-$ROOT/bench/.work}
BENCH_REPS=${BENCH_REPS:-3}
TIME_BIN=/usr/bin/time

die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

bench_check() {
	[ -x "$SHARD_BIN" ] || die "no binary at $SHARD_BIN (run make)"
	[ -x "$TIME_BIN" ] || die "$TIME_BIN missing: apt-get update && apt-get install -y time"
	mkdir -p "$BENCH_WORK"
}

# timed_once CMD...: run CMD once under /usr/bin/time; sets WALL (s) and
# RSS_KIB. CMD's stdout and stderr go to $BENCH_WORK/last.log; a non-zero
# exit stops the benchmark.
timed_once() {
	if ! "$TIME_BIN" -f '%e %M' -o "$BENCH_WORK/time.out" "$@" \
		>"$BENCH_WORK/last.log" 2>&1; then
		cat "$BENCH_WORK/last.log" >&2
		die "failed: $*"
	fi
	read -r WALL RSS_KIB <"$BENCH_WORK/time.out"
}

# timed [--setup 'SH'] CMD...: run CMD $BENCH_REPS times (running the shell
# snippet SH before each, untimed); sets WALL to the median wall seconds and
# RSS_MIB to the largest peak RSS in MiB.
# Also sets RSS_MAX_KIB, the largest peak RSS in KiB (unrounded).
timed() {
	_t_setup=:
	if [ "$1" = --setup ]; then _t_setup=$2; shift 2; fi
	_t_walls= _t_rss=0 _t_i=0
	while [ "$_t_i" -lt "$BENCH_REPS" ]; do
		eval "$_t_setup"
		timed_once "$@"
		_t_walls="$_t_walls $WALL"
		[ "$RSS_KIB" -gt "$_t_rss" ] && _t_rss=$RSS_KIB
		_t_i=$((_t_i + 1))
	done
	WALL=$(printf '%s\n' $_t_walls | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	RSS_MIB=$(awk -v k="$_t_rss" 'BEGIN { printf "%.0f", k / 1024 }')
	RSS_MAX_KIB=$_t_rss
}

# gen_suite N RUNS: generate (once) the suite of N tests with RUNS JUnit runs
# into $BENCH_WORK/nN; prints the directory.
gen_suite() {
	d=$BENCH_WORK/n$1
	stamp=$d/.generated-seed42-runs$2
	if [ ! -e "$stamp" ]; then
		rm -rf "$d"
		python3 "$BENCH_DIR/gen-timings" --seed 42 --runs "$2" "$1" "$d" >&2
		: >"$stamp"
	fi
	printf '%s\n' "$d"
}

# human N: 10000 -> 10k, 1000000 -> 1M
human() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000
		else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000
		else printf "%d", n }'
}

# verdict VALUE LIMIT: "ok" when VALUE < LIMIT, else "MISSED"
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 < l + 0) ? "ok" : "MISSED" }'
}

# mib KIB [DECIMALS]: KiB -> MiB, rounded to DECIMALS (default 0) places
mib() {
	awk -v k="$1" -v d="${2:-0}" 'BEGIN { printf "%." d "f", k / 1024 }'
}
