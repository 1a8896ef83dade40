// NcclCommunicator: collectives on CUDA tensors with NCCL, on a stream of its own.
// Ordering with the device's compute stream (tensor/cuda/context.h) uses events: the
// NCCL stream waits for the compute stream before a collective, and the compute stream
// waits for the collective before anything later reads the tensor. The host never
// blocks, so bucket reductions overlap with whatever the compute stream does next.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstdio>
#include <cstring>

#include "tensor/cuda/context.h"
#include "tensor/ops/creation.h"
#include "train/distributed/backends.h"

namespace sp::train {
namespace {

void check_nccl(ncclResult_t result, const char* what) {
  SP_CHECK(result == ncclSuccess, "nccl: expected ", what, " to succeed, got '",
           ncclGetErrorString(result), "'",
           result == ncclSystemError || result == ncclUnhandledCudaError
               ? "; hint: run with NCCL_DEBUG=INFO to see why"
               : "");
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return ncclFloat32;
    case DType::F64:
      return ncclFloat64;
    case DType::F16:
      return ncclFloat16;
    case DType::BF16:
      return ncclBfloat16;
    case DType::I32:
      return ncclInt32;
    case DType::I64:
      return ncclInt64;
    case DType::U8:
      return ncclUint8;
    default:
      break;
  }
  SP_CHECK(false, "nccl: expected a tensor of dtype f32, f64, f16, bf16, i32, i64 or u8, got ",
           dtype);
  return ncclFloat32;
}

class NcclPending : public PendingCollective {
 public:
  NcclPending(cudaEvent_t done, int device) : done_(done), device_(device) {}
  void wait() override { SP_CUDA_CHECK(cudaStreamWaitEvent(cuda::stream(device_), done_, 0)); }

 private:
  cudaEvent_t done_;  // owned by the communicator
  int device_;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(std::shared_ptr<Communicator> bootstrap, int device)
      : bootstrap_(std::move(bootstrap)), device_(device) {
    SP_CHECK(bootstrap_ != nullptr, "nccl: expected a bootstrap communicator, got null");
    cuda::set_device(device_);
    ncclUniqueId id{};
    if (bootstrap_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    Tensor id_bytes = from_bytes(&id, sizeof(id));
    bootstrap_->broadcast(id_bytes, 0);
    std::memcpy(&id, id_bytes.data_ptr(), sizeof(id));
    check_nccl(ncclCommInitRank(&comm_, bootstrap_->world_size(), id, bootstrap_->rank()),
               "ncclCommInitRank");
    SP_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    SP_CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
  }

  ~NcclCommunicator() override {
    for (cudaEvent_t e : done_events_) cudaEventDestroy(e);
    if (ready_) cudaEventDestroy(ready_);
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }

  std::string backend() const override { return "nccl"; }
  int rank() const override { return bootstrap_->rank(); }
  int world_size() const override { return bootstrap_->world_size(); }
  int local_rank() const override { return bootstrap_->local_rank(); }

  void allreduce_sum(Tensor& t) override { allreduce_sum_async(t)->wait(); }

  std::unique_ptr<PendingCollective> allreduce_sum_async(Tensor& t) override {
    check_device_tensor(t, "allreduce_sum");
    cudaEvent_t done = begin();
    if (t.numel() > 0)
      check_nccl(ncclAllReduce(t.data_ptr(), t.data_ptr(), size_t(t.numel()), nccl_type(t.dtype()),
                               ncclSum, comm_, stream_),
                 "ncclAllReduce");
    SP_CUDA_CHECK(cudaEventRecord(done, stream_));
    return std::make_unique<NcclPending>(done, device_);
  }

  void broadcast(Tensor& t, int root) override {
    check_device_tensor(t, "broadcast");
    SP_CHECK(root >= 0 && root < world_size(), "broadcast: expected a root rank in [0, ",
             world_size(), "), got ", root);
    cudaEvent_t done = begin();
    if (t.numel() > 0)
      check_nccl(ncclBroadcast(t.data_ptr(), t.data_ptr(), size_t(t.numel()), nccl_type(t.dtype()),
                               root, comm_, stream_),
                 "ncclBroadcast");
    SP_CUDA_CHECK(cudaEventRecord(done, stream_));
    NcclPending(done, device_).wait();
  }

  std::vector<std::vector<uint8_t>> allgather_bytes(const std::vector<uint8_t>& mine) override {
    return bootstrap_->allgather_bytes(mine);
  }

  void barrier() override {
    cuda::synchronize(device_);
    SP_CUDA_CHECK(cudaStreamSynchronize(stream_));
    bootstrap_->barrier();
  }

 private:
  static Tensor from_bytes(const void* data, size_t n) {
    Tensor t = empty({int64_t(n)}, DType::U8);
    std::memcpy(t.data_ptr(), data, n);
    return t;
  }

  void check_device_tensor(const Tensor& t, const char* what) const {
    check_defined(t, what);
    SP_CHECK(t.is_cuda() && t.device().index == device_, what,
             ": expected a tensor on cuda:", device_, " (the NCCL communicator's device), got ",
             t.meta());
    SP_CHECK(t.is_contiguous(), what, ": expected a contiguous tensor, got ", t.meta(),
             " with strides ", t.strides());
  }

  // Orders the NCCL stream after the compute stream; returns a free event to mark the
  // end of the collective. Events are recycled round-robin (a handful are in flight at
  // most: one per gradient bucket).
  cudaEvent_t begin() {
    SP_CUDA_CHECK(cudaEventRecord(ready_, cuda::stream(device_)));
    SP_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0));
    if (done_events_.size() < kEvents) {
      cudaEvent_t e;
      SP_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
      done_events_.push_back(e);
    }
    cudaEvent_t e = done_events_[next_event_ % done_events_.size()];
    ++next_event_;
    return e;
  }

  static constexpr size_t kEvents = 64;
  std::shared_ptr<Communicator> bootstrap_;
  int device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  std::vector<cudaEvent_t> done_events_;
  size_t next_event_ = 0;
};

}  // namespace

std::shared_ptr<Communicator> make_nccl_communicator(std::shared_ptr<Communicator> bootstrap,
                                                     int device) {
  return std::make_shared<NcclCommunicator>(std::move(bootstrap), device);
}

}  // namespace sp::train
