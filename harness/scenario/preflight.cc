#include "harness/scenario/preflight.h"

#include <exception>

#include "faults/catalogue.h"
#include "faults/random.h"
#include "harness/alerting/alert_engine.h"
#include "harness/deploy/deployment.h"
#include "harness/process/run_directory.h"

namespace lbchaos::scenario {

boost::asio::awaitable<void> preflight(boost::asio::io_context& io, topology::Topology topology,
                                       const Scenario* scenario,
                                       std::optional<std::uint64_t> seed) {
  process::RunDirectory run_dir("check-" + topology.name);
  deploy::Deployment deployment(io, std::move(topology), run_dir);
  std::exception_ptr failure;
  try {
    co_await deployment.prepare();
    if (scenario != nullptr) {
      for (const auto& spec : faults::expand_random_faults(*scenario, seed.value_or(scenario->seed))) {
        (void)faults::make_fault(spec, deployment);
      }
    }
    co_await alerting::make_alert_engine(deployment)->prepare();
  } catch (...) {
    failure = std::current_exception();
  }
  co_await deployment.shutdown();  // nothing was started; this closes the log receivers
  if (failure) std::rethrow_exception(failure);
}

}  // namespace lbchaos::scenario
