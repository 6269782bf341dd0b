#include "harness/validate/static_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "harness/probes/detection_prediction.h"

namespace lbchaos::validate {

std::string_view to_string(Finding::Severity severity) {
  return severity == Finding::Severity::kError ? "error" : "warning";
}

namespace {

using namespace std::chrono_literals;
using Severity = Finding::Severity;

// What a health check of a built-in backend gets back: /health answers 200 "ok\n".
constexpr int kHealthStatus = 200;
constexpr std::string_view kHealthBody = "ok\n";
// Below this many client addresses per active server, hashing the source cannot spread load.
constexpr int kClientsPerServerForHashing = 4;
// A connect on a real network takes longer than this (and a lost SYN is retried after 1 s).
constexpr auto kMinConnectTimeout = 10ms;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string human(Duration d) { return human_duration(d); }

bool is_active(const ServerDecl& s) { return !s.backup && !s.disabled; }

bool hashes_source(const Proxy& p) {
  if (p.balance.value == "source") return true;
  if (p.balance.value == "hash" && !p.balance_args.empty()) {
    return p.balance_args.front().find("src") != std::string::npos;
  }
  return false;
}

bool hashes_request(const Proxy& p) {
  const auto& b = p.balance.value;
  return b == "uri" || b == "url_param" || b.rfind("hdr", 0) == 0 || b.rfind("rdp-cookie", 0) == 0 ||
         (b == "hash" && !hashes_source(p));
}

class Analyser {
 public:
  Analyser(const HaproxyConfig& config, const topology::Topology& topology,
           const topology::Slo& slo)
      : config_(config), topology_(topology), slo_(slo) {}

  std::vector<Finding> run() {
    for (const auto& proxy : config_.proxies) {
      if (proxy.has_servers_section() && !proxy.servers.empty()) backend(proxy);
      if (proxy.kind == ProxyKind::kFrontend) frontend(proxy);
    }
    if (topology_.haproxy.instances == 1) {
      const Proxy* entry = nullptr;
      for (const auto& p : config_.proxies) {
        if (p.takes_traffic()) {
          entry = &p;
          break;
        }
      }
      add("single_lb", Severity::kWarning, entry ? entry->line : 1,
          "one haproxy instance carries all traffic: when its host is lost, so is the service "
          "(seed 000); run two or more instances sharing the pool",
          1, "instances", "");
    }
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const Finding& a, const Finding& b) { return a.where.line < b.where.line; });
    return std::move(findings_);
  }

 private:
  void add(std::string check, Severity severity, int line, std::string message,
           std::optional<double> value, std::string unit, std::string slo) {
    Finding f;
    f.check = std::move(check);
    f.severity = severity;
    f.where = SourcePosition{config_.file.string(), line, 0};
    f.message = std::move(message);
    f.value = value;
    f.unit = std::move(unit);
    f.slo = std::move(slo);
    findings_.push_back(std::move(f));
  }

  const topology::Server* described(const Proxy& p, const ServerDecl& s) const {
    return topology_.find_server(p.name, s.name);
  }
  Duration service_time(const Proxy& p, const ServerDecl& s) const {
    const auto* d = described(p, s);
    return d != nullptr && d->is_builtin() ? d->latency : slo_.service_time;
  }
  int concurrency(const Proxy& p, const ServerDecl& s) const {
    const auto* d = described(p, s);
    return d != nullptr && d->is_builtin() ? d->max_inflight : slo_.server_concurrency;
  }
  double capacity(const Proxy& p, const ServerDecl& s) const {
    const auto* d = described(p, s);
    return d != nullptr ? d->capacity : 1.0;
  }

  void backend(const Proxy& p) {
    std::vector<const ServerDecl*> active;
    for (const auto& s : p.servers) {
      if (is_active(s)) active.push_back(&s);
    }
    if (p.servers.size() == 1) {
      add("single_server", Severity::kWarning, p.servers.front().line,
          fmt::format("backend {} has one server: when {} fails, every request to {} fails", p.name,
                      p.servers.front().name, p.name),
          1, "servers", "");
    }
    health_checks(p);
    shares(p, active);
    capacity_at_peak(p, active);
    timeouts(p);
    health_expectations(p);
  }

  void health_checks(const Proxy& p) {
    const bool several = p.servers.size() > 1;
    bool any_check = false;
    const ServerDecl* slowest = nullptr;
    Duration slowest_detection{};
    const ServerDecl* slowest_up = nullptr;
    Duration slowest_recovery{};
    for (const auto& s : p.servers) {
      if (!s.check) {
        if (several && !s.disabled) {
          add("no_health_check", Severity::kError, s.line,
              fmt::format("server {}/{} has no `check`: haproxy never marks it DOWN, so when it "
                          "dies its share of requests keeps going to it and fails",
                          p.name, s.name),
              std::nullopt, "", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
        }
        continue;
      }
      any_check = true;
      const auto check = health_check_of(p, s);
      const auto detection = probes::predict_detection(check, probes::CheckFailure::kFailsAtOnce);
      if (slowest == nullptr || detection.high > slowest_detection) {
        slowest = &s;
        slowest_detection = detection.high;
      }
      const auto recovery = probes::predict_recovery(check);
      if (slowest_up == nullptr || recovery.high > slowest_recovery) {
        slowest_up = &s;
        slowest_recovery = recovery.high;
      }
    }
    if (slowest != nullptr && slowest_detection > slo_.detection) {
      add("detection_time", Severity::kError, slowest->check_line,
          fmt::format("{}/{}: inter {} fastinter {} fall {} needs up to {} to mark a dead "
                      "server DOWN (inter + (fall-1) x fastinter)",
                      p.name, slowest->name, human(slowest->inter),
                      human(slowest->fastinter_or_inter()), slowest->fall,
                      human(slowest_detection)),
          seconds(slowest_detection), "s", fmt::format("detection <= {}", human(slo_.detection)));
    }
    if (slowest_up != nullptr && slowest_recovery > slo_.recovery) {
      add("recovery_time", Severity::kError, slowest_up->check_line,
          fmt::format("{}/{}: downinter {} fastinter {} rise {} needs up to {} to take a healed "
                      "server back (downinter + (rise-1) x fastinter)",
                      p.name, slowest_up->name, human(slowest_up->downinter_or_inter()),
                      human(slowest_up->fastinter_or_inter()), slowest_up->rise,
                      human(slowest_recovery)),
          seconds(slowest_recovery), "s", fmt::format("recovery <= {}", human(slo_.recovery)));
    }
    if (!any_check || !several) return;
    const double failing = slo_.rate / static_cast<double>(p.servers.size()) *
                           seconds(slowest_detection);
    if (!p.redispatch.value) {
      add("no_redispatch", Severity::kError, p.redispatch.line != 0 ? p.redispatch.line : p.line,
          fmt::format("backend {} has no `option redispatch`: requests already bound to a dead "
                      "server fail until it is marked DOWN (about {:.0f} requests at {:.0f}/s "
                      "over {})",
                      p.name, failing, slo_.rate, human(slowest_detection)),
          failing, "requests", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
    if (p.retries.value == 0) {
      add("no_retries", Severity::kError, p.retries.line != 0 ? p.retries.line : p.line,
          fmt::format("backend {} has `retries 0`: a request sent to a dead server is never "
                      "retried nor redispatched; about {:.0f} requests fail before it is DOWN",
                      p.name, failing),
          failing, "requests", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
    if (p.http && !p.httpchk.value && !p.tcp_check.value) {
      add("tcp_only_checks", Severity::kWarning, slowest->check_line,
          fmt::format("backend {} checks servers with a TCP connect only: a hung application, "
                      "or one whose health endpoint fails, stays UP (add `option httpchk`)",
                      p.name),
          std::nullopt, "", "");
    }
  }

  void shares(const Proxy& p, const std::vector<const ServerDecl*>& active) {
    if (active.empty()) return;
    int total_weight = 0;
    for (const auto* s : active) total_weight += s->weight;
    if (total_weight == 0) {
      add("weights_all_zero", Severity::kError, active.front()->line,
          fmt::format("every active server of {} has weight 0: haproxy answers 503 to every "
                      "request",
                      p.name),
          0, "weight", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
      return;
    }
    for (const auto* s : active) {
      if (s->weight == 0) {
        add("weight_zero", Severity::kError, s->line,
            fmt::format("{}/{} has weight 0: it gets no traffic, and the other {} carry its "
                        "capacity",
                        p.name, s->name, active.size() - 1),
            0, "weight", fmt::format("distribution deviation <= {:.0f} points",
                                     slo_.distribution * 100));
      }
    }
    if (p.balance.value == "first") {
      for (const auto* s : active) {
        if (!s->maxconn) {
          add("balance_first_maxconn", Severity::kError, s->line,
              fmt::format("balance first and {}/{} has no maxconn: it takes every connection "
                          "before the next server gets any",
                          p.name, s->name),
              std::nullopt, "", fmt::format("peak {:.0f} requests/s", slo_.peak_rate));
          return;
        }
      }
      return;  // `first` fills servers in order by design: capacity_at_peak judges it
    }
    if (hashes_source(p)) {
      const int needed = kClientsPerServerForHashing * static_cast<int>(active.size());
      if (slo_.clients < needed) {
        add("hash_few_clients", Severity::kError, p.balance.line != 0 ? p.balance.line : p.line,
            fmt::format("balance {} behind {} client address(es) over {} servers: each address "
                        "sticks to one server, so at most {} of them get traffic",
                        p.balance.value, slo_.clients, active.size(),
                        std::min<int>(slo_.clients, static_cast<int>(active.size()))),
            slo_.clients, "clients",
            fmt::format("distribution deviation <= {:.0f} points", slo_.distribution * 100));
        return;
      }
    } else if (hashes_request(p)) {
      add("hash_on_request", Severity::kWarning, p.balance.line,
          fmt::format("balance {} spreads by a request attribute: the shares depend on your "
                      "traffic's mix, not on the weights",
                      p.balance.value),
          std::nullopt, "", "");
    }
    const auto expected = expected_shares(p);
    double capacity_total = 0;
    for (const auto* s : active) capacity_total += capacity(p, *s);
    double worst = 0;
    std::size_t worst_index = 0;
    for (std::size_t i = 0; i < p.servers.size(); ++i) {
      const auto& s = p.servers[i];
      if (!is_active(s)) continue;
      const double capacity_share = capacity(p, s) / capacity_total;
      const double deviation = std::abs(expected[i] - capacity_share);
      if (deviation > worst) {
        worst = deviation;
        worst_index = i;
      }
    }
    if (worst > slo_.distribution + 1e-9) {
      const auto& s = p.servers[worst_index];
      add("distribution", Severity::kError, s.line,
          fmt::format("{}/{} gets {:.1f}% of the requests (weight {} of {}) but has {:.1f}% of "
                      "the capacity: {:.1f} points off",
                      p.name, s.name, expected[worst_index] * 100, s.weight, total_weight,
                      capacity(p, s) / capacity_total * 100, worst * 100),
          worst, "ratio",
          fmt::format("distribution deviation <= {:.0f} points", slo_.distribution * 100));
    }
  }

  void capacity_at_peak(const Proxy& p, const std::vector<const ServerDecl*>& active) {
    if (active.empty()) return;
    const auto expected = expected_shares(p);
    if (p.balance.value == "first") {
      double offered = 0;
      double room = 0;
      for (const auto* s : active) {
        offered = slo_.peak_rate * seconds(service_time(p, *s));
        room += std::min<double>(s->maxconn.value_or(concurrency(p, *s)), concurrency(p, *s));
      }
      if (offered >= room) {
        add("capacity", Severity::kError, p.line,
            fmt::format("at the peak rate {:.0f}/s, {} needs {:.1f} concurrent requests but its "
                        "servers admit {:.0f} (balance first, maxconn and concurrency limits)",
                        slo_.peak_rate, p.name, offered, room),
            offered, "connections", fmt::format("peak {:.0f} requests/s", slo_.peak_rate));
      }
      return;
    }
    for (std::size_t i = 0; i < p.servers.size(); ++i) {
      const auto& s = p.servers[i];
      if (!is_active(s) || expected[i] <= 0) continue;
      const double rate = slo_.peak_rate * expected[i];
      const double offered = rate * seconds(service_time(p, s));  // Little's law
      const int limit = concurrency(p, s);
      if (s.maxconn && *s.maxconn < limit && offered >= *s.maxconn) {
        const auto queue = p.timeout("queue").value_or(
            p.timeout("connect").value_or(Setting<Duration>{Duration::zero(), 0}));
        add("maxconn", Severity::kError, s.line,
            fmt::format("at the peak rate {}/{} gets {:.0f} requests/s x {} = {:.2f} concurrent "
                        "requests, but maxconn {} admits {}: the queue grows and requests get "
                        "503 after timeout queue ({})",
                        p.name, s.name, rate, human(service_time(p, s)), offered, *s.maxconn,
                        *s.maxconn, queue.value == Duration::zero() ? "unset" : human(queue.value)),
            offered, "connections", fmt::format("peak {:.0f} requests/s", slo_.peak_rate));
      } else if (offered >= limit) {
        add("capacity", Severity::kError, s.line,
            fmt::format("at the peak rate {}/{} gets {:.0f} requests/s x {} = {:.2f} concurrent "
                        "requests, over the {} it can serve at once: it falls behind",
                        p.name, s.name, rate, human(service_time(p, s)), offered, limit),
            offered, "connections", fmt::format("peak {:.0f} requests/s", slo_.peak_rate));
      }
    }
  }

  void timeouts(const Proxy& p) {
    Duration slowest{};
    for (const auto& s : p.servers) slowest = std::max(slowest, service_time(p, s));
    const auto server = p.timeout("server");
    if (!server) {
      add("missing_timeout", Severity::kWarning, p.line,
          fmt::format("{} has no `timeout server`: a hung server holds connections forever",
                      p.name),
          std::nullopt, "", "");
    } else if (server->value < 2 * slowest) {
      add("timeout_server", Severity::kError, server->line,
          fmt::format("timeout server {} is shorter than twice the servers' service time {}: "
                      "requests get 504",
                      human(server->value), human(slowest)),
          seconds(server->value), "s", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
    if (const auto connect = p.timeout("connect"); connect && connect->value < kMinConnectTimeout) {
      add("timeout_connect", Severity::kError, connect->line,
          fmt::format("timeout connect {} leaves no room for a connect on a real network "
                      "(at least {}; a lost SYN is resent after 1s)",
                      human(connect->value), human(kMinConnectTimeout)),
          seconds(connect->value), "s", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
    const bool queues = std::any_of(p.servers.begin(), p.servers.end(),
                                    [](const ServerDecl& s) { return s.maxconn.has_value(); });
    if (const auto queue = p.timeout("queue"); queues && queue && queue->value < slowest) {
      add("timeout_queue", Severity::kError, queue->line,
          fmt::format("timeout queue {} is shorter than one service time {}: a queued request "
                      "gets 503 before a slot can free up",
                      human(queue->value), human(slowest)),
          seconds(queue->value), "s", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
    if (const auto check = p.timeout("check"); check && check->value < slowest) {
      add("timeout_check", Severity::kError, check->line,
          fmt::format("timeout check {} is shorter than the servers' service time {}: a busy "
                      "server fails its checks",
                      human(check->value), human(slowest)),
          seconds(check->value), "s", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
    }
  }

  void health_expectations(const Proxy& p) {
    const bool checked = std::any_of(p.servers.begin(), p.servers.end(),
                                     [](const ServerDecl& s) { return s.check; });
    if (!checked) return;
    if (p.httpchk.value) {
      const HealthReply reply = health_reply(p);
      for (const auto& expect : p.http_expect) {
        if (auto why = http_expect_mismatch(expect.value, reply)) {
          add("health_check_expect", Severity::kError, expect.line,
              fmt::format("http-check expect {}, but the servers answer {} with {} \"{}\": every "
                          "server stays DOWN",
                          fmt::join(expect.value, " "), p.check_path, reply.status,
                          trimmed(reply.body)),
              reply.status, "status", fmt::format("availability >= {:.2f}%", slo_.availability * 100));
        }
      }
    } else if (p.tcp_check.value) {
      const bool sends_http = std::any_of(p.tcp_send.begin(), p.tcp_send.end(), [](const auto& s) {
        for (const auto& w : s.value) {
          if (w.rfind("GET", 0) == 0 || w.rfind("HEAD", 0) == 0) return true;
        }
        return false;
      });
      const std::string answer = sends_http ? "HTTP/1.1 200 OK\r\n\r\nok\n" : "";
      for (const auto& expect : p.tcp_expect) {
        const auto& w = expect.value;
        const std::size_t k = !w.empty() && w[0] == "!" ? 1 : 0;
        if (w.size() < k + 2) continue;
        bool match = false;
        if (w[k] == "string") match = answer.find(w[k + 1]) != std::string::npos;
        else if (w[k] == "rstring") match = std::regex_search(answer, std::regex(w[k + 1]));
        else continue;
        if (match == (k == 1)) {
          add("health_check_expect", Severity::kWarning, expect.line,
              fmt::format("tcp-check expect {}: a built-in server answers {}; describe what your "
                          "servers answer or they will stay DOWN",
                          fmt::join(w, " "), answer.empty() ? "nothing to this check" : "HTTP"),
              std::nullopt, "", "");
        }
      }
    }
  }

  struct HealthReply {
    int status = kHealthStatus;
    std::string body{kHealthBody};
  };

  // What the backend's servers answer their health check: the topology's description (the
  // backend's, else its first described server's), else a web tier's 200 "ok".
  [[nodiscard]] HealthReply health_reply(const Proxy& p) const {
    HealthReply reply;
    const auto* backend = topology_.find_backend(p.name);
    if (backend == nullptr) return reply;
    std::optional<topology::HealthAnswer> answer = backend->health;
    for (const auto& server : backend->servers) {
      if (!answer && server.health) answer = server.health;
    }
    if (!answer) return reply;
    reply.status = answer->status;
    if (answer->body) reply.body = *answer->body;
    return reply;
  }

  static std::string trimmed(const std::string& body) {
    std::string out = body;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  // Why `http-check expect <words>` fails against the servers' health answer, if it does.
  static std::optional<std::string> http_expect_mismatch(const std::vector<std::string>& w,
                                                         const HealthReply& reply) {
    std::size_t k = 0;
    bool negate = false;
    // Options before the matcher: min-recv, comment, ok-status... (each with an argument).
    while (k < w.size() && (w[k] == "min-recv" || w[k] == "comment" || w[k] == "ok-status" ||
                            w[k] == "error-status" || w[k] == "tout-status" ||
                            w[k] == "on-success" || w[k] == "on-error" || w[k] == "status-code")) {
      k += 2;
    }
    if (k < w.size() && w[k] == "!") {
      negate = true;
      ++k;
    }
    if (k + 1 >= w.size()) return std::nullopt;
    const std::string& matcher = w[k];
    const std::string& pattern = w[k + 1];
    bool match = true;
    if (matcher == "status") {
      match = false;
      std::size_t start = 0;
      while (start <= pattern.size()) {
        const auto comma = pattern.find(',', start);
        const std::string part = pattern.substr(start, comma - start);
        const auto dash = part.find('-');
        const int low = std::atoi(part.substr(0, dash).c_str());
        const int high = dash == std::string::npos ? low : std::atoi(part.substr(dash + 1).c_str());
        if (reply.status >= low && reply.status <= high) match = true;
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (matcher == "rstatus") {
      match = std::regex_search(std::to_string(reply.status), std::regex(pattern));
    } else if (matcher == "string") {
      match = reply.body.find(pattern) != std::string::npos;
    } else if (matcher == "rstring") {
      match = std::regex_search(reply.body, std::regex(pattern));
    } else {
      return std::nullopt;  // headers, custom matchers: not judged
    }
    if (match != negate) return std::nullopt;
    return matcher;
  }

  void frontend(const Proxy& p) {
    if (p.default_backend) return;
    if (p.use_backends.empty()) {
      add("unrouted_requests", Severity::kWarning, p.line,
          fmt::format("frontend {} has no default_backend and no use_backend: every request "
                      "gets 503",
                      p.name),
          std::nullopt, "", "");
      return;
    }
    add("unrouted_requests", Severity::kWarning, p.use_backends.back().line,
        fmt::format("frontend {} has use_backend rules but no default_backend: a request that "
                    "matches no rule gets 503",
                    p.name),
        std::nullopt, "", "");
  }

  const HaproxyConfig& config_;
  const topology::Topology& topology_;
  const topology::Slo& slo_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<double> expected_shares(const Proxy& backend) {
  std::vector<double> shares(backend.servers.size(), 0.0);
  double total = 0;
  for (const auto& s : backend.servers) {
    if (is_active(s)) total += s.weight;
  }
  if (total <= 0) return shares;
  for (std::size_t i = 0; i < backend.servers.size(); ++i) {
    const auto& s = backend.servers[i];
    if (is_active(s)) shares[i] = s.weight / total;
  }
  return shares;
}

topology::HealthCheck health_check_of(const Proxy& backend, const ServerDecl& server) {
  topology::HealthCheck check;
  check.enabled = server.check;
  check.kind = backend.httpchk.value ? topology::HealthCheck::Kind::kHttp
                                     : topology::HealthCheck::Kind::kTcp;
  check.inter = server.inter;
  check.fastinter = server.fastinter;
  check.downinter = server.downinter;
  if (const auto timeout = backend.timeout("check")) check.timeout = timeout->value;
  check.fall = server.fall;
  check.rise = server.rise;
  check.path = backend.check_path;
  return check;
}

std::vector<Finding> analyse(const HaproxyConfig& config, const topology::Topology& topology,
                             const topology::Slo& slo) {
  return Analyser(config, topology, slo).run();
}

}  // namespace lbchaos::validate
