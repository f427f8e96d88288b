#!/usr/bin/env bash
# The GPU check of issue 25 (benchmarks/gpu_check.py says what it measures), for the day a GPU machine is lent.
#
# Python and torch: the machine's own python3 and its torch (the lent machines, /work/.library/device/KINDS.md, have
# Python 3.12 with a CUDA torch 2.11, torchvision, numpy, safetensors and tqdm: all that ganapp's gan, engine and run
# layers import; no gradio is needed). The project pins torch 2.14.1: the script prints the torch it ran on, and a
# figure goes into benchmarks/README.md with it. Nothing is downloaded; wheels carried in .whl/ (the device README's
# recipe, e.g. ray for the last section) are installed into /tmp/site first. PYTHON=... picks another interpreter.
#
# Data: MNIST in torchvision's layout, DIR/MNIST/raw/*-ubyte, or those files gzipped (*-ubyte.gz), which this script
# unpacks to a temporary folder. ../shared/data does not travel to the lent machine, and unpacked it is too big to
# carry beside the repo (64 MiB in all), so carry it gzipped in an ignored folder:
#   echo /.gpu_data/ >> .git/info/exclude; mkdir -p .gpu_data/MNIST/raw
#   for f in ../shared/data/MNIST/raw/*-ubyte; do gzip -c "$f" > .gpu_data/MNIST/raw/$(basename "$f").gz; done
#   then: run(command="bash benchmarks/gpu_check.sh .gpu_data", carry=[".gpu_data"], timeout_s=540)
# It takes about 5 minutes on one GPU. On a CPU, `bash benchmarks/gpu_check.sh --smoke` checks that it runs.
#
# Usage: bash benchmarks/gpu_check.sh [DATA_DIR] [gpu_check.py flags...]     (DATA_DIR default: ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
data="../shared/data"
if [[ $# -gt 0 && $1 != -* ]]; then
  data="$1"
  shift
fi
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
if compgen -G "$data/MNIST/raw/*.gz" > /dev/null; then
  unpacked="$(mktemp -d)"
  mkdir -p "$unpacked/MNIST/raw"
  for f in "$data"/MNIST/raw/*.gz; do
    gzip -dc "$f" > "$unpacked/MNIST/raw/$(basename "$f" .gz)"
  done
  data="$unpacked"
fi
export PYTHONUNBUFFERED=1
exec "${PYTHON:-python3}" benchmarks/gpu_check.py --data-dir "$data" "$@"
