#!/usr/bin/env bash
# Builds ONNX Runtime with the CUDA and TensorRT execution providers on a Jetson, against JetPack's CUDA, cuDNN and
# TensorRT, and installs libonnxruntime.so with its provider libraries. NuGet has no GPU build for linux-arm64.
# The version must be the one the service's managed package was built with (Microsoft.ML.OnnxRuntime in
# Directory.Packages.props): an older native library lacks the API level the managed code asks for.
# Usage: build-onnxruntime-gpu.sh [--ref TAG] [--source DIR] [--cuda-arch N] [--prefix DIR]
#   --ref        ONNX Runtime tag (default below)
#   --source     an onnxruntime checkout with submodules (for boards without internet access)
#   --cuda-arch  CUDA compute capability: 87 for Orin (default), 72 for Xavier
#   --prefix     install directory (default /opt/onnxruntime-gpu/lib)
# Takes hours on the board; give it swap (8 GiB or more) and run it under tmux. Then:
#   setup-jetson.sh --onnxruntime PREFIX/libonnxruntime.so
set -euo pipefail
ref="v1.31.1"
src=""
arch="87"
prefix="/opt/onnxruntime-gpu/lib"
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) ref="$2"; shift 2 ;;
    --source) src="$2"; shift 2 ;;
    --cuda-arch) arch="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-onnxruntime-gpu: unknown argument $1" >&2; exit 2 ;;
  esac
done
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
[ -x /usr/local/cuda/bin/nvcc ] || { echo "build-onnxruntime-gpu: no CUDA toolkit in /usr/local/cuda (install JetPack's cuda-toolkit)" >&2; exit 1; }
ls /usr/lib/aarch64-linux-gnu/libnvinfer.so* >/dev/null 2>&1 || { echo "build-onnxruntime-gpu: no TensorRT (install JetPack's tensorrt)" >&2; exit 1; }

work="${WORK_DIR:-$HOME/onnxruntime-build}"
mkdir -p "$work"
if [ -z "$src" ]; then
  [ -d "$work/onnxruntime" ] || git clone --recursive --depth 1 --branch "$ref" https://github.com/microsoft/onnxruntime "$work/onnxruntime"
  src="$work/onnxruntime"
fi
cd "$src"
./build.sh --config Release --update --build --parallel --build_shared_lib --skip_tests --allow_running_as_root \
  --use_cuda --cuda_home /usr/local/cuda --cudnn_home /usr/lib/aarch64-linux-gnu \
  --use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu \
  --cmake_extra_defines "CMAKE_CUDA_ARCHITECTURES=$arch" onnxruntime_BUILD_UNIT_TESTS=OFF

out="$src/build/Linux/Release"
$sudo mkdir -p "$prefix"
for lib in libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
  [ -f "$out/$lib" ] || { echo "build-onnxruntime-gpu: $lib was not built" >&2; exit 1; }
  $sudo install -m 0755 "$out/$lib" "$prefix/$lib"
done
# libonnxruntime.so is a link to the versioned file; install that too.
$sudo cp -a "$out"/libonnxruntime.so.* "$prefix/"
echo "build-onnxruntime-gpu: installed ONNX Runtime $ref with CUDA and TensorRT into $prefix"
echo "next: setup-jetson.sh --onnxruntime $prefix/libonnxruntime.so"
