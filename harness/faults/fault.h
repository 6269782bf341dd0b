#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "harness/scenario/model.h"

namespace lbchaos::deploy {
class Deployment;
}

// A fault (DESIGN.md "Fault catalogue"): an action on a target with an exact undo. Every fault
// lives in processes the harness owns, so a dead harness leaves none behind.
namespace lbchaos::faults {

class Fault {
 public:
  virtual ~Fault() = default;

  // Applies the fault; returns a sentence for the journal ("SIGKILL to process group 4242").
  virtual boost::asio::awaitable<std::string> inject() = 0;
  // Undoes it and returns what it did. Called at most once, and only after inject().
  virtual boost::asio::awaitable<std::string> heal() = 0;
};

// The fault a scenario's [[fault]] describes. Throws InputError (at the fault's position) for an
// action this version cannot inject yet, before anything starts.
[[nodiscard]] std::unique_ptr<Fault> make_fault(const scenario::FaultSpec& spec,
                                                deploy::Deployment& deployment);

// Refuses (InputError at the fault's position) a scenario whose faults this build cannot run.
void check_supported(const scenario::FaultSpec& spec);

}  // namespace lbchaos::faults
