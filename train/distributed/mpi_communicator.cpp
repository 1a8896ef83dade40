// MpiCommunicator: collectives over MPI_COMM_WORLD on host memory. CUDA tensors are
// copied to the host, reduced and copied back (correct, not fast: NCCL is the GPU path).
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "tensor/ops/copy.h"
#include "train/distributed/backends.h"

namespace sp::train {
namespace {

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  SP_CHECK(false, "mpi: expected ", what, " to succeed, got error ", code, " (",
           std::string(text, length), ")");
}

void finalize_mpi_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void ensure_mpi_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (turned into sp::Error) instead of aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    std::atexit(finalize_mpi_at_exit);
  });
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return MPI_FLOAT;
    case DType::F64:
      return MPI_DOUBLE;
    case DType::I32:
      return MPI_INT32_T;
    case DType::I64:
      return MPI_INT64_T;
    case DType::U8:
      return MPI_UINT8_T;
    default:
      break;
  }
  SP_CHECK(false, "mpi: expected a tensor of dtype f32, f64, i32, i64 or u8, got ", dtype);
  return MPI_DATATYPE_NULL;
}

void check_flat(const Tensor& t, const char* what) {
  check_defined(t, what);
  SP_CHECK(t.is_contiguous(), what, ": expected a contiguous tensor, got ", t.meta(),
           " with strides ", t.strides(), "; hint: reduce a flat buffer and copy back");
  SP_CHECK(t.numel() < (int64_t(1) << 31), what, ": expected fewer than 2^31 elements, got ",
           t.numel());
}

class MpiPending : public PendingCollective {
 public:
  explicit MpiPending(MPI_Request request) : request_(request) {}
  ~MpiPending() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  void wait() override {
    check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait (allreduce)");
  }

 private:
  MPI_Request request_;
};

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    ensure_mpi_initialized();
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK")) {
      local_rank_ = std::atoi(local);
    } else {
      MPI_Comm node;
      check_mpi(
          MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
      MPI_Comm_rank(node, &local_rank_);
      MPI_Comm_free(&node);
    }
  }

  std::string backend() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int world_size() const override { return size_; }
  int local_rank() const override { return local_rank_; }

  void allreduce_sum(Tensor& t) override {
    check_flat(t, "allreduce_sum");
    if (t.numel() == 0) return;
    if (t.is_cuda()) {
      Tensor host = t.cpu();
      allreduce_sum(host);
      copy_into(t, host);
      return;
    }
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), int(t.numel()), mpi_type(t.dtype()),
                            MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
  }

  std::unique_ptr<PendingCollective> allreduce_sum_async(Tensor& t) override {
    check_flat(t, "allreduce_sum_async");
    if (t.is_cuda() || t.numel() == 0) return Communicator::allreduce_sum_async(t);
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, t.data_ptr(), int(t.numel()), mpi_type(t.dtype()),
                             MPI_SUM, MPI_COMM_WORLD, &request),
              "MPI_Iallreduce");
    return std::make_unique<MpiPending>(request);
  }

  void broadcast(Tensor& t, int root) override {
    check_flat(t, "broadcast");
    SP_CHECK(root >= 0 && root < size_, "broadcast: expected a root rank in [0, ", size_, "), got ",
             root);
    if (t.numel() == 0) return;
    if (t.is_cuda()) {
      Tensor host = t.cpu();
      broadcast(host, root);
      copy_into(t, host);
      return;
    }
    check_mpi(MPI_Bcast(t.data_ptr(), int(t.numel()), mpi_type(t.dtype()), root, MPI_COMM_WORLD),
              "MPI_Bcast");
  }

  std::vector<std::vector<uint8_t>> allgather_bytes(const std::vector<uint8_t>& mine) override {
    int n = int(mine.size());
    std::vector<int> counts(size_), offsets(size_);
    check_mpi(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD),
              "MPI_Allgather (sizes)");
    int total = 0;
    for (int r = 0; r < size_; ++r) offsets[r] = total, total += counts[r];
    std::vector<uint8_t> all(size_t(total) + 1);
    check_mpi(MPI_Allgatherv(mine.data(), n, MPI_UINT8_T, all.data(), counts.data(), offsets.data(),
                             MPI_UINT8_T, MPI_COMM_WORLD),
              "MPI_Allgatherv");
    std::vector<std::vector<uint8_t>> out(size_);
    for (int r = 0; r < size_; ++r)
      out[r].assign(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
    return out;
  }

  void barrier() override { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
};

}  // namespace

std::shared_ptr<Communicator> make_mpi_communicator() {
  return std::make_shared<MpiCommunicator>();
}

void abort_distributed_job(const std::string& message) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size == 1) return;  // nobody waits for this process
  std::fprintf(stderr, "[rank %d/%d] %s\n", rank, size, message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
}

}  // namespace sp::train
