#pragma once

#include <filesystem>
#include <string>

namespace lbchaos {

// The SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL's libcrypto, in-process).
// Throws EnvironmentError when the file cannot be read.
[[nodiscard]] std::string sha256_of_file(const std::filesystem::path& file);

}  // namespace lbchaos
