#include "harness/traffic/request_mix.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cmath>
#include <string_view>

#include "harness/common/errors.h"

namespace lbchaos::traffic {
namespace {

// Methods whose responses carry a body the parser can frame (no HEAD, no CONNECT).
constexpr std::array<std::string_view, 6> kMethods{"GET", "POST", "PUT", "DELETE", "PATCH",
                                                  "OPTIONS"};

bool is_token(std::string_view name) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kSpecials.find(c) != kSpecials.npos;
  });
}

bool is_clean_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < ' ' && c != '\t') || u == 0x7f;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// splitmix64: a well-mixed 64-bit value from any input, so consecutive seqs draw independently.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::optional<std::string> template_problem(const RequestTemplate& request) {
  if (std::find(kMethods.begin(), kMethods.end(), request.method) == kMethods.end()) {
    return (fmt::format("method '{}' is not one of GET, POST, PUT, DELETE, PATCH, OPTIONS",
                              request.method));
  }
  const bool clean_path = std::none_of(request.path.begin(), request.path.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
  if (!request.path.starts_with('/') || !clean_path) {
    return (fmt::format(
        "path '{}' must start with '/' and hold no space or control character", request.path));
  }
  const bool clean_host = std::all_of(request.host.begin(), request.host.end(), [](char c) {
    return static_cast<unsigned char>(c) > ' ' && c != 0x7f && c != '/';
  });
  if (!clean_host) {
    return (fmt::format("host '{}' must be a host name (and :port), without space, "
                              "control character or '/'",
                              request.host));
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) return (fmt::format("header name '{}' is not an HTTP token", name));
    if (!is_clean_value(value)) {
      return (fmt::format("header {} holds a control character (CR, LF, ...)", name));
    }
    if (iequals(name, "host")) return ("set the Host header with `host`, not in headers");
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
      return (fmt::format("header {} is set by the generator from `body`", name));
    }
  }
  if (!(request.weight > 0) || !std::isfinite(request.weight)) {
    return (fmt::format("weight must be greater than 0, found {}", request.weight));
  }
  return std::nullopt;
}

void validate_template(const RequestTemplate& request) {
  if (auto problem = template_problem(request)) throw InputError("traffic request: " + *problem);
}

RequestMix::RequestMix(std::vector<RequestTemplate> templates, std::uint64_t seed, bool weighted)
    : templates_(std::move(templates)), seed_(seed), weighted_(weighted) {
  if (templates_.empty()) templates_.emplace_back();
  double sum = 0;
  for (const auto& t : templates_) {
    validate_template(t);
    sum += t.weight;
    cumulative_.push_back(sum);
  }
}

std::size_t RequestMix::draw(std::uint64_t n) const {
  if (!weighted_ || templates_.size() == 1) return n % templates_.size();
  // 53 random bits -> [0, 1) -> a point on the cumulative weights.
  const double unit = static_cast<double>(mix64(seed_ ^ mix64(n)) >> 11) * 0x1.0p-53;
  const double point = unit * cumulative_.back();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), point);
  return std::min(static_cast<std::size_t>(it - cumulative_.begin()), templates_.size() - 1);
}

}  // namespace lbchaos::traffic
