# Sourced by bin/glora and bin/serve: on an AMD CPU, preloads bin/lib/mkl-amd.c (built once into
# ~/.cache/glora with the system's C compiler) so that libtorch's MKL picks its AVX2/AVX-512 kernels
# as on Intel (about 15 % more training and scoring throughput on an AMD EPYC: BENCHMARKS.md).
# GLORA_MKL_AMD=off turns it off; without a C compiler nothing changes.
glora_mkl_amd() {
  [[ ${GLORA_MKL_AMD:-auto} != off ]] || return 0
  grep -qm1 AuthenticAMD /proc/cpuinfo 2>/dev/null || return 0
  local base="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}" src
  [[ -n $base ]] || return 0
  local cache="$base/glora"
  src="$(dirname "${BASH_SOURCE[0]}")/mkl-amd.c"
  local lib="$cache/libglora-mkl-amd.so"
  [[ $lib != *[[:space:]:]* ]] || return 0 # LD_PRELOAD splits on blanks and colons
  if [[ ! -f $lib || $src -nt $lib ]]; then
    command -v cc > /dev/null || return 0
    mkdir -p "$cache" 2> /dev/null && cc -shared -fPIC -O2 -o "$lib.tmp.$$" "$src" 2> /dev/null \
      && mv -f "$lib.tmp.$$" "$lib" || { rm -f "$lib.tmp.$$"; return 0; }
  fi
  export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
}
glora_mkl_amd
