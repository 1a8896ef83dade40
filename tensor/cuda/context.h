// Per-device CUDA state: the compute stream, the stream-ordered memory pool, copies,
// pinned host buffers, cuBLAS/cuDNN handles and a scratch workspace.
// Plain C++ (no kernels): it only calls the CUDA runtime. Launchers receive a
// cudaStream_t explicitly.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>

#include "tensor/check.h"

namespace sp::cuda {

// Number of usable GPUs. Any error from the driver (on machines without a GPU:
// "CUDA driver version is insufficient") counts as zero GPUs, reported once on stderr.
int device_count();
bool available();

// The compute stream of a device (created on first use, non-blocking).
cudaStream_t stream(int device);
// Makes `device` current for the calling thread.
void set_device(int device);
void synchronize(int device);

// Stream-ordered pooled allocation on the device's compute stream. The pool keeps
// freed memory (release threshold: unlimited) so steady-state training never calls
// cudaMalloc.
void* device_malloc(size_t nbytes, int device);
void device_free(void* ptr, int device);

// Copies between host and device memory, ordered on the device's compute stream.
// Host-side copies synchronize so the host buffer can be reused at once.
void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device);

// Copies that do not synchronize: `host` must stay valid (and, for real overlap, be
// pinned: PinnedBuffer) until the device's stream has passed the copy.
void copy_host_to_device_async(void* dst, const void* host, size_t nbytes, int device);
void copy_device_to_host_async(void* host, const void* src, size_t nbytes, int device);

// Page-locked host memory (cudaHostAlloc) for asynchronous transfers, e.g. the data
// loader's prefetch buffers. Move-only; frees with cudaFreeHost.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t nbytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void* data() const { return ptr_; }
  size_t size() const { return size_; }

 private:
  void* ptr_ = nullptr;
  size_t size_ = 0;
};

// Library handles of a device, created on first use and bound to its compute stream.
// cuBLAS gets its own fixed workspace (cublasSetWorkspace) so its kernels never allocate.
cublasHandle_t cublas_handle(int device);
cudnnHandle_t cudnn_handle(int device);
// A scratch buffer on the device's stream, at least `nbytes` large, valid until the next
// call for that device (grow-only; the old buffer is freed stream-ordered). For cuDNN
// convolution workspaces and other temporaries of one op.
void* workspace(int device, size_t nbytes);

// TF32 tensor-core math for f32 matmul/conv: off unless explicitly enabled, so f32
// results match the CPU to f32 precision by default.
void set_allow_tf32(bool allow);
bool allow_tf32();

void check_status(cudaError_t status, const char* what, const char* file, int line);
void check_cublas(cublasStatus_t status, const char* what, const char* file, int line);
void check_cudnn(cudnnStatus_t status, const char* what, const char* file, int line);

}  // namespace sp::cuda

// Every CUDA runtime call goes through SP_CUDA_CHECK.
#define SP_CUDA_CHECK(expr) ::sp::cuda::check_status((expr), #expr, __FILE__, __LINE__)
#define SP_CUBLAS_CHECK(expr) ::sp::cuda::check_cublas((expr), #expr, __FILE__, __LINE__)
#define SP_CUDNN_CHECK(expr) ::sp::cuda::check_cudnn((expr), #expr, __FILE__, __LINE__)
