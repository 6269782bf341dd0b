#include "harness/common/errors.h"

#include <fmt/format.h>

namespace lbchaos {

std::string SourcePosition::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

InputError::InputError(SourcePosition where, const std::string& message)
    : std::runtime_error(where.file.empty() ? message
                                            : fmt::format("{}: {}", where.to_string(), message)),
      where_(std::move(where)),
      message_(message) {}

InputError::InputError(const std::string& message)
    : std::runtime_error(message), message_(message) {}

}  // namespace lbchaos
