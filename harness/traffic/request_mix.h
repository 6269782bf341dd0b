#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// What each request of the generator looks like: a weighted mix of request templates (the
// scenario's [[traffic.request]] entries, or `lbchaos load --host/--path/--header`). Which
// template request `seq` uses is a pure function of the seed and `seq`, so a replay with the
// same seed sends the same requests in the same order, whatever the timing.
namespace lbchaos::traffic {

struct RequestTemplate {
  std::string method = "GET";
  std::string host;  // empty: the address of the haproxy instance the request goes to
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // in the order given
  std::string body;  // sent with a Content-Length when not empty
  double weight = 1;
};

// The first thing a template cannot send: an unknown method, a path that does not start with
// '/', a header name that is not a token, a CR/LF in a value, a weight <= 0, a Host or
// Content-Length among the headers. nullopt when it is fine.
[[nodiscard]] std::optional<std::string> template_problem(const RequestTemplate& request);
// Throws InputError("traffic request: <problem>").
void validate_template(const RequestTemplate& request);

class RequestMix {
 public:
  // `weighted`: draw by weight from the seed; otherwise round-robin (the plain `paths` list).
  RequestMix(std::vector<RequestTemplate> templates, std::uint64_t seed, bool weighted);

  // The template of the `n`-th request of one instance's share (see LoadGenerator::add_record).
  [[nodiscard]] std::size_t draw(std::uint64_t n) const;
  [[nodiscard]] const std::vector<RequestTemplate>& templates() const { return templates_; }
  [[nodiscard]] std::size_t size() const { return templates_.size(); }

 private:
  std::vector<RequestTemplate> templates_;
  std::vector<double> cumulative_;  // running sum of the weights
  std::uint64_t seed_;
  bool weighted_;
};

}  // namespace lbchaos::traffic
