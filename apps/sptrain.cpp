// sptrain: trains and evaluates models from experiment configs (pytorch-superpoint's
// train4.py / Glue Factory's train.py command shapes).
//   sptrain train NAME --conf FILE [a.b=v ...] [--restore] [--overfit] [--overwrite]
//   sptrain train_base CONFIG NAME [a.b=v ...] [--restore] [--overfit] [--overwrite]
//   sptrain eval_detector NAME [a.b=v ...] [--distance PX] [--threshold T] [--last]
//   sptrain train_joint CONFIG NAME [a.b=v ...] [--restore] [--overfit] [--overwrite]
//   sptrain export_detector_homoAdapt CONFIG NAME [a.b=v ...] [--pictures] [--device D] [--limit N]
//   [--tf32] sptrain export_descriptor CONFIG NAME [a.b=v ...] [--device D] [--tf32]
//   sptrain export_features CONFIG NAME [a.b=v ...] [--device D]: a feature cache
//   sptrain train NAME --conf FILE --run_benchmarks: [benchmarks.*] before each epoch
// Experiments live in $SP_EXPER_PATH/NAME (default outputs/training/NAME). Ctrl+C stops
// a training run after writing a checkpoint; --restore resumes it exactly.
// Data parallel (docs/DISTRIBUTED.md): `mpirun -np N sptrain train ...`, or
// `sptrain train ... --distributed N`, which relaunches itself under mpirun.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "procedures/benchmarks.h"
#include "procedures/commands.h"
#include "procedures/evaluate_detector.h"
#include "procedures/feature_export.h"
#include "tensor/check.h"
#include "train/distributed/communicator.h"
#include "train/experiment.h"
#include "train/trainer.h"

namespace {

using sp::train::Config;

// Arguments shared by the training commands. Overrides ("a.b=v") are positional and may
// be mixed with the flags.
struct TrainArgs {
  std::string name, conf;
  std::vector<std::string> overrides;
  sp::train::TrainOptions options;
  bool eval = false;  // train_base --eval: accepted, validation always runs
  bool run_benchmarks = false;
};

void add_train_flags(CLI::App* cmd, TrainArgs& a) {
  cmd->add_flag("--restore", a.options.restore, "resume NAME from its latest checkpoint (exactly)");
  cmd->add_flag("--overfit", a.options.overfit, "train on one batch forever (debugging)");
  cmd->add_flag("--overwrite", a.options.overwrite, "start over in an existing experiment folder");
  cmd->add_flag("--run_benchmarks", a.run_benchmarks,
                "run the config's [benchmarks.*] (hpatches, pose) before the first step and "
                "after every epoch; logged as test/<name>/<metric>");
  cmd->positionals_at_end(false);
}

int run_training(const TrainArgs& a, const char* what) {
  Config config;
  if (!a.conf.empty()) config = Config::from_file(a.conf);
  SP_CHECK(!a.conf.empty() || a.options.restore,
           "train: expected --conf FILE (or --restore to resume ", a.name,
           " with its saved config)");
  config.apply_overrides(a.overrides);
  sp::train::TrainOptions options = a.options;
  if (a.run_benchmarks) {
    Config bench = config;
    const std::string saved = sp::train::experiments_root() + "/" + a.name + "/config.toml";
    if (a.options.restore && a.conf.empty()) {
      bench = Config::from_file(saved);
      bench.apply_overrides(a.overrides);
    }
    options.benchmarks = sp::procedures::benchmark_hook(bench);
  }
  sp::train::train_experiment(a.name, config, options, what);
  return 0;
}

// `--distributed N` (or --distributed=N) anywhere on the command line: relaunch this
// command under `mpirun -np N` (unless already under mpirun, where it is dropped).
// Returns only when there is nothing to relaunch; args then lacks the flag.
void relaunch_if_distributed(std::vector<std::string>& args) {
  int processes = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string value;
    size_t used = 1;
    if (args[i] == "--distributed" && i + 1 < args.size()) {
      value = args[i + 1];
      used = 2;
    } else if (args[i].rfind("--distributed=", 0) == 0) {
      value = args[i].substr(14);
    } else {
      continue;
    }
    processes = std::atoi(value.c_str());
    SP_CHECK(processes >= 1, "sptrain: expected --distributed N with N >= 1, got '", value, "'");
    args.erase(args.begin() + long(i), args.begin() + long(i + used));
    break;
  }
  if (processes == 0 || sp::train::launched_by_mpi()) return;
  std::vector<std::string> extra;
  if (geteuid() == 0) extra.push_back("--allow-run-as-root");
  std::vector<std::string> cmd = sp::train::mpirun_command(processes, args, extra);
  std::vector<char*> argv;
  for (std::string& c : cmd) argv.push_back(c.data());
  argv.push_back(nullptr);
  std::cerr << "sptrain: relaunching under mpirun with " << processes << " processes\n";
  execvp(argv[0], argv.data());
  SP_CHECK(false, "sptrain: could not run ", cmd[0],
           " for --distributed; hint: install OpenMPI (mpirun)");
}

// The subcommand table: each entry adds its options and returns the action to run.
struct Command {
  const char* name;
  const char* help;
  std::function<std::function<int()>(CLI::App*)> setup;
};

// CONFIG NAME [a.b=v ...] [--device D] [--tf32] of the export commands.
std::shared_ptr<sp::procedures::ExportCommand> add_export_args(CLI::App* cmd) {
  auto c = std::make_shared<sp::procedures::ExportCommand>();
  cmd->add_option("config", c->config, "config (TOML)")->required();
  cmd->add_option("name", c->name, "experiment to write into ($SP_EXPER_PATH/NAME)")->required();
  cmd->add_option("overrides", c->overrides, "config overrides a.b=value");
  cmd->add_option("--device", c->device, "auto | cpu | cuda:N (default: cuda:0 if usable)");
  cmd->add_flag("--tf32", c->tf32,
                "TF32 convolutions and matmuls on CUDA (PyTorch's cuDNN default)");
  cmd->positionals_at_end(false);
  return c;
}

std::vector<Command> commands() {
  return {
      {"export_detector_homoAdapt",
       "export_detector_homoAdapt CONFIG NAME [a.b=v ...] [--pictures] [--device D] [--limit N] "
       "[--tf32]: HA labels",
       [](CLI::App* cmd) {
         auto c = add_export_args(cmd);
         cmd->add_flag("--pictures,--outputImg", c->pictures, "a PNG of the labels per image");
         cmd->add_option("--limit", c->limit, "at most this many images");
         return [c] { return sp::procedures::export_detector_homoAdapt(*c) ? 0 : 1; };
       }},
      {"export_descriptor",
       "export_descriptor CONFIG NAME [a.b=v ...] [--device D]: HPatches predictions for speval",
       [](CLI::App* cmd) {
         auto c = add_export_args(cmd);
         return [c] {
           sp::procedures::export_descriptor(*c);
           return 0;
         };
       }},
      {"export_features",
       "export_features CONFIG NAME [a.b=v ...] [--device D]: the [data] dataset's features by "
       "[model.extractor] into a cache (data.cache=...)",
       [](CLI::App* cmd) {
         auto c = add_export_args(cmd);
         return [c] {
           sp::procedures::export_dataset_features(*c);
           return 0;
         };
       }},
      {"train_joint",
       "train_joint CONFIG NAME [a.b=v ...] [--restore] [--overfit] [--distributed N]: SuperPoint "
       "on HA-labelled images",
       [](CLI::App* cmd) {
         auto a = std::make_shared<TrainArgs>();
         cmd->add_option("config", a->conf,
                         "experiment config (TOML), e.g. configs/superpoint_coco.toml")
             ->required();
         cmd->add_option("name", a->name, "experiment name")->required();
         cmd->add_option("overrides", a->overrides, "config overrides a.b=value");
         cmd->add_flag("--eval", a->eval,
                       "accepted for pytorch-superpoint compatibility (validation always runs)");
         add_train_flags(cmd, *a);
         return [a] { return run_training(*a, "train_joint"); };
       }},
      {"train",
       "train NAME --conf FILE [a.b=v ...] [--distributed N]: train the model of a config (N "
       "ranks: mpirun)",
       [](CLI::App* cmd) {
         auto a = std::make_shared<TrainArgs>();
         cmd->add_option("name", a->name, "experiment name")->required();
         cmd->add_option("overrides", a->overrides, "config overrides a.b=value");
         cmd->add_option("--conf", a->conf, "experiment config (TOML)");
         add_train_flags(cmd, *a);
         return [a] { return run_training(*a, "sptrain"); };
       }},
      {"train_base",
       "train_base CONFIG NAME [a.b=v ...]: MagicPoint on synthetic shapes (pytorch-superpoint)",
       [](CLI::App* cmd) {
         auto a = std::make_shared<TrainArgs>();
         cmd->add_option("config", a->conf,
                         "experiment config (TOML), e.g. configs/magicpoint_shapes.toml")
             ->required();
         cmd->add_option("name", a->name, "experiment name")->required();
         cmd->add_option("overrides", a->overrides, "config overrides a.b=value");
         cmd->add_flag("--eval", a->eval,
                       "accepted for pytorch-superpoint compatibility (validation always runs)");
         add_train_flags(cmd, *a);
         return [a] { return run_training(*a, "sptrain"); };
       }},
      {"eval_detector",
       "eval_detector NAME [a.b=v ...]: precision, recall, mAP of detections on validation data",
       [](CLI::App* cmd) {
         auto name = std::make_shared<std::string>();
         auto o = std::make_shared<sp::procedures::DetectorEvalOptions>();
         cmd->add_option("name", *name, "experiment name")->required();
         cmd->add_option("overrides", o->overrides, "config overrides a.b=value (model.*, data.*)");
         cmd->add_option("--distance", o->distance,
                         "px: a detection is correct within this distance");
         cmd->add_option("--threshold", o->threshold, "operating threshold (default: the model's)");
         cmd->add_option("--images", o->max_images, "validation images to use (default: all)");
         cmd->add_option("--pictures", o->pictures, "images in the detections picture");
         cmd->add_option("--device", o->device, "auto | cpu | cuda | cuda:N");
         cmd->add_option("--out", o->out_dir, "output folder (default: <experiment>/eval)");
         cmd->add_flag("--last", o->last, "the latest checkpoint instead of the best");
         cmd->positionals_at_end(false);
         return [name, o] {
           sp::procedures::DetectorEvalReport r = sp::procedures::evaluate_detector(*name, *o);
           std::cout << sp::procedures::format_report(*name, *o, r) << "  checkpoint "
                     << r.checkpoint << "\n"
                     << "  picture    " << r.picture << "\n  metrics    " << r.json << "\n";
           return 0;
         };
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  try {
    relaunch_if_distributed(args);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::vector<char*> kept;
  for (std::string& a : args) kept.push_back(a.data());
  argc = int(kept.size());
  argv = kept.data();
  CLI::App app{"sptrain: train and evaluate sp models from experiment configs"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (const Command& c : commands()) {
    CLI::App* cmd = app.add_subcommand(c.name, c.help);
    actions.emplace_back(cmd, c.setup(cmd));
  }
  CLI11_PARSE(app, argc, argv);
  int rc = 0;
  for (auto& [cmd, action] : actions) {
    if (!cmd->parsed()) continue;
    try {
      rc = action();
    } catch (const std::exception& e) {
      std::cerr << "sptrain: " << e.what() << "\n";
      rc = 1;
    }
    // Under mpirun the other ranks may be waiting for this one in a collective.
    if (rc != 0)
      sp::train::abort_distributed_job(std::string("sptrain ") + cmd->get_name() +
                                       " failed on this rank");
  }
  return rc;
}
