# sp: the two commands a fresh machine needs are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CTEST_FLAGS ?=

.PHONY: all deps configure build test test-asan test-gpu bench demo clean format fuzz

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Every test; GPU tests skip themselves where no GPU exists.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

# Only the GPU-labelled tests (on a machine with a GPU).
test-gpu: build
	cd $(BUILD) && ctest --output-on-failure -L gpu $(CTEST_FLAGS)

# The CPU tests under AddressSanitizer + UndefinedBehaviorSanitizer (Debug, separate tree).
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSP_SANITIZE=ON -DSP_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=protect_shadow_gap=0:detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L cpu $(CTEST_FLAGS)

# The libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan + libFuzzer, separate tree
# build-fuzz); scripts/fuzz.sh NAME [SECONDS] runs one (docs/FUZZING.md).
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSP_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target fuzz_all

bench: build
	scripts/run-bench.sh $(BUILD)

# Trains MagicPoint on Synthetic Shapes with configs/demo.toml (on the GPU when there is
# one), then grades its corner detection on validation shapes (precision, recall, mAP)
# and draws the detections. Outputs: $$SP_EXPER_PATH/demo (default outputs/training/demo).
DEMO_NAME ?= demo
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target sptrain
	$(BUILD)/apps/sptrain train $(DEMO_NAME) --conf configs/demo.toml --overwrite
	$(BUILD)/apps/sptrain eval_detector $(DEMO_NAME)
	@d=$${SP_EXPER_PATH:-outputs/training}/$(DEMO_NAME); \
	echo "demo outputs in $$d:"; \
	echo "  config.toml, log.txt, metrics.csv     the run (resolved config, console log, step,split,key,value)"; \
	echo "  checkpoints/checkpoint_best.h5        best validation loss (plus the last checkpoints)"; \
	echo "  events.out.tfevents.*                 TensorBoard: tensorboard --logdir $$d"; \
	echo "  images/detections_<step>.png          validation detections at every evaluation"; \
	echo "  eval/detections.png                   final detections (red) over ground-truth corners (green)"; \
	echo "  eval/detector_metrics.json            precision, recall, mAP, localization error"

format:
	git ls-files '*.h' '*.cpp' '*.cu' '*.cuh' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
