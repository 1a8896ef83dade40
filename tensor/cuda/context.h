// Per-device CUDA state: the compute stream, the stream-ordered memory pool, copies.
// Plain C++ (no kernels): it only calls the CUDA runtime. Launchers receive a
// cudaStream_t explicitly.
#pragma once

#include <cstddef>

#include <cuda_runtime_api.h>

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

void check_status(cudaError_t status, const char* what, const char* file, int line);

}  // namespace sp::cuda

// Every CUDA runtime call goes through SP_CUDA_CHECK.
#define SP_CUDA_CHECK(expr) ::sp::cuda::check_status((expr), #expr, __FILE__, __LINE__)
