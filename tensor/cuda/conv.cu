// cuDNN convolution (tensor/cuda/conv.h). Descriptors are built per call (cheap); the
// algorithm for each shape is measured once with cudnnFind*AlgorithmEx (the fastest
// that fits find_workspace_limit(); SP_CUDNN_FIND=0 uses the heuristic ranking instead)
// and cached. 1x1 convolutions go to cuBLAS (tensor/cuda/conv_gemm.h); the bias
// gradient is cuda::relu_backward_channel_sum (tensor/cuda/fused.h, deterministic).
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "tensor/cuda/context.h"
#include "tensor/cuda/conv.h"
#include "tensor/cuda/conv_gemm.h"
#include "tensor/cuda/fused.h"
#include "tensor/cuda/launch.cuh"
#include "tensor/dispatch.h"
#include "tensor/ops/copy.h"
#include "tensor/ops/creation.h"

namespace sp::cuda {

namespace {

enum class Direction { Forward, BackwardData, BackwardFilter };

cudnnDataType_t cudnn_type(DType t, const char* what) {
  switch (t) {
    case DType::F32:
      return CUDNN_DATA_FLOAT;
    case DType::F64:
      return CUDNN_DATA_DOUBLE;
    default:
      SP_FAIL(what, ": expected dtype f32 or f64 on CUDA, got ", t);
  }
}

int as_int(int64_t v, const char* what) {
  SP_CHECK(v <= INT32_MAX, what, ": expected sizes below 2^31 for cuDNN, got ", v);
  return int(v);
}

// RAII owners of the cuDNN descriptors of one convolution.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnDataType_t type;

  ConvDescriptors(const Shape& xs, const Shape& ws, const Shape& ys, DType dtype,
                  const Conv2dArgs& a, const char* what)
      : type(cudnn_type(dtype, what)) {
    SP_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    SP_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    SP_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    SP_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    SP_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, type, as_int(xs[0], what),
                                              as_int(xs[1], what), as_int(xs[2], what),
                                              as_int(xs[3], what)));
    SP_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, type, as_int(ys[0], what),
                                              as_int(ys[1], what), as_int(ys[2], what),
                                              as_int(ys[3], what)));
    SP_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NCHW, as_int(ws[0], what),
                                              as_int(ws[1], what), as_int(ws[2], what),
                                              as_int(ws[3], what)));
    SP_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv, int(a.padding[0]), int(a.padding[1]), int(a.stride[0]), int(a.stride[1]),
        int(a.dilation[0]), int(a.dilation[1]), CUDNN_CROSS_CORRELATION, type));
    SP_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, int(a.groups)));
    // CUDNN_DEFAULT_MATH lets f32 use TF32 tensor cores on Ampere+; FMA math forbids it.
    const bool tf32 = dtype == DType::F32 && allow_tf32();
    SP_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv, tf32 || dtype != DType::F32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~ConvDescriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;
};

using AlgoKey = std::array<int64_t, 20>;

AlgoKey make_key(Direction dir, int dev, const Shape& xs, const Shape& ws, DType dtype,
                 const Conv2dArgs& a) {
  return {int64_t(dir),
          dev,
          xs[0],
          xs[1],
          xs[2],
          xs[3],
          ws[0],
          ws[1],
          ws[2],
          ws[3],
          a.stride[0],
          a.stride[1],
          a.padding[0],
          a.padding[1],
          a.dilation[0],
          a.dilation[1],
          a.groups,
          int64_t(dtype),
          int64_t(allow_tf32()),
          0};
}

std::mutex g_algo_mutex;
std::map<AlgoKey, int> g_algos;  // the cuDNN algorithm enum value per key

// Largest workspace an algorithm may use when measured by cudnnFind*Ex: 8 GiB unless
// SP_CUDNN_WORKSPACE_MB says otherwise, and at most half the free memory. Winograd's
// weight gradient of a 64->64 layer at batch 64, 240x320 needs about 6 GB and runs 8x
// faster than the best algorithm under 1 GiB (docs/PERFORMANCE.md).
size_t find_workspace_limit() {
  static const size_t limit = [] {
    const char* v = std::getenv("SP_CUDNN_WORKSPACE_MB");
    return v ? size_t(std::strtoull(v, nullptr, 10)) << 20 : size_t(8) << 30;
  }();
  return limit;
}

bool use_find() {
  static const bool on = [] {
    const char* v = std::getenv("SP_CUDNN_FIND");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

// A temporary device buffer for the measuring runs (freed stream-ordered).
struct FindWorkspace {
  int dev;
  size_t bytes = 0;
  void* ptr = nullptr;
  FindWorkspace(int dev, size_t want) : dev(dev) {
    size_t free_bytes = 0, total = 0;
    if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) {
      cudaGetLastError();
      free_bytes = 0;
    }
    bytes = std::min(want, free_bytes / 2);
    if (bytes > 0) ptr = device_malloc(bytes, dev);
  }
  ~FindWorkspace() {
    if (ptr) device_free(ptr, dev);
  }
  FindWorkspace(const FindWorkspace&) = delete;
  FindWorkspace& operator=(const FindWorkspace&) = delete;
};

// The cached algorithm for key, else the first successful entry of `query` (cuDNN
// ranks measured results by time and heuristic results by expected speed). With FMA
// math requested, entries that would use tensor cores are skipped.
template <typename Perf, typename Query>
int choose_algo(const AlgoKey& key, const char* what, cudnnMathType_t math, Query query) {
  {
    std::lock_guard<std::mutex> lock(g_algo_mutex);
    auto it = g_algos.find(key);
    if (it != g_algos.end()) return it->second;
  }
  constexpr int kMax = 16;
  Perf perf[kMax];
  int returned = 0;
  query(kMax, &returned, perf);
  int algo = -1;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (math == CUDNN_FMA_MATH && (perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
                                   perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
      continue;
    algo = int(perf[i].algo);
    break;
  }
  SP_CHECK(algo >= 0, what, ": expected cuDNN to offer an algorithm, got none of ", returned);
  std::lock_guard<std::mutex> lock(g_algo_mutex);
  g_algos[key] = algo;
  return algo;
}

cudnnMathType_t math_type(const ConvDescriptors& d) {
  cudnnMathType_t m = CUDNN_DEFAULT_MATH;
  SP_CUDNN_CHECK(cudnnGetConvolutionMathType(d.conv, &m));
  return m;
}

struct Scalars {
  float f1 = 1.0f, f0 = 0.0f;
  double d1 = 1.0, d0 = 0.0;
  const void* one(DType t) const { return t == DType::F64 ? static_cast<const void*>(&d1) : &f1; }
  const void* zero(DType t) const { return t == DType::F64 ? static_cast<const void*>(&d0) : &f0; }
};

}  // namespace

void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight,
                    const Tensor& bias, const Conv2dArgs& args) {
  const char* what = "conv2d";
  const int dev = out.device().index;
  set_device(dev);
  if (out.numel() == 0) return;
  if (is_pointwise_conv(weight.shape(), args)) return conv1x1_forward(out, input, weight, bias);
  ConvDescriptors d(input.shape(), weight.shape(), out.shape(), out.dtype(), args, what);
  cudnnHandle_t h = cudnn_handle(dev);
  const auto algo = cudnnConvolutionFwdAlgo_t(choose_algo<cudnnConvolutionFwdAlgoPerf_t>(
      make_key(Direction::Forward, dev, input.shape(), weight.shape(), out.dtype(), args), what,
      math_type(d), [&](int n, int* got, cudnnConvolutionFwdAlgoPerf_t* p) {
        if (!use_find()) {
          SP_CUDNN_CHECK(
              cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, got, p));
          return;
        }
        FindWorkspace fw(dev, find_workspace_limit());
        SP_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
            h, d.x, input.data_ptr(), d.w, weight.data_ptr(), d.conv, d.y, out.data_ptr(), n, got,
            p, fw.ptr, fw.bytes));
      }));
  size_t ws_bytes = 0;
  SP_CUDNN_CHECK(
      cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, algo, &ws_bytes));
  void* ws = ws_bytes ? workspace(dev, ws_bytes) : nullptr;
  Scalars s;
  SP_CUDNN_CHECK(cudnnConvolutionForward(h, s.one(out.dtype()), d.x, input.data_ptr(), d.w,
                                         weight.data_ptr(), d.conv, algo, ws, ws_bytes,
                                         s.zero(out.dtype()), d.y, out.data_ptr()));
  if (bias.defined()) {
    cudnnTensorDescriptor_t b = nullptr;
    SP_CUDNN_CHECK(cudnnCreateTensorDescriptor(&b));
    cudnnStatus_t st =
        cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, d.type, 1, int(bias.numel()), 1, 1);
    if (st == CUDNN_STATUS_SUCCESS)
      st = cudnnAddTensor(h, s.one(out.dtype()), b, bias.data_ptr(), s.one(out.dtype()), d.y,
                          out.data_ptr());
    cudnnDestroyTensorDescriptor(b);
    SP_CUDNN_CHECK(st);
  }
}

void conv2d_backward_input(const Tensor& grad_in, const Tensor& grad_out, const Tensor& weight,
                           const Conv2dArgs& args) {
  const char* what = "conv2d_backward_input";
  const int dev = grad_in.device().index;
  set_device(dev);
  if (grad_in.numel() == 0) return;
  if (grad_out.numel() == 0 || weight.numel() == 0) {
    fill_into(grad_in, 0.0);
    return;
  }
  if (is_pointwise_conv(weight.shape(), args))
    return conv1x1_backward_input(grad_in, grad_out, weight);
  ConvDescriptors d(grad_in.shape(), weight.shape(), grad_out.shape(), grad_in.dtype(), args, what);
  cudnnHandle_t h = cudnn_handle(dev);
  const auto algo = cudnnConvolutionBwdDataAlgo_t(choose_algo<cudnnConvolutionBwdDataAlgoPerf_t>(
      make_key(Direction::BackwardData, dev, grad_in.shape(), weight.shape(), grad_in.dtype(),
               args),
      what, math_type(d), [&](int n, int* got, cudnnConvolutionBwdDataAlgoPerf_t* p) {
        if (!use_find()) {
          SP_CUDNN_CHECK(
              cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, got, p));
          return;
        }
        FindWorkspace fw(dev, find_workspace_limit());
        SP_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
            h, d.w, weight.data_ptr(), d.y, grad_out.data_ptr(), d.conv, d.x, grad_in.data_ptr(), n,
            got, p, fw.ptr, fw.bytes));
      }));
  size_t ws_bytes = 0;
  SP_CUDNN_CHECK(
      cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, algo, &ws_bytes));
  void* ws = ws_bytes ? workspace(dev, ws_bytes) : nullptr;
  Scalars s;
  SP_CUDNN_CHECK(cudnnConvolutionBackwardData(h, s.one(grad_in.dtype()), d.w, weight.data_ptr(),
                                              d.y, grad_out.data_ptr(), d.conv, algo, ws, ws_bytes,
                                              s.zero(grad_in.dtype()), d.x, grad_in.data_ptr()));
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& grad_out, const Tensor& input,
                            const Conv2dArgs& args) {
  const char* what = "conv2d_backward_weight";
  const int dev = grad_weight.device().index;
  set_device(dev);
  if (grad_weight.numel() == 0) return;
  if (grad_out.numel() == 0 || input.numel() == 0) {
    fill_into(grad_weight, 0.0);
    return;
  }
  if (is_pointwise_conv(grad_weight.shape(), args))
    return conv1x1_backward_weight(grad_weight, grad_out, input);
  ConvDescriptors d(input.shape(), grad_weight.shape(), grad_out.shape(), grad_weight.dtype(), args,
                    what);
  cudnnHandle_t h = cudnn_handle(dev);
  const auto algo =
      cudnnConvolutionBwdFilterAlgo_t(choose_algo<cudnnConvolutionBwdFilterAlgoPerf_t>(
          make_key(Direction::BackwardFilter, dev, input.shape(), grad_weight.shape(),
                   grad_weight.dtype(), args),
          what, math_type(d), [&](int n, int* got, cudnnConvolutionBwdFilterAlgoPerf_t* p) {
            if (!use_find()) {
              SP_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w,
                                                                           n, got, p));
              return;
            }
            FindWorkspace fw(dev, find_workspace_limit());
            SP_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                h, d.x, input.data_ptr(), d.y, grad_out.data_ptr(), d.conv, d.w,
                grad_weight.data_ptr(), n, got, p, fw.ptr, fw.bytes));
          }));
  size_t ws_bytes = 0;
  SP_CUDNN_CHECK(
      cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w, algo, &ws_bytes));
  void* ws = ws_bytes ? workspace(dev, ws_bytes) : nullptr;
  Scalars s;
  SP_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      h, s.one(grad_weight.dtype()), d.x, input.data_ptr(), d.y, grad_out.data_ptr(), d.conv, algo,
      ws, ws_bytes, s.zero(grad_weight.dtype()), d.w, grad_weight.data_ptr()));
}

void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_out) {
  const int dev = grad_bias.device().index;
  set_device(dev);
  if (grad_bias.numel() == 0) return;
  if (grad_out.numel() == 0) {
    fill_into(grad_bias, 0.0);
    return;
  }
  relu_backward_channel_sum(Tensor(), grad_bias, grad_out, Tensor());
}

}  // namespace sp::cuda
