# Building and running pjdfstest (the POSIX conformance suite kept unmodified in shared/thirdparty)
# over a mounted folder, counting TAP results per file. Sourced by tests/fs and bench/.
# shellcheck shell=bash

# pjd_missing : prints what building and running the suite needs and this machine lacks
pjd_missing() {
  local tool missing=()
  for tool in autoreconf aclocal automake libtoolize make cc; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || echo "${missing[*]}"
}

# pjd_build SOURCE DEST : copies the suite SOURCE to DEST (the build writes into its tree) and
# builds its pjdfstest program there; false if that fails (the log is DEST.log)
pjd_build() {
  cp -r "$1" "$2" || return 1
  (cd "$2" && autoreconf -ifs && ./configure && make pjdfstest) >"$2.log" 2>&1 && [ -x "$2/pjdfstest" ]
}

# pjd_files SUITE : every tests/GROUP/NN.t of the built suite SUITE, as GROUP/NN.t, one a line
pjd_files() { (cd "$1/tests" && find . -mindepth 2 -maxdepth 2 -name '*.t' | sed 's|^\./||' | LC_ALL=C sort); }

# pjd_run SUITE DIR RESULTS FILE... : runs each FILE (GROUP/NN.t) of SUITE with sh, as root, each
# from a fresh folder in DIR (on the file system under test), at most 900 s each, PJD_JOBS
# (default 1) at a time: the files only touch their own folder, and most of their time is spent
# in sleeps and process starts, so lanes overlap well. Appends "GROUP/NN.t PASSED PLANNED SECONDS
# EXIT" per file to RESULTS, and each failing assertion as "GROUP/NN.t: not ok ..." to
# RESULTS.fail. PASSED counts "ok" lines (TODO ones too), PLANNED is the file's plan (1..N); a file
# that dies early passes fewer than it plans. Calls pjd_after_file FILE after each file if the
# caller defines it (from the lane that ran it).
pjd_run() {
  local suite=$1 dir=$2 results=$3 lane
  shift 3
  local claims=$results.claims
  mkdir -p "$claims"
  for ((lane = 0; lane < ${PJD_JOBS:-1}; lane++)); do
    pjd_lane "$suite" "$dir" "$results" "$claims" "$@" &
  done
  wait
  rm -rf "$claims"
}

# pjd_lane SUITE DIR RESULTS CLAIMS FILE... : one lane of pjd_run: runs each FILE no other lane has
# claimed first (a claim is a mkdir in CLAIMS, which only one lane can win)
pjd_lane() {
  local suite=$1 dir=$2 results=$3 claims=$4 file out start rc passed planned seconds n=0
  shift 4
  for file in "$@"; do
    n=$((n + 1))
    mkdir "$claims/$n" 2>/dev/null || continue
    out=$dir/${file//\//_}
    mkdir -p "$out.d"
    start=$EPOCHREALTIME
    rc=0
    (cd "$out.d" && timeout 900 sh "$suite/tests/$file" >"$out.tap" 2>"$out.err" </dev/null) || rc=$?
    seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    planned=$(sed -n '/^1\.\.[0-9][0-9]*$/{s/^1\.\.//p;q}' "$out.tap")
    passed=$(grep -c '^ok ' "$out.tap" || true)
    echo "$file $passed ${planned:-0} $seconds $rc" >>"$results"
    sed -n "s|^not ok|$file: &|p" "$out.tap" >>"$results.fail"
    rm -rf "$out.d" "$out.tap" "$out.err"
    if declare -F pjd_after_file >/dev/null; then pjd_after_file "$file"; fi
  done
}

# pjd_groups RESULTS : per group of RESULTS (from pjd_run), "GROUP PASSED PLANNED", sorted by group
pjd_groups() {
  awk '{ split($1, p, "/"); g = p[1]; pass[g] += $2; plan[g] += $3 }
    END { for (g in pass) print g, pass[g], plan[g] }' "$1" | LC_ALL=C sort
}
