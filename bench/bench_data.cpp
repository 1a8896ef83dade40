// Data pipeline throughput (Google Benchmark): Synthetic Shapes generation per primitive,
// one augmented MagicPoint training sample served from the cache, and loader batches of
// 64 at the training configuration (spec superpoint.md 1.5, 7.2). Counters are samples
// (or batches) per second; docs/PERFORMANCE.md compares them with a training step's need.
#include <benchmark/benchmark.h>

#include <memory>

#include "data/datasets.h"
#include "data/loader.h"

namespace {

using namespace sp::data;

AugmentConfig training_augmentation() {
  AugmentConfig aug;
  aug.photometric = true;
  aug.photometric_params = PhotometricParams::synthetic_shapes();
  aug.homographic = true;
  aug.homography_params = HomographyParams::synthetic_shapes();
  return aug;
}

// A training split small enough to render once per benchmark process.
std::shared_ptr<SyntheticShapesDataset> cached_training_set() {
  static std::shared_ptr<SyntheticShapesDataset> ds = [] {
    ShapesConfig shapes;              // spec sizes: 960x1280 canvas, blur 21, 120x160 output
    shapes.split_sizes = {64, 1, 1};  // 64 per primitive (truncation keeps fewer of some)
    auto d =
        std::make_shared<SyntheticShapesDataset>(shapes, Split::Train, training_augmentation());
    d->cache();
    return d;
  }();
  return ds;
}

void BM_GenerateShape(benchmark::State& state) {
  Primitive p = all_primitives()[size_t(state.range(0))];
  state.SetLabel(primitive_name(p));
  ShapesConfig shapes;
  int64_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(generate_shape(p, shapes, 0, Split::Train, i++).image.data_ptr());
  state.counters["samples/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GenerateShape)
    ->DenseRange(0, kNumPrimitives - 1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AugmentedCachedSample(benchmark::State& state) {
  auto ds = cached_training_set();
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ds->get(i % ds->size(), uint64_t(i)).size());
    ++i;
  }
  state.counters["samples/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AugmentedCachedSample)->Unit(benchmark::kMillisecond)->UseRealTime();

// Batches of 64 from `workers` threads (the argument), as train_base reads them.
void BM_LoaderBatch64(benchmark::State& state) {
  auto ds = cached_training_set();
  LoaderOptions opt;
  opt.batch_size = 64;
  opt.workers = int(state.range(0));
  opt.shuffle = true;
  Loader loader(ds, opt);
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  for (auto _ : state) {
    auto batch = loader.next();
    if (!batch) {
      loader.start_epoch(++epoch);
      batch = loader.next();
    }
    benchmark::DoNotOptimize(batch->size());
  }
  state.counters["batches/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["samples/s"] =
      benchmark::Counter(64.0 * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LoaderBatch64)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
