#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/model/run_events.h"
#include "harness/traffic/request_record.h"

// The run cut into fixed buckets (100 ms) over the traffic period, by intended send time: what
// the journal's timeline and the HTML charts show.
namespace lbchaos::scenario {

// How requests ended, counted by the classes the journal reports. Every request is exactly one
// of ok, refused, reset, timeout, dropped, 5xx or other (protocol errors and responses without
// a status are "other"; 4xx counts as ok, as RequestRecord::ok() says).
struct OutcomeCounts {
  std::int64_t ok = 0;
  std::int64_t refused = 0;
  std::int64_t reset = 0;
  std::int64_t timeout = 0;
  std::int64_t dropped = 0;
  std::int64_t http_5xx = 0;
  std::int64_t other = 0;

  void add(const traffic::RequestRecord& record);
  [[nodiscard]] std::int64_t failed() const {
    return refused + reset + timeout + dropped + http_5xx + other;
  }
  [[nodiscard]] std::int64_t total() const { return ok + failed(); }
  // {"refused": n, "reset": n, "timeout": n, "dropped": n, "5xx": n, "other": n}
  [[nodiscard]] nlohmann::json errors_json() const;
  // For people: "10 refused, 2 reset" (non-zero classes only; "none" when nothing failed).
  [[nodiscard]] std::string describe_failures() const;
};

struct TimelineBucket {
  std::int64_t offset_ns = 0;  // bucket start, from traffic start
  OutcomeCounts outcomes;      // of every request due in the bucket, dropped included
  // Corrected latency (intended send -> done) of the bucket's successful requests, exact
  // nearest-rank percentiles; empty when none succeeded.
  std::optional<std::int64_t> p50_ns;
  std::optional<std::int64_t> p99_ns;
  std::vector<std::int64_t> per_server;  // responses (any status) per ServerTable id
  std::vector<std::int64_t> ok_per_instance;  // successful requests per haproxy instance (lbN)
  std::vector<std::string> alerts_firing; // alert instances firing at the bucket's end

  // Requests due in the bucket: ok + every error class.
  [[nodiscard]] std::int64_t sent() const { return outcomes.total(); }
};

class Timeline {
 public:
  static constexpr std::int64_t kBucketNs = 100'000'000;

  [[nodiscard]] static Timeline build(const RunRecording& run, std::int64_t bucket_ns = kBucketNs);

  [[nodiscard]] std::int64_t bucket_ns() const { return bucket_ns_; }
  [[nodiscard]] const std::vector<TimelineBucket>& buckets() const { return buckets_; }
  [[nodiscard]] const std::vector<std::string>& servers() const { return servers_; }
  // Records due outside [traffic_start, traffic_end): not in any bucket.
  [[nodiscard]] std::int64_t records_outside() const { return records_outside_; }

  // {"bucket_s": 0.1, "servers": [...], "records_outside": 0, "buckets": [{"t_s": 0.0,
  //  "sent": 40, "ok": 39, "errors": {...}, "p50_s": 0.0021, "p99_s": 0.0043,
  //  "servers": {"app/web1": 13, ...}, "instances": {"lb0": 39}, "alerts_firing": ["HaproxyServerDown{...}"]}, ...]}; t_s is from traffic start, p50_s/p99_s are null
  // when nothing succeeded in the bucket.
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  std::int64_t bucket_ns_ = kBucketNs;
  std::vector<std::string> servers_;
  std::size_t instances_ = 0;  // haproxy instances seen in the records
  std::vector<TimelineBucket> buckets_;
  std::int64_t records_outside_ = 0;
};

}  // namespace lbchaos::scenario
