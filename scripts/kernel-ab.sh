#!/usr/bin/env bash
# In-process A/B of the native attention kernels and the training step's matrix products
# (bench/ab/main.cc lists them): build A from native/ at a git ref and B
# from the working tree, link both into one binary (bench/ab/), and alternate them call by
# call on the same inputs (see bench/ab/main.cc for why one process). AVX-512 builds only.
#   bash scripts/kernel-ab.sh [REF=HEAD] [T...=2048 8192] [-- threads reps]
# Prints one bench line per kernel and length (and, after the first length, the kernel
# benchmark's square sgemm products), the working tree as "ours" and REF as the peer
# (vs_peer > 1: the working tree is faster).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-HEAD}
shift || true
lengths=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do lengths+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
threads=${1:-2}
reps=${2:-8}
[ ${#lengths[@]} -gt 0 ] || lengths=(2048 8192)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/a"
# native/ as it was at REF (only the files the kernels include).
git -C "$root" archive "$ref" native | tar -x -C "$work/a"
flags=(-O3 -std=gnu++17 -fno-math-errno -ffp-contract=fast -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mf16c -mavx2 -pthread)
g++ "${flags[@]}" -I"$work/a/native" -DLRL_NS=ab_a -DAB_PREFIX=a -c "$root/bench/ab/variant.cc" -o "$work/a.o"
g++ "${flags[@]}" -I"$root/native" -DLRL_NS=ab_b -DAB_PREFIX=b -c "$root/bench/ab/variant.cc" -o "$work/b.o"
g++ "${flags[@]}" -I"$root/native" "$root/bench/ab/main.cc" "$work/a.o" "$work/b.o" "$root/native/pool.cc" -o "$work/kernel-ab"
square=1
for T in "${lengths[@]}"; do
  if [ -n "$square" ]; then AB_SQUARE=1 AB_PEER="native/ at $ref" "$work/kernel-ab" "$T" "$threads" "$reps"
  else AB_PEER="native/ at $ref" "$work/kernel-ab" "$T" "$threads" "$reps"; fi
  square=
done
