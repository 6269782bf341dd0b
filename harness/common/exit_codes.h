#pragma once

namespace lbchaos {

// The process exit codes promised in DESIGN.md.
enum ExitCode : int {
  kExitOk = 0,           // every probe passed / command succeeded
  kExitProbeFailed = 1,  // at least one probe failed
  kExitBadInput = 2,     // invalid file, key, value or command line
  kExitEnvironment = 3,  // haproxy missing, cannot bind, a node did not start or become ready
};

}  // namespace lbchaos
