#!/usr/bin/env bash
# Remakes the demo's shipped base checkpoint, models/demo-base/ (issue 12), with longrl's
# own pretraining command: plain next-token prediction on synthetic documents, no answer
# format, no traces. Bit for bit with the kernels it was made with; later kernel changes
# move the last bits, and the remake is a comparable base rather than the same one (README). Two phases (~17-21 minutes on 2 cores, docs/demo-study.md §11-12):
#   1. recipes/demo-base-1.yaml: the `demo` preset from scratch, 2,000 steps on 32-token
#      fact documents (the lookup forms on short documents), then annealed;
#   2. recipes/demo-base.yaml: from phase 1, 3,000 steps growing the documents to 128
#      tokens beside lookup documents whose gap grows to 128 words, annealed again.
# Usage: bash scripts/make-demo-base.sh [OUT_DIR]   (default runs/demo-base; rerun to resume)
# The base is OUT_DIR/phase2/models/final; copy it to models/demo-base/ to ship it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/demo-base}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
phase() { # phase NAME RECIPE [--set ...]: run it, or resume it when its folder exists
  local name="$1" dir="$out/$1" recipe="$2"
  shift 2
  if [ -f "$dir/models/final/model.safetensors" ]; then echo "$name: done ($dir)"; return; fi
  if [ -f "$dir/config.yaml" ]; then node bin/longrl.js pretrain --resume "$dir"
  else node bin/longrl.js pretrain "$recipe" --out "$dir" "$@"; fi
}
phase phase1 recipes/demo-base-1.yaml
phase phase2 recipes/demo-base.yaml --set "model.path=$out/phase1/models/final"
echo "base: $out/phase2/models/final"
