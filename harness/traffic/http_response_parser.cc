#include "harness/traffic/http_response_parser.h"

#include <algorithm>
#include <limits>

namespace lbchaos::traffic {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view lowercase) {
  return a.size() == lowercase.size() && std::equal(a.begin(), a.end(), lowercase.begin(),
                                                    [](char x, char y) { return lower(x) == y; });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  const char l = lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

// Calls `on_token` with each trimmed, non-empty element of a comma-separated list.
template <class OnToken>
void for_each_token(std::string_view list, OnToken on_token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto token = trim(list.substr(0, comma));
    if (!token.empty()) on_token(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

constexpr std::uint64_t kMaxLength = std::numeric_limits<std::uint64_t>::max() / 16;

}  // namespace

void HttpResponseParser::reset() {
  phase_ = Phase::kStatusLine;
  started_ = false;
  status_ = 0;
  minor_version_ = 1;
  close_ = false;
  keep_alive_token_ = false;
  chunked_ = false;
  other_transfer_coding_ = false;
  has_length_ = false;
  chunk_size_digits_ = false;
  chunk_cr_ = false;
  until_close_ = false;
  length_ = 0;
  remaining_ = 0;
  header_bytes_ = 0;
  line_.clear();
  server_.clear();
  error_ = {};
}

HttpResponseParser::Result HttpResponseParser::result() const {
  switch (phase_) {
    case Phase::kDone:
      return Result::kComplete;
    case Phase::kError:
      return Result::kError;
    default:
      return Result::kIncomplete;
  }
}

bool HttpResponseParser::keep_alive() const {
  return !until_close_ && !close_ && (minor_version_ >= 1 || keep_alive_token_);
}

void HttpResponseParser::fail(std::string_view why) {
  phase_ = Phase::kError;
  error_ = why;
}

HttpResponseParser::Result HttpResponseParser::feed(std::string_view data, std::size_t* consumed) {
  std::size_t pos = 0;
  if (!data.empty() && phase_ != Phase::kDone && phase_ != Phase::kError) started_ = true;
  while (pos < data.size() && phase_ != Phase::kDone && phase_ != Phase::kError) {
    const std::string_view rest = data.substr(pos);
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaders:
      case Phase::kTrailers:
        pos += feed_lines(rest);
        break;
      case Phase::kBodyLength:
      case Phase::kChunkData: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0)
          phase_ = phase_ == Phase::kBodyLength ? Phase::kDone : Phase::kChunkDataEnd;
        break;
      }
      case Phase::kBodyUntilClose:
        pos = data.size();
        break;
      case Phase::kChunkSize:
      case Phase::kChunkExtension:
      case Phase::kChunkDataEnd:
        pos += feed_chunk_framing(rest);
        break;
      case Phase::kDone:
      case Phase::kError:
        break;
    }
  }
  if (consumed != nullptr) *consumed = pos;
  return result();
}

HttpResponseParser::Result HttpResponseParser::finish() {
  if (phase_ == Phase::kBodyUntilClose) phase_ = Phase::kDone;
  return result();
}

std::size_t HttpResponseParser::feed_lines(std::string_view data) {
  std::size_t pos = 0;
  while (pos < data.size() && (phase_ == Phase::kStatusLine || phase_ == Phase::kHeaders ||
                               phase_ == Phase::kTrailers)) {
    const auto newline = data.find('\n', pos);
    const auto end = newline == std::string_view::npos ? data.size() : newline + 1;
    header_bytes_ += end - pos;
    if (header_bytes_ > kMaxHeaderBytes) {
      fail("response header too large");
      return end;
    }
    if (newline == std::string_view::npos) {
      line_.append(data.substr(pos));
      return data.size();
    }
    std::string_view line = data.substr(pos, newline - pos);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
    line_.clear();
    pos = end;
  }
  return pos;
}

void HttpResponseParser::on_line(std::string_view line) {
  switch (phase_) {
    case Phase::kStatusLine:
      if (!line.empty()) on_status_line(line);  // tolerate stray empty lines before a response
      break;
    case Phase::kHeaders:
      if (line.empty()) {
        on_header_end();
      } else {
        on_header(line);
      }
      break;
    case Phase::kTrailers:
      if (line.empty()) phase_ = Phase::kDone;
      break;
    default:
      break;
  }
}

// "HTTP/1.1 200 OK"; the reason phrase may be empty or missing.
void HttpResponseParser::on_status_line(std::string_view line) {
  constexpr std::string_view kPrefix = "HTTP/1.";
  if (line.size() < kPrefix.size() + 5 || !line.starts_with(kPrefix) ||
      !is_digit(line[kPrefix.size()]) || line[kPrefix.size() + 1] != ' ') {
    fail("malformed status line");
    return;
  }
  const auto code = line.substr(kPrefix.size() + 2);
  if (code.size() < 3 || !is_digit(code[0]) || !is_digit(code[1]) || !is_digit(code[2]) ||
      (code.size() > 3 && code[3] != ' ') || code[0] == '0' || code[0] > '5') {
    fail("malformed status code");
    return;
  }
  minor_version_ = line[kPrefix.size()] - '0';
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  phase_ = Phase::kHeaders;
}

void HttpResponseParser::on_header(std::string_view line) {
  if (is_space(line.front())) {
    fail("obsolete header line folding");
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    fail("malformed header line");
    return;
  }
  const auto name = line.substr(0, colon);
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return is_space(c) || c < 0x21 || c == 0x7f; })) {
    fail("malformed header name");
    return;
  }
  const auto value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    bool valid = true;
    for_each_token(value, [&](std::string_view token) {
      std::uint64_t length = 0;
      for (const char c : token) {
        if (!is_digit(c) || length > kMaxLength) {
          valid = false;
          return;
        }
        length = length * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (has_length_ && length != length_) valid = false;
      has_length_ = true;
      length_ = length;
    });
    if (!valid || !has_length_) fail("invalid Content-Length");
  } else if (iequals(name, "transfer-encoding")) {
    for_each_token(value, [&](std::string_view coding) {
      chunked_ = iequals(coding, "chunked");
      other_transfer_coding_ = !chunked_;
    });
  } else if (iequals(name, "connection")) {
    for_each_token(value, [&](std::string_view option) {
      if (iequals(option, "close")) close_ = true;
      if (iequals(option, "keep-alive")) keep_alive_token_ = true;
    });
  } else if (iequals(name, "x-lbchaos-server")) {
    server_.assign(value);
  }
}

void HttpResponseParser::on_header_end() {
  if (status_ < 200) {
    if (status_ == 101) {
      fail("unexpected protocol upgrade");
      return;
    }
    // An interim response (100 Continue, 103 Early Hints): the real one follows.
    const bool started = started_;
    const std::size_t header_bytes = header_bytes_;
    reset();
    started_ = started;
    header_bytes_ = header_bytes;
    return;
  }
  if (status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
  } else if (chunked_) {
    remaining_ = 0;
    chunk_size_digits_ = false;
    phase_ = Phase::kChunkSize;
  } else if (other_transfer_coding_ || !has_length_) {
    until_close_ = true;
    phase_ = Phase::kBodyUntilClose;
  } else {
    remaining_ = length_;
    phase_ = remaining_ == 0 ? Phase::kDone : Phase::kBodyLength;
  }
}

std::size_t HttpResponseParser::feed_chunk_framing(std::string_view data) {
  std::size_t pos = 0;
  const auto end_of_size_line = [this] {
    if (!chunk_size_digits_) {
      fail("missing chunk size");
      return;
    }
    chunk_size_digits_ = false;
    phase_ = remaining_ == 0 ? Phase::kTrailers : Phase::kChunkData;
  };
  while (pos < data.size() && (phase_ == Phase::kChunkSize || phase_ == Phase::kChunkExtension ||
                               phase_ == Phase::kChunkDataEnd)) {
    const char c = data[pos++];
    switch (phase_) {
      case Phase::kChunkSize:
        if (const int digit = hex_value(c); digit >= 0) {
          if (remaining_ > kMaxLength) {
            fail("chunk size too large");
            return pos;
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
          chunk_size_digits_ = true;
        } else if (c == ';' || c == '\r' || is_space(c)) {
          if (!chunk_size_digits_)
            fail("missing chunk size");
          else
            phase_ = Phase::kChunkExtension;
        } else if (c == '\n') {
          end_of_size_line();
        } else {
          fail("invalid chunk size");
        }
        break;
      case Phase::kChunkExtension:
        if (c == '\n') end_of_size_line();
        break;
      case Phase::kChunkDataEnd:
        if (c == '\r' && !chunk_cr_) {
          chunk_cr_ = true;
        } else if (c == '\n') {
          chunk_cr_ = false;
          remaining_ = 0;
          phase_ = Phase::kChunkSize;
        } else {
          fail("missing CRLF after chunk data");
        }
        break;
      default:
        break;
    }
  }
  return pos;
}

}  // namespace lbchaos::traffic
