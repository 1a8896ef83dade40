#include "tensor/cuda/context.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <utility>
#include <vector>

namespace sp::cuda {

void check_status(cudaError_t status, const char* what, const char* file, int line) {
  if (status == cudaSuccess) return;
  SP_FAIL("cuda: ", what, " failed: ", cudaGetErrorString(status), " (", file, ":", line, ")");
}

void check_cublas(cublasStatus_t status, const char* what, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  SP_FAIL("cublas: ", what, " failed: ", cublasGetStatusString(status), " (", file, ":", line, ")");
}

void check_cudnn(cudnnStatus_t status, const char* what, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  SP_FAIL("cudnn: ", what, " failed: ", cudnnGetErrorString(status), " (", file, ":", line, ")");
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

bool available() {
  return device_count() > 0;
}

namespace {
// 32 MiB: what cuBLAS recommends for Hopper.
constexpr size_t kCublasWorkspaceBytes = size_t(32) << 20;

struct DeviceState {
  cudaStream_t stream = nullptr;
  bool pool_configured = false;
  cublasHandle_t cublas = nullptr;
  void* cublas_workspace = nullptr;
  cudnnHandle_t cudnn = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};
std::atomic<bool> g_allow_tf32{false};
std::mutex g_mutex;
std::vector<DeviceState> g_states;

DeviceState& state(int device) {
  int n = device_count();
  SP_CHECK(device >= 0 && device < n, "cuda: expected a device index in [0, ", n,
           "), got cuda:", device, n == 0 ? "; hint: this machine has no usable GPU" : "");
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

cudaStream_t stream(int device) {
  return state(device).stream;
}

void set_device(int device) {
  state(device);
  SP_CUDA_CHECK(cudaSetDevice(device));
}

cublasHandle_t cublas_handle(int device) {
  DeviceState& s = state(device);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!s.cublas) {
    SP_CUDA_CHECK(cudaSetDevice(device));
    cublasHandle_t h = nullptr;
    SP_CUBLAS_CHECK(cublasCreate(&h));
    SP_CUBLAS_CHECK(cublasSetStream(h, s.stream));
    SP_CUDA_CHECK(cudaMalloc(&s.cublas_workspace, kCublasWorkspaceBytes));
    SP_CUBLAS_CHECK(cublasSetWorkspace(h, s.cublas_workspace, kCublasWorkspaceBytes));
    s.cublas = h;
  }
  return s.cublas;
}

cudnnHandle_t cudnn_handle(int device) {
  DeviceState& s = state(device);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!s.cudnn) {
    SP_CUDA_CHECK(cudaSetDevice(device));
    cudnnHandle_t h = nullptr;
    SP_CUDNN_CHECK(cudnnCreate(&h));
    SP_CUDNN_CHECK(cudnnSetStream(h, s.stream));
    s.cudnn = h;
  }
  return s.cudnn;
}

void* workspace(int device, size_t nbytes) {
  DeviceState& s = state(device);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (nbytes > s.workspace_bytes) {
    SP_CUDA_CHECK(cudaSetDevice(device));
    // Stream-ordered: kernels queued before still see the old buffer until they finish.
    if (s.workspace) SP_CUDA_CHECK(cudaFreeAsync(s.workspace, s.stream));
    s.workspace = nullptr;
    s.workspace_bytes = 0;
    size_t rounded = (nbytes + (size_t(1) << 20) - 1) & ~((size_t(1) << 20) - 1);
    cudaError_t status = cudaMallocAsync(&s.workspace, rounded, s.stream);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      SP_FAIL("cuda: out of memory allocating a ", nbytes, "-byte workspace on cuda:", device);
    }
    SP_CUDA_CHECK(status);
    s.workspace_bytes = rounded;
  }
  return s.workspace;
}

void set_allow_tf32(bool allow) {
  g_allow_tf32.store(allow);
}
bool allow_tf32() {
  return g_allow_tf32.load();
}

void synchronize(int device) {
  SP_CUDA_CHECK(cudaStreamSynchronize(stream(device)));
}

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
    std::fprintf(stderr, "sp: cudaFreeAsync failed on cuda:%d: %s\n", device,
                 cudaGetErrorString(status));
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

void copy_host_to_device_async(void* dst, const void* host, size_t nbytes, int device) {
  set_device(device);
  SP_CUDA_CHECK(cudaMemcpyAsync(dst, host, nbytes, cudaMemcpyHostToDevice, stream(device)));
}

void copy_device_to_host_async(void* host, const void* src, size_t nbytes, int device) {
  set_device(device);
  SP_CUDA_CHECK(cudaMemcpyAsync(host, src, nbytes, cudaMemcpyDeviceToHost, stream(device)));
}

PinnedBuffer::PinnedBuffer(size_t nbytes) : size_(nbytes) {
  SP_CHECK(available(), "cuda: expected a usable GPU for pinned host memory, got none");
  cudaError_t status = cudaHostAlloc(&ptr_, nbytes > 0 ? nbytes : 1, cudaHostAllocDefault);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    SP_FAIL("cuda: out of pinned host memory allocating ", nbytes, " bytes");
  }
  SP_CUDA_CHECK(status);
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_) {
    cudaError_t status = cudaFreeHost(ptr_);
    if (status != cudaSuccess)
      std::fprintf(stderr, "sp: cudaFreeHost failed: %s\n", cudaGetErrorString(status));
  }
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    PinnedBuffer old(std::move(*this));
    ptr_ = std::exchange(other.ptr_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace sp::cuda
