#pragma once

#include <stdexcept>
#include <string>

namespace lbchaos {

// Where in a user's file a value came from. Lines and columns are 1-based; 0 means unknown.
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", or just "file" when the position is unknown.
  [[nodiscard]] std::string to_string() const;
};

// Invalid user input (file, key, value, flag). The CLI prints what() and exits with code 2.
// what() is "file:line:col: message" so editors and CI logs can jump to the mistake.
class InputError : public std::runtime_error {
 public:
  InputError(SourcePosition where, const std::string& message);
  explicit InputError(const std::string& message);

  [[nodiscard]] const SourcePosition& where() const { return where_; }
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  SourcePosition where_;
  std::string message_;
};

// The machine cannot run what was asked: haproxy missing, a port cannot be bound, a node
// does not start or never becomes ready. The CLI prints what() and exits with code 3.
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lbchaos
