// `speval --matcher NAME`: a matcher from the model registry (models/builtin.cpp:
// nearest_neighbor, dual_softmax, and lightglue / superglue once registered) run on
// HPatches pairs under Glue Factory's protocol (eval/matcher_hpatches.h). The matcher is
// created by name with a MapConfig of the `key=value` entries given (`weights` = the
// pretrained file, the matchers' own key), so a newly registered matcher needs no change
// here.
#pragma once

#include <map>
#include <string>

#include "eval/matcher_hpatches.h"

namespace sp::procedures {

struct MatcherSpec {
  std::string name;                           // registry name
  std::map<std::string, std::string> config;  // key -> value, e.g. ratio_threshold -> 0.8
  std::string device;                         // "" = cuda:0 if usable, else cpu
};

// Parses "key=value" (a --matcher-conf argument) into `config`; throws naming the entry.
void add_matcher_entry(MatcherSpec& spec, const std::string& entry);

// The registry's matcher as an eval::MatchFunction (one pair a call, no gradients).
// Throws naming the unknown name and the registered ones, or a model that is no matcher.
eval::MatchFunction make_match_function(const MatcherSpec& spec);

}  // namespace sp::procedures
