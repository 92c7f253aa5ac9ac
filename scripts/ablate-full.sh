#!/usr/bin/env bash
# The default ablation of the demo recipe (issue 12): every variant that applies, 3 seeds,
# sized to a 120-minute wall-clock budget on a 2-core machine (`longrl ablate` prints its
# estimate first, says what it cut to fit, and writes partial rows rather than overrun).
# Not part of `npm test`.
#
#   scripts/ablate-full.sh [OUT_DIR] [extra longrl ablate flags...]
#   scripts/ablate-full.sh runs/ablate-demo --budget 240     # a longer budget
#   scripts/ablate-full.sh --resume runs/ablate-demo         # continue an interrupted one
#
# With a judge (hybrid vs rule-only), add e.g.
#   --set 'reward.judge={url: http://127.0.0.1:8000/v1, model: Qwen2.5-1.5B-Instruct}'
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--resume" ]]; then
  exec node bin/longrl.js ablate --resume "${2:?usage: $0 --resume DIR}" "${@:3}"
fi
OUT="${1:-runs/ablate-demo-$(date -u +%Y%m%d-%H%M%S)}"
shift || true
exec node bin/longrl.js ablate recipes/demo.yaml --seeds 3 --budget 120 --out "$OUT" "$@"
