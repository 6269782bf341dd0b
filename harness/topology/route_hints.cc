#include "harness/topology/route_hints.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

namespace lbchaos::topology {
namespace {

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string word; in >> word;) {
    if (word.starts_with('#')) break;
    words.push_back(word);
  }
  return words;
}

bool is_host_fetch(const std::string& fetch) {
  for (const std::string_view name : {"hdr", "hdr_beg", "hdr_dom", "hdr_end", "hdr_str",
                                      "req.hdr", "req.fhdr", "hdr_reg"}) {
    if (fetch == std::string(name) + "(host)" || fetch == std::string(name) + "(Host)") {
      return true;
    }
  }
  return fetch == "req.ssl_sni" || fetch == "ssl_fc_sni";
}

struct Condition {
  std::string host;
  std::string path;
  bool exact = true;
};

// The first value of a criterion: `hdr_beg(host) -i dev.local` -> dev.local.
void apply_criterion(const std::vector<std::string>& words, std::size_t from, Condition& out) {
  if (from >= words.size()) return;
  const std::string& fetch = words[from];
  std::size_t value = from + 1;
  while (value < words.size() && words[value].starts_with('-')) {
    value += words[value] == "-m" || words[value] == "-f" ? 2 : 1;  // -i, -m beg, ...
  }
  if (value >= words.size()) {
    out.exact = false;
    return;
  }
  std::string text = words[value];
  if (is_host_fetch(fetch) && !fetch.starts_with("hdr_reg")) {
    if (fetch.starts_with("hdr_end") || fetch.starts_with("hdr_dom")) {
      if (text.starts_with('.')) text = "www" + text;
    }
    out.host = text;
  } else if (fetch == "path" || fetch == "path_beg" || fetch == "url_beg" || fetch == "url") {
    out.path = text.starts_with('/') ? text : "/" + text;
  } else if (fetch == "path_dir" || fetch == "path_end" || fetch == "path_sub") {
    out.path = "/" + (text.starts_with('/') ? text.substr(1) : text);
    out.exact = fetch == "path_dir";
  } else {
    out.exact = false;
  }
}

}  // namespace

std::vector<RouteHint> read_route_hints(std::string_view config) {
  std::vector<RouteHint> routes;
  std::string section;  // current frontend/listen, empty elsewhere
  bool has_servers = false;
  std::map<std::string, Condition> acls;
  const auto close_section = [&] {
    if (!section.empty() && has_servers) {
      routes.push_back(RouteHint{section, section, "", "/", true, true});
    }
    section.clear();
    has_servers = false;
    acls.clear();
  };
  std::istringstream in{std::string(config)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto words = words_of(line);
    if (words.empty()) continue;
    const std::string& keyword = words[0];
    if (keyword == "frontend" || keyword == "listen" || keyword == "backend" ||
        keyword == "defaults" || keyword == "global" || keyword == "peers" ||
        keyword == "resolvers" || keyword == "userlist" || keyword == "mailers" ||
        keyword == "ring" || keyword == "program" || keyword == "cache" ||
        keyword == "http-errors" || keyword == "log-forward") {
      close_section();
      if ((keyword == "frontend" || keyword == "listen") && words.size() > 1) section = words[1];
      continue;
    }
    if (section.empty()) continue;
    if (keyword == "server" || keyword == "server-template") has_servers = true;
    if (keyword == "acl" && words.size() > 2) {
      Condition& acl = acls[words[1]];  // several lines of one ACL: the first value is enough
      if (acl.host.empty() && acl.path.empty()) apply_criterion(words, 2, acl);
      continue;
    }
    if (keyword == "default_backend" && words.size() > 1) {
      routes.push_back(RouteHint{section, words[1], "", "/", true, true});
      continue;
    }
    if (keyword != "use_backend" || words.size() < 2) continue;
    RouteHint route{section, words[1], "", "/", false, true};
    std::size_t i = 2;
    if (i < words.size() && (words[i] == "if" || words[i] == "unless")) {
      if (words[i] == "unless") route.exact = false;
      ++i;
    }
    for (; i < words.size(); ++i) {
      const std::string& word = words[i];
      if (word == "{") {
        std::size_t close = i + 1;
        while (close < words.size() && words[close] != "}") ++close;
        Condition inline_acl;
        apply_criterion(std::vector<std::string>(words.begin() + static_cast<long>(i) + 1,
                                                 words.begin() + static_cast<long>(close)),
                        0, inline_acl);
        if (!inline_acl.host.empty()) route.host = inline_acl.host;
        if (!inline_acl.path.empty()) route.path = inline_acl.path;
        route.exact = route.exact && inline_acl.exact;
        i = close;
      } else if (word == "||" || word == "or" || word.starts_with('!')) {
        route.exact = false;
      } else if (const auto acl = acls.find(word); acl != acls.end()) {
        if (!acl->second.host.empty()) route.host = acl->second.host;
        if (!acl->second.path.empty()) route.path = acl->second.path;
        route.exact = route.exact && acl->second.exact;
      } else if (word != "&&" && word != "and") {
        route.exact = false;  // a predefined ACL (METH_POST, ...) or one not read
      }
    }
    routes.push_back(std::move(route));
  }
  close_section();
  return routes;
}

std::string curl_command(const RouteHint& route, const std::string& base_url) {
  std::string command = "curl";
  if (!route.host.empty()) command += fmt::format(" -H 'Host: {}'", route.host);
  return command + " " + base_url + route.path;
}

}  // namespace lbchaos::topology
