#include "tensor/cuda/context.h"

#include <cstdio>
#include <cstdint>
#include <mutex>
#include <vector>

namespace sp::cuda {

void check_status(cudaError_t status, const char* what, const char* file, int line) {
  if (status == cudaSuccess) return;
  SP_FAIL("cuda: ", what, " failed: ", cudaGetErrorString(status), " (", file, ":", line, ")");
}

int device_count() {
  static const int count = [] {
    int n = 0;
    cudaError_t status = cudaGetDeviceCount(&n);
    if (status != cudaSuccess) {
      std::fprintf(stderr, "sp: no usable GPU (%s); running on the CPU only\n",
                   cudaGetErrorString(status));
      cudaGetLastError();  // clear the sticky error
      return 0;
    }
    return n;
  }();
  return count;
}

bool available() { return device_count() > 0; }

namespace {
struct DeviceState {
  cudaStream_t stream = nullptr;
  bool pool_configured = false;
};
std::mutex g_mutex;
std::vector<DeviceState> g_states;

DeviceState& state(int device) {
  int n = device_count();
  SP_CHECK(device >= 0 && device < n, "cuda: expected a device index in [0, ", n, "), got cuda:",
           device, n == 0 ? "; hint: this machine has no usable GPU" : "");
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_states.empty()) g_states.resize(n);
  DeviceState& s = g_states[device];
  if (!s.stream) {
    SP_CUDA_CHECK(cudaSetDevice(device));
    SP_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
    cudaMemPool_t pool;
    SP_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    uint64_t threshold = UINT64_MAX;
    SP_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    s.pool_configured = true;
  }
  return s;
}
}  // namespace

cudaStream_t stream(int device) { return state(device).stream; }

void set_device(int device) {
  state(device);
  SP_CUDA_CHECK(cudaSetDevice(device));
}

void synchronize(int device) { SP_CUDA_CHECK(cudaStreamSynchronize(stream(device))); }

void* device_malloc(size_t nbytes, int device) {
  set_device(device);
  void* p = nullptr;
  if (nbytes == 0) nbytes = 1;
  cudaError_t status = cudaMallocAsync(&p, nbytes, stream(device));
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    SP_FAIL("cuda: out of memory allocating ", nbytes, " bytes on cuda:", device);
  }
  SP_CUDA_CHECK(status);
  return p;
}

void device_free(void* ptr, int device) {
  // Destructors must not throw: report and carry on.
  cudaSetDevice(device);
  cudaError_t status = cudaFreeAsync(ptr, stream(device));
  if (status != cudaSuccess)
    std::fprintf(stderr, "sp: cudaFreeAsync failed on cuda:%d: %s\n", device, cudaGetErrorString(status));
}

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  SP_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream(device)));
  SP_CUDA_CHECK(cudaStreamSynchronize(stream(device)));
}

void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  SP_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream(device)));
  SP_CUDA_CHECK(cudaStreamSynchronize(stream(device)));
}

void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  SP_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream(device)));
}

}  // namespace sp::cuda
