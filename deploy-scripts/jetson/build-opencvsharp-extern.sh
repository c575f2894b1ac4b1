#!/usr/bin/env bash
# Builds OpenCvSharp's native extern (libOpenCvSharpExtern.so) on a Jetson, against the board's own OpenCV (JetPack's,
# with its GStreamer and CUDA support), with only the bindings WorkerPool calls (core, imgproc, imgcodecs, videoio).
# No NuGet package carries this library for linux-arm64, and one built elsewhere would not match the board's OpenCV.
# Usage: build-opencvsharp-extern.sh [--ref TAG] [--source DIR] [--opencv-dir DIR] [--prefix DIR]
#   --ref         OpenCvSharp tag; must match the OpenCvSharp4 version in Directory.Packages.props (default below)
#   --source      an OpenCvSharp checkout to build from (for boards without internet access)
#   --opencv-dir  directory holding OpenCVConfig.cmake of another OpenCV build (default: the system's, libopencv-dev)
#   --prefix      where to install the library (default /opt/workerpool/native; kept across WorkerPool updates)
# Then: setup-jetson.sh --opencvsharp-extern PREFIX/libOpenCvSharpExtern.so
set -euo pipefail
ref="4.13.0.20260627"
src=""
opencv_dir=""
prefix="/opt/workerpool/native"
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) ref="$2"; shift 2 ;;
    --source) src="$2"; shift 2 ;;
    --opencv-dir) opencv_dir="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-opencvsharp-extern: unknown argument $1" >&2; exit 2 ;;
  esac
done
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

need=()
for p in cmake g++ make git pkg-config; do command -v "$p" >/dev/null || need+=("$p"); done
if [ -z "$opencv_dir" ] && ! pkg-config --exists opencv4 2>/dev/null; then need+=(libopencv-dev); fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "build-opencvsharp-extern: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$src" ]; then
  git clone --depth 1 --branch "$ref" https://github.com/shimat/opencvsharp.git "$work/opencvsharp"
  src="$work/opencvsharp"
fi
[ -f "$src/src/CMakeLists.txt" ] || { echo "build-opencvsharp-extern: $src is not an OpenCvSharp checkout" >&2; exit 1; }

# Everything WorkerPool does not call is left out: fewer OpenCV modules to link, and JetPack's OpenCV has no contrib.
args=(-DCMAKE_BUILD_TYPE=Release -DNO_CONTRIB=ON -DNO_STITCHING=ON -DNO_DNN=ON -DNO_ML=ON -DNO_BARCODE=ON
      -DNO_HIGHGUI=ON -DNO_PHOTO=ON -DNO_CALIB3D=ON -DNO_FEATURES2D=ON -DNO_FLANN=ON -DNO_OBJDETECT=ON -DNO_VIDEO=ON)
[ -n "$opencv_dir" ] && args+=("-DOpenCV_DIR=$opencv_dir")
cmake -S "$src/src" -B "$work/build" "${args[@]}"
cmake --build "$work/build" -j"$(nproc)"

lib="$(find "$work/build" -name libOpenCvSharpExtern.so -type f | head -n 1)"
[ -n "$lib" ] || { echo "build-opencvsharp-extern: the build produced no libOpenCvSharpExtern.so" >&2; exit 1; }
if ldd "$lib" | grep -q "not found"; then
  ldd "$lib" | grep "not found" >&2
  echo "build-opencvsharp-extern: the library has unresolved dependencies (above)" >&2
  exit 1
fi
$sudo install -D -m 0644 "$lib" "$prefix/libOpenCvSharpExtern.so"
echo "build-opencvsharp-extern: installed $prefix/libOpenCvSharpExtern.so (OpenCV $(pkg-config --modversion opencv4 2>/dev/null || echo "from $opencv_dir"))"
echo "next: setup-jetson.sh --opencvsharp-extern $prefix/libOpenCvSharpExtern.so"
