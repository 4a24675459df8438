/* libtorch's MKL asks mkl_serv_intel_cpu_true() whether the CPU is an Intel one and, on AMD, takes
 * slower generic code paths for single-precision GEMM. Answering "yes" makes it choose kernels by
 * the CPU's actual features (AVX2, AVX-512), as it does on Intel. bin/lib/mkl-amd.sh builds this
 * into a preloaded library on AMD CPUs; BENCHMARKS.md has what it buys. */
int mkl_serv_intel_cpu_true(void) { return 1; }
