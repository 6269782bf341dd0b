#pragma once

#include <utility>  // before boost/asio/awaitable.hpp with GCC 12 (cpp-style.md)

#include <boost/asio/awaitable.hpp>

#include <string>

namespace lbchaos::deploy {
class Deployment;
}

// A fault (DESIGN.md "Fault catalogue"): an action on a target with an exact undo. Every fault
// lives in processes the harness owns, so a dead harness leaves none behind. The catalogue
// (catalogue.h) builds one from a planned [[fault]].
namespace lbchaos::faults {

class Fault {
 public:
  virtual ~Fault() = default;

  // Applies the fault; returns a sentence for the journal ("SIGKILL to process group 4242").
  virtual boost::asio::awaitable<std::string> inject() = 0;
  // Undoes it and returns what it did; throws when it could not (the journal then says the
  // heal failed, and why). Called at most once, and only after inject().
  virtual boost::asio::awaitable<std::string> heal() = 0;
};

}  // namespace lbchaos::faults
