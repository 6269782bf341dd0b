// `lbchaos inject|heal|status|halt|note`: control a running game day (`lbchaos up` or
// `lbchaos run --live`) through the control socket in its run directory
// (harness/gameday/control_protocol.h). Exit codes: 0 done, 1 refused (a stop condition holds),
// 2 bad input (the scenario loader's message for a bad fault), 3 no exercise / it failed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "harness/cli/commands.h"
#include "harness/common/errors.h"
#include "harness/common/exit_codes.h"
#include "harness/gameday/control_client.h"
#include "harness/gameday/inject_command.h"
#include "harness/gameday/run_discovery.h"
#include "harness/process/run_directory.h"

namespace lbchaos::cli {

namespace {

using namespace std::chrono_literals;
// An inject or a heal may restart a node or reload haproxy: give it time.
constexpr auto kAnswerTimeout = std::chrono::milliseconds(60s);

struct ControlOptions {
  std::string run;
  // inject
  std::string action;
  std::string target;
  std::string for_duration;
  // heal
  std::string id;
  bool all = false;
  // status
  bool json = false;
  // halt
  bool stop = false;
  bool clear = false;
  // note
  std::vector<std::string> text;
};

int send(const std::string& selector, gameday::ControlRequest request, bool print_data_json) {
  try {
    const auto base = process::RunDirectory::base_directory();
    const auto run = gameday::choose_run(gameday::find_runs(base), selector, base);
    const auto response = gameday::send_request(run.socket(), request, kAnswerTimeout);
    if (!response.ok) {
      // The loader's messages already name their source ("lbchaos inject: ...").
      const bool named = response.message.starts_with("lbchaos ");
      fmt::print(stderr, "{}{}\n", named ? "" : fmt::format("lbchaos {}: ", request.command),
                 response.message);
      return response.exit_code == 0 ? kExitEnvironment : response.exit_code;
    }
    if (print_data_json) {
      fmt::print("{}\n", response.data.dump(2));
    } else {
      fmt::print("{}\n", response.message);
    }
    return kExitOk;
  } catch (const InputError& e) {
    fmt::print(stderr, "lbchaos {}: {}\n", request.command, e.what());
    return kExitBadInput;
  } catch (const EnvironmentError& e) {
    fmt::print(stderr, "lbchaos {}: {}\n", request.command, e.what());
    return kExitEnvironment;
  }
}

void add_run_option(CLI::App* command, ControlOptions& options) {
  command->add_option("--run", options.run,
                      "Which exercise, when several run: its run directory or topology name");
}

}  // namespace

void add_control_commands(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ControlOptions>();

  auto* inject = app.add_subcommand(
      "inject", "Inject a fault into a running exercise now: ACTION TARGET [--PARAM VALUE ...] "
                "[--for D] (the parameters of a scenario's [[fault]]); prints the fault id");
  inject->add_option("action", options->action, "Fault action (kill, pause, errors, latency, ...)")
      ->required();
  inject->add_option("target", options->target, "app/web1, lb0, ...")->required();
  inject->add_option("--for", options->for_duration, "Heal it after this long, like 30s");
  add_run_option(inject, *options);
  inject->allow_extras();
  inject->callback([options, inject, &exit_code] {
    gameday::InjectArgs args;
    args.action = options->action;
    args.target = options->target;
    args.for_duration = options->for_duration;
    try {
      args.params = gameday::parse_param_words(inject->remaining());
    } catch (const InputError& e) {
      fmt::print(stderr, "lbchaos inject: {}\n", e.what());
      exit_code = kExitBadInput;
      return;
    }
    exit_code = send(options->run, {"inject", args.to_json()}, false);
  });

  auto* heal = app.add_subcommand("heal", "Heal one fault by its id, or every fault (--all)");
  heal->add_option("id", options->id, "Fault id printed by inject (f1, f2, ...)");
  heal->add_flag("--all", options->all, "Heal every active fault");
  add_run_option(heal, *options);
  heal->callback([options, &exit_code] {
    if (options->id.empty() == !options->all) {
      fmt::print(stderr, "lbchaos heal: give a fault id or --all (not both)\n");
      exit_code = kExitBadInput;
      return;
    }
    nlohmann::json args = options->all ? nlohmann::json{{"all", true}}
                                       : nlohmann::json{{"id", options->id}};
    exit_code = send(options->run, {"heal", args}, false);
  });

  auto* status = app.add_subcommand(
      "status", "Servers, load balancers, faults, alerts, SLO budget and frontend URLs");
  status->add_flag("--json", options->json, "As JSON");
  add_run_option(status, *options);
  status->callback([options, &exit_code] {
    exit_code = send(options->run, {"status", nlohmann::json::object()}, options->json);
  });

  auto* halt = app.add_subcommand("halt", "Heal every fault now (idempotent)");
  halt->add_flag("--stop", options->stop, "Also end the exercise");
  halt->add_flag("--clear", options->clear,
                 "Allow injections again after a stop condition tripped");
  add_run_option(halt, *options);
  halt->callback([options, &exit_code] {
    exit_code = send(options->run, {"halt", {{"stop", options->stop}, {"clear", options->clear}}},
                     false);
  });

  auto* note = app.add_subcommand("note", "Write a note into the exercise's journal");
  note->add_option("text", options->text, "The note")->required();
  add_run_option(note, *options);
  note->callback([options, &exit_code] {
    exit_code =
        send(options->run, {"note", {{"text", fmt::format("{}", fmt::join(options->text, " "))}}},
             false);
  });
}

}  // namespace lbchaos::cli
