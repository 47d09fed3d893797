#!/usr/bin/env bash
# One prepared run on a machine with a real NVIDIA GPU (the device tool): install dlenv in a fresh venv, run doctor
# and probe on the real GPU, the gpu-marked tests, a preflight of the frameworks the machine has, and time doctor
# against nvidia-smi and (when torch is installed) torch's collect_env. Writes everything under $OUT (default
# ./device-out). Meant to finish in under 5 minutes: nothing is downloaded beyond dlenv's own dependencies.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-device-out}
mkdir -p "$OUT"
log() { printf '\n== %s\n' "$*"; }

log "machine"
{ uname -a; nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv 2>&1; python3 --version; } | tee "$OUT/machine.txt"

log "install"
python3 -m venv /tmp/dlenv-device-venv && . /tmp/dlenv-device-venv/bin/activate
python -m pip install --quiet --upgrade pip >/dev/null 2>&1
python -m pip install --quiet -e ".[test]" 2>&1 | tail -3

log "doctor"
dlenv doctor | tee "$OUT/doctor.txt"; echo "exit=${PIPESTATUS[0]}"
dlenv doctor --format json > "$OUT/doctor.json"; echo "json exit=$?"
log "probe"
dlenv probe -o "$OUT/probe.json" --force && python -c "import json,sys; h=json.load(open(sys.argv[1])); print(h['driver'], [g.get('name') for g in h['gpus']])" "$OUT/probe.json"
log "check --installed (this environment) and a known answer for this GPU"
dlenv check --installed --strict; echo "exit=$?"
dlenv check 'torch==2.6.0+cu124' 'jax[cuda12]==0.4.30'; echo "exit=$?"

log "gpu-marked tests"
python -m pytest -q -m gpu -p no:cacheprovider 2>&1 | tail -15

log "timings (median of 11 whole processes, ms)"
python - <<'PY' | tee "$OUT/timings.txt"
import shutil, statistics, subprocess, sys, time

def median_ms(argv, runs=11):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)

rows = [("python -c pass", [sys.executable, "-c", "pass"]),
        ("dlenv doctor", [shutil.which("dlenv") or "dlenv", "doctor"]),
        ("dlenv doctor --format json", [shutil.which("dlenv") or "dlenv", "doctor", "--format", "json"]),
        ("dlenv probe", [shutil.which("dlenv") or "dlenv", "probe"])]
if shutil.which("nvidia-smi"):
    rows.append(("nvidia-smi", ["nvidia-smi"]))
try:
    import importlib.util
    if importlib.util.find_spec("torch"):
        rows.append(("python -m torch.utils.collect_env", [sys.executable, "-m", "torch.utils.collect_env"]))
except Exception:
    pass
results = {name: median_ms(argv, 3 if "collect_env" in name else 11) for name, argv in rows}
for name, ms in results.items():
    print(f"{name:40s} {ms:8.1f}")
if "nvidia-smi" in results:
    print(f"doctor / nvidia-smi = {results['dlenv doctor'] / results['nvidia-smi']:.2f} (target <= 2)")
PY
