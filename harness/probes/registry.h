#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "harness/probes/probe.h"

// The probe catalogue (DESIGN.md "Probe catalogue"): every probe declared once — its name, the
// kind of threshold it takes, what its target may be, whether it measures from a fault (and of
// what effect), and the function that evaluates it. The scenario loader validates [[expect]]
// tables against it and probe.h evaluates through it.
namespace lbchaos::probes {

enum class Threshold {
  kRatio,     // "99.5%" or 0.995
  kDuration,  // "250ms", compared in seconds
  kCount,     // a whole number of requests
  kNone,      // passes or fails on what happened
};

struct ProbeInfo {
  std::string_view name;
  Threshold threshold = Threshold::kNone;
  unsigned targets = 0;  // scenario::TargetKind bits; 0: the probe takes no target
  bool target_required = false;
  // The probe measures from a fault: one on its target, or one with `fault_effect` when set
  // (scenario::FaultEffect; the fault catalogue says which actions have it).
  bool needs_fault = false;
  unsigned fault_effect = scenario::kNoEffect;
  // Whether `during` chooses the requests it reads (the others measure from their fault).
  bool windowed = false;
  ProbeResult (*evaluate)(const scenario::Expectation& expectation,
                          const scenario::RunRecording& run,
                          const topology::Topology& topology) = nullptr;
  std::string_view summary = {};  // one line for people
};

[[nodiscard]] std::span<const ProbeInfo> probe_catalogue();
[[nodiscard]] const ProbeInfo* find_probe(std::string_view name);
[[nodiscard]] std::vector<std::string_view> probe_names();

}  // namespace lbchaos::probes
