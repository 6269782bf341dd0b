#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// An incremental HTTP/1.x response parser for the load generator: only what framing a response
// on a keep-alive connection needs (status line, Content-Length, chunked bodies, a body delimited
// by the close, Connection) plus the X-Lbchaos-Server header. Bodies are skipped, not kept.
// Reused for every response of a connection: reset() keeps its buffer, so steady state
// allocates nothing.
namespace lbchaos::traffic {

class HttpResponseParser {
 public:
  enum class Result : std::uint8_t { kIncomplete, kComplete, kError };

  // Ready for the next response.
  void reset();

  // Consumes bytes of the response; stops at its end. `consumed` (optional) receives how many
  // bytes of `data` belonged to it: bytes after a complete response are not consumed.
  Result feed(std::string_view data, std::size_t* consumed = nullptr);

  // The peer closed the connection: completes a body delimited by the close. A response cut
  // short stays kIncomplete.
  Result finish();

  [[nodiscard]] Result result() const;
  // Any byte of a response received since reset().
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] int status() const { return status_; }
  // The connection may carry another request after this response.
  [[nodiscard]] bool keep_alive() const;
  // The X-Lbchaos-Server value, "" when absent.
  [[nodiscard]] std::string_view server() const { return server_; }
  // Why parsing failed (for diagnostics), "" otherwise.
  [[nodiscard]] std::string_view error() const { return error_; }

  static constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

 private:
  enum class Phase : std::uint8_t {
    kStatusLine,
    kHeaders,
    kBodyLength,
    kBodyUntilClose,
    kChunkSize,
    kChunkExtension,  // skipping to the end of a chunk-size line
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
    kDone,
    kError,
  };

  // Feeds `data` to the line-oriented phases; returns bytes consumed.
  std::size_t feed_lines(std::string_view data);
  std::size_t feed_chunk_framing(std::string_view data);
  void on_line(std::string_view line);
  void on_status_line(std::string_view line);
  void on_header(std::string_view line);
  void on_header_end();
  void fail(std::string_view why);

  Phase phase_ = Phase::kStatusLine;
  bool started_ = false;
  int status_ = 0;
  int minor_version_ = 1;
  bool close_ = false;
  bool keep_alive_token_ = false;
  bool chunked_ = false;
  bool other_transfer_coding_ = false;
  bool has_length_ = false;
  bool chunk_size_digits_ = false;
  bool chunk_cr_ = false;
  bool until_close_ = false;
  std::uint64_t length_ = 0;     // Content-Length
  std::uint64_t remaining_ = 0;  // body or chunk bytes still expected
  std::size_t header_bytes_ = 0;
  std::string line_;  // a line split across reads
  std::string server_;
  std::string_view error_;
};

}  // namespace lbchaos::traffic
