#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

// haproxy's conditional blocks (`.if` / `.elif` / `.else` / `.endif`, section 2.4 of the
// configuration manual), evaluated by the haproxy binary that will run the config, so that
// `feature(QUIC)`, `version_atleast(2.6)`, `defined(VAR)` (including variables set by `setenv`
// in `global`), `streq`/`strneq` and the `!`, `&&`, `||` operators mean exactly what they mean
// to that haproxy.
//
// How: a probe config keeps the user's conditional directives, `global` headers and
// environment lines (setenv/presetenv/resetenv/unsetenv), and replaces every other line by a
// `.notice` naming its line number; `haproxy -c` prints the notices of the active lines.
namespace lbchaos::topology {

struct ConditionalLines {
  // active[i] is false for line i+1 when it sits in a block haproxy skips. Directive lines
  // (.if/.elif/.else/.endif) are never "active": haproxy consumes them.
  std::vector<bool> active;
  std::vector<bool> directive;
  // haproxy refused the conditions themselves (syntax error...): nothing was evaluated, every
  // line counts as active, and the directives are left for `haproxy -c` to report.
  bool evaluated = true;
};

// True for `.if`, `.elif`, `.else`, `.endif` lines (after blanks).
[[nodiscard]] bool is_condition_directive(const std::string& line);

// Evaluates the blocks of `lines` with `haproxy_binary`, in the environment haproxy will have
// (this process's environment plus `env`). Runs haproxy only when there is a conditional
// block. When haproxy cannot be run, every line counts as active (evaluated = false).
[[nodiscard]] ConditionalLines evaluate_conditions(const std::vector<std::string>& lines,
                                                   const std::string& haproxy_binary,
                                                   const std::map<std::string, std::string>& env);

}  // namespace lbchaos::topology
