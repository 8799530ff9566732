#!/usr/bin/env bash
# Times `threatscribe analyze` on the shared synthetic architectures (the generator OWASP pytm is
# also timed with), converted to threatscribe model files. Prints wall time and peak memory.
#
#   bench/scale.sh [N ...]        default: 100 1000 10000
#   FORMATS="json md sarif csv" bench/scale.sh 10000      formats timed (default: json md)
#
# Needs ../shared/bench/pytm_gen.py (the shared generator) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
generator=../shared/bench/pytm_gen.py
[[ -f $generator ]] || { echo "missing $generator" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/threatscribe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 10000)
printf '%8s %8s %10s %10s %12s\n' N format seconds peak_MiB output_MiB
for n in "${sizes[@]}"; do
  python3 "$generator" "$n" --neutral-out "$work/n$n.json" --no-pytm >/dev/null
  python3 bench/neutral_to_model.py "$work/n$n.json" > "$work/m$n.json"
  # Model files above the default input limit (32 MiB; N=100,000 is about 51 MiB) need it raised.
  limit=$(( $(stat -c %s "$work/m$n.json") / 1048576 * 2 + 32 ))
  for format in ${FORMATS:-json md}; do
    # Replacing the previous run's report would time the kernel freeing it (0.15 s at 236 MB).
    rm -f "$work/out.$format"
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" analyze "$work/m$n.json" --format "$format" -q --max-input-mib "$limit" -o "$work/out.$format"
    read -r seconds kib < "$work/time"
    size=$(stat -c %s "$work/out.$format")
    printf '%8s %8s %10s %10.1f %12.1f\n' "$n" "$format" "$seconds" "$(echo "$kib / 1024" | bc -l)" "$(echo "$size / 1048576" | bc -l)"
  done
done
