#!/usr/bin/env bash
# Install the DFT code for the (planned) real-materials step of issue 16: GPAW from PyPI, built
# against Debian's libxc, FFTW and OpenBLAS, with the PAW setups of PyPI's gpaw-data, driven
# through ASE. Not needed by the book's build or CI (chapters read committed DFT results).
# Serial build (no MPI on this machine): run two single-thread points side by side on two cores
# (OPENBLAS_NUM_THREADS=1), which measured faster than one point on two threads.
# Usage: bash .ci/install-dft.sh   (into the active Python environment; a venv is advised)
set -euo pipefail
GPAW_VERSION=26.7.0
GPAW_DATA_VERSION=1.2.1
ASE_VERSION=3.29.0
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s libxc-dev libopenblas-dev libfftw3-dev >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libxc-dev libopenblas-dev libfftw3-dev >/dev/null
fi
cfg=$(mktemp --suffix=.py)
cat > "$cfg" <<'CFG'
mpi = False
compiler = 'gcc'
fftw = True
libraries = ['xc', 'fftw3', 'openblas']
scalapack = False
CFG
GPAW_CONFIG="$cfg" python3 -m pip install -q --no-binary gpaw "ase==$ASE_VERSION" \
  "gpaw==$GPAW_VERSION" "gpaw-data==$GPAW_DATA_VERSION"
rm -f "$cfg"
python3 -c "import gpaw, ase; print(f'GPAW {gpaw.__version__}, ASE {ase.__version__}')"
echo "DFT code installed in $(( $(date +%s) - t0 )) s"
