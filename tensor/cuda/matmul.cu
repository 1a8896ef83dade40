// cuBLAS GEMM for sp::cuda::matmul_batched. cuBLAS is column-major: a row-major
// C[M, N] = A[M, K] B[K, N] is computed as the column-major C^T = B^T A^T, and a
// row-major operand is exactly its transpose in column-major, so no data moves unless an
// operand has neither unit row nor unit column stride.
#include "tensor/cuda/context.h"
#include "tensor/cuda/matmul.h"
#include "tensor/ops/copy.h"

namespace sp::cuda {

namespace {

// How a row-major [rows, cols] matrix view is handed to cuBLAS as the column-major
// [cols, rows] matrix (its transpose): `trans` when the view is column-major instead.
struct GemmOperand {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 1;
};

GemmOperand matrix_layout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  GemmOperand g;
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= std::max<int64_t>(1, cols))) {
    g.ok = true;
    g.op = CUBLAS_OP_N;
    g.ld = rows == 1 ? std::max<int64_t>(1, cols) : row_stride;
  } else if ((rows == 1 || row_stride == 1) &&
             (cols == 1 || col_stride >= std::max<int64_t>(1, rows))) {
    g.ok = true;
    g.op = CUBLAS_OP_T;
    g.ld = cols == 1 ? std::max<int64_t>(1, rows) : col_stride;
  }
  return g;
}

// One stride that walks every batch matrix of t in order, if there is one (0 when the
// batch is broadcast). The batch dims are all dims but the last two.
bool batch_stride(const Tensor& t, int64_t* stride) {
  const int nb = t.dim() - 2;
  int64_t expected = -1;  // stride the next-outer non-trivial dim must have
  int64_t inner = 0;
  bool first = true;
  for (int d = nb - 1; d >= 0; --d) {
    const int64_t n = t.size(d), s = t.stride(d);
    if (n == 1) continue;
    if (first) {
      inner = s;
      expected = s * n;
      first = false;
    } else {
      if (s != expected) return false;
      expected = s * n;
    }
  }
  *stride = inner;
  return true;
}

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::F32:
      return CUDA_R_32F;
    case DType::F64:
      return CUDA_R_64F;
    case DType::F16:
      return CUDA_R_16F;
    case DType::BF16:
      return CUDA_R_16BF;
    default:
      SP_FAIL("matmul: expected dtype f32, f64, f16 or bf16 on CUDA, got ", t);
  }
}

}  // namespace

void matmul_batched(const Tensor& out, const Tensor& a_in, const Tensor& b_in) {
  SP_CHECK(out.dim() >= 2 && a_in.dim() == out.dim() && b_in.dim() == out.dim(),
           "matmul: expected operands of equal rank >= 2, got ", a_in.shape(), ", ", b_in.shape(),
           " -> ", out.shape());
  SP_ASSERT(out.is_contiguous(), "matmul: out must be contiguous");
  SP_CHECK(a_in.dtype() == out.dtype() && b_in.dtype() == out.dtype(),
           "matmul: expected operands of dtype ", out.dtype(), ", got ", a_in.dtype(), " and ",
           b_in.dtype());
  const int dev = out.device().index;
  set_device(dev);
  const int64_t M = out.size(-2), N = out.size(-1), K = a_in.size(-1);
  const int64_t batch = M * N > 0 ? out.numel() / (M * N) : 0;
  if (out.numel() == 0) return;
  if (K == 0) {
    fill_into(out, 0.0);
    return;
  }
  const cudaDataType_t dt = cuda_type(out.dtype());

  Tensor a = a_in, b = b_in;
  auto prepare = [&](Tensor& t, int64_t rows, int64_t cols, GemmOperand& g, int64_t& bstride) {
    g = matrix_layout(rows, cols, t.stride(-2), t.stride(-1));
    if (!g.ok || !batch_stride(t, &bstride)) {
      t = t.contiguous();
      g = matrix_layout(rows, cols, t.stride(-2), t.stride(-1));
      bstride = rows * cols;
      SP_ASSERT(g.ok, "matmul: contiguous operand has no GEMM layout");
    }
  };
  GemmOperand ga, gb;
  int64_t sa = 0, sb = 0;
  prepare(a, M, K, ga, sa);
  prepare(b, K, N, gb, sb);
  SP_CHECK(M <= INT32_MAX && N <= INT32_MAX && K <= INT32_MAX && batch <= INT32_MAX,
           "matmul: expected dims below 2^31 for cuBLAS, got ", a_in.shape(), " x ", b_in.shape());

  cublasHandle_t h = cublas_handle(dev);
  // Column-major C^T[N, M] = op(B^T)[N, K] * op(A^T)[K, M].
  const void* alpha;
  const void* beta;
  static const float f1 = 1.0f, f0 = 0.0f;
  static const double d1 = 1.0, d0 = 0.0;
  cublasComputeType_t compute;
  if (out.dtype() == DType::F64) {
    compute = CUBLAS_COMPUTE_64F;
    alpha = &d1;
    beta = &d0;
  } else {
    compute = out.dtype() == DType::F32 && allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                        : CUBLAS_COMPUTE_32F;
    alpha = &f1;
    beta = &f0;
  }
  SP_CUBLAS_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
  SP_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      h, gb.op, ga.op, int(N), int(M), int(K), alpha, b.data_ptr(), dt, gb.ld, sb, a.data_ptr(), dt,
      ga.ld, sa, beta, out.data_ptr(), dt, N, M * N, int(batch), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace sp::cuda
