#pragma once

// The validate corpus (tests/data/validate) and what each config must show: the unit tests
// judge its static analysis, the integration tests run `lbchaos validate` on it. One list, so
// a config added to the corpus is judged by both.

#include <string>
#include <utility>
#include <vector>

namespace lbchaos::test_support {

// A corpus config (its file name without .cfg) and a check: the finding a reviewer would name
// (bad configs) or the probe that catches it by measurement; "" for a good config.
using CorpusConfig = std::pair<std::string, std::string>;

inline const std::vector<CorpusConfig> kGoodCorpusConfigs{
    {"good-roundrobin", ""},          {"good-leastconn", ""},
    {"good-static-rr", ""},           {"good-source-many-clients", ""},
    {"good-first-sized-maxconn", ""}, {"good-observe-layer4", ""},
    {"good-weighted-capacity", ""},
};

// Each bad config and the finding a reviewer would name.
inline const std::vector<CorpusConfig> kBadCorpusConfigs{
    {"bad-slow-detection", "detection_time"},
    {"bad-slow-recovery", "recovery_time"},
    {"bad-missing-check", "no_health_check"},
    {"bad-no-redispatch", "no_redispatch"},
    {"bad-retries-zero", "no_retries"},
    {"bad-weight-zero", "weight_zero"},
    {"bad-weights-skewed", "distribution"},
    {"bad-small-server-equal-weight", "distribution"},
    {"bad-balance-first-no-maxconn", "balance_first_maxconn"},
    {"bad-source-behind-nat", "hash_few_clients"},
    {"bad-maxconn-queue", "maxconn"},
    {"bad-timeout-server", "timeout_server"},
    {"bad-http-check-status", "health_check_expect"},
    {"bad-http-check-string", "health_check_expect"},
    {"bad-all-weights-zero", "weights_all_zero"},
    {"bad-timeout-check", "timeout_check"},
    {"bad-timeout-connect", "timeout_connect"},
};

// Bad configs the generated suite catches without static analysis, and the probe that does.
inline const std::vector<CorpusConfig> kCaughtByMeasurement{
    {"bad-slow-detection", "detection_time"},     {"bad-slow-recovery", "recovery_time"},
    {"bad-missing-check", "detection_time"},      {"bad-no-redispatch", "availability"},
    {"bad-retries-zero", "availability"},         {"bad-weight-zero", "distribution"},
    {"bad-weights-skewed", "distribution"},       {"bad-small-server-equal-weight", "distribution"},
    {"bad-balance-first-no-maxconn", "latency"},  {"bad-source-behind-nat", "distribution"},
    {"bad-maxconn-queue", "availability"},        {"bad-timeout-server", "availability"},
    {"bad-http-check-status", "readiness"},       {"bad-http-check-string", "readiness"},
    {"bad-all-weights-zero", "availability"},
};

// Every config: the good ones, then the bad ones.
inline std::vector<CorpusConfig> every_corpus_config() {
  std::vector<CorpusConfig> all = kGoodCorpusConfigs;
  all.insert(all.end(), kBadCorpusConfigs.begin(), kBadCorpusConfigs.end());
  return all;
}

}  // namespace lbchaos::test_support
