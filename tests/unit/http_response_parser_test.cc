#include "harness/traffic/http_response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace lbchaos::traffic {
namespace {

using Result = HttpResponseParser::Result;

constexpr std::string_view kSimple =
    "HTTP/1.1 200 OK\r\n"
    "X-Lbchaos-Server: app/web1\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 9\r\n"
    "\r\n"
    "app/web1\n";

constexpr std::string_view kChunked =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "transfer-encoding: chunked\r\n"
    "x-lbchaos-server: app/web2\r\n"
    "\r\n"
    "4\r\nWiki\r\n"
    "6;name=value\r\npedia \r\n"
    "E\r\nin \r\n\r\nchunks.\r\n"
    "0\r\n"
    "Trailer: x\r\n"
    "\r\n";

// Feeds `text` in pieces of `step` bytes, as reads would deliver it.
Result feed_in_pieces(HttpResponseParser& parser, std::string_view text, std::size_t step) {
  Result result = Result::kIncomplete;
  for (std::size_t pos = 0; pos < text.size(); pos += step) {
    result = parser.feed(text.substr(pos, step));
    if (result != Result::kIncomplete) break;
  }
  return result;
}

TEST(HttpResponseParserTest, ContentLengthResponse) {
  HttpResponseParser parser;
  std::size_t consumed = 0;
  EXPECT_EQ(parser.feed(kSimple, &consumed), Result::kComplete);
  EXPECT_EQ(consumed, kSimple.size());
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.server(), "app/web1");
  EXPECT_TRUE(parser.keep_alive());
}

TEST(HttpResponseParserTest, StopsAtTheEndOfTheResponse) {
  HttpResponseParser parser;
  const std::string two = std::string(kSimple) + "HTTP/1.1 200 OK\r\n";
  std::size_t consumed = 0;
  EXPECT_EQ(parser.feed(two, &consumed), Result::kComplete);
  EXPECT_EQ(consumed, kSimple.size());
}

TEST(HttpResponseParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  HttpResponseParser parser;
  std::size_t consumed = 0;
  EXPECT_EQ(parser.feed(kChunked, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, kChunked.size());
  EXPECT_EQ(parser.status(), 503);
  EXPECT_EQ(parser.server(), "app/web2");
  EXPECT_TRUE(parser.keep_alive());
}

TEST(HttpResponseParserTest, SplitAcrossReadsAtEveryByte) {
  for (const auto text : {kSimple, kChunked}) {
    HttpResponseParser parser;
    EXPECT_EQ(feed_in_pieces(parser, text, 1), Result::kComplete) << text << parser.error();
    EXPECT_TRUE(parser.server().starts_with("app/web")) << text;
  }
}

TEST(HttpResponseParserTest, SplitAcrossReadsInEveryTwoPieces) {
  for (const auto text : {kSimple, kChunked}) {
    for (std::size_t cut = 1; cut < text.size(); ++cut) {
      HttpResponseParser parser;
      EXPECT_EQ(parser.feed(text.substr(0, cut)), Result::kIncomplete) << "cut " << cut;
      EXPECT_TRUE(parser.started());
      std::size_t consumed = 0;
      EXPECT_EQ(parser.feed(text.substr(cut), &consumed), Result::kComplete) << "cut " << cut;
      EXPECT_EQ(consumed, text.size() - cut);
      EXPECT_GT(parser.status(), 0);
    }
  }
}

TEST(HttpResponseParserTest, ResetReusesTheParser) {
  HttpResponseParser parser;
  ASSERT_EQ(parser.feed(kChunked), Result::kComplete);
  parser.reset();
  EXPECT_FALSE(parser.started());
  EXPECT_EQ(parser.feed(kSimple), Result::kComplete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.server(), "app/web1");
}

TEST(HttpResponseParserTest, HeaderNamesAndTokensAreCaseInsensitive) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 404 Not Found\r\n"
                        "CONTENT-LENGTH: 0\r\n"
                        "x-LBCHAOS-server:   app/web3  \r\n"
                        "CoNNection: Close\r\n"
                        "\r\n"),
            Result::kComplete);
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(parser.server(), "app/web3");
  EXPECT_FALSE(parser.keep_alive());
}

TEST(HttpResponseParserTest, ConnectionCloseAmongOtherTokens) {
  HttpResponseParser parser;
  ASSERT_EQ(
      parser.feed("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n"),
      Result::kComplete);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(HttpResponseParserTest, Http10KeepsAliveOnlyWhenAsked) {
  HttpResponseParser parser;
  ASSERT_EQ(parser.feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), Result::kComplete);
  EXPECT_FALSE(parser.keep_alive());
  parser.reset();
  ASSERT_EQ(parser.feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
            Result::kComplete);
  EXPECT_TRUE(parser.keep_alive());
}

TEST(HttpResponseParserTest, BodyDelimitedByTheClose) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nX-Lbchaos-Server: app/web1\r\n\r\nsome body"),
            Result::kIncomplete);
  EXPECT_EQ(parser.feed(" and more"), Result::kIncomplete);
  EXPECT_EQ(parser.finish(), Result::kComplete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(HttpResponseParserTest, CloseBeforeTheEndIsIncomplete) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.finish(), Result::kIncomplete);
  EXPECT_FALSE(parser.started());
  EXPECT_EQ(parser.feed(kSimple.substr(0, kSimple.size() - 3)), Result::kIncomplete);
  EXPECT_EQ(parser.finish(), Result::kIncomplete);
  parser.reset();
  EXPECT_EQ(parser.feed(kChunked.substr(0, 60)), Result::kIncomplete);
  EXPECT_EQ(parser.finish(), Result::kIncomplete);
}

TEST(HttpResponseParserTest, NoBodyFor204And304) {
  for (const auto status : {"204 No Content", "304 Not Modified"}) {
    HttpResponseParser parser;
    EXPECT_EQ(parser.feed(std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 10\r\n\r\n"),
              Result::kComplete)
        << status;
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(HttpResponseParserTest, SkipsInterimResponses) {
  HttpResponseParser parser;
  const std::string text = "HTTP/1.1 100 Continue\r\n\r\n" + std::string(kSimple);
  EXPECT_EQ(parser.feed(text), Result::kComplete);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.server(), "app/web1");
}

TEST(HttpResponseParserTest, AbsentServerHeaderIsEmpty) {
  HttpResponseParser parser;
  ASSERT_EQ(parser.feed("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"),
            Result::kComplete);
  EXPECT_EQ(parser.status(), 502);
  EXPECT_EQ(parser.server(), "");
}

TEST(HttpResponseParserTest, ToleratesBareLineFeeds) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), Result::kComplete);
  EXPECT_EQ(parser.status(), 200);
}

TEST(HttpResponseParserTest, GarbageIsAnError) {
  for (const std::string_view text : {
           std::string_view("garbage\r\n"),
           std::string_view("SSH-2.0-OpenSSH_9.2\r\n"),
           std::string_view("HTTP/2 200\r\n"),
           std::string_view("HTTP/1.1 2000 OK\r\n"),
           std::string_view("HTTP/1.1 abc OK\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nno colon here\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nbad name: x\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\n folded\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n"),
           std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"),
           std::string_view("HTTP/1.1 101 Switching Protocols\r\n\r\n"),
       }) {
    HttpResponseParser parser;
    EXPECT_EQ(parser.feed(text), Result::kError) << text;
    EXPECT_FALSE(parser.error().empty()) << text;
  }
}

TEST(HttpResponseParserTest, OversizedHeaderIsAnError) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nX-Big: "), Result::kIncomplete);
  const std::string chunk(4096, 'a');
  Result result = Result::kIncomplete;
  for (std::size_t sent = 0;
       sent <= HttpResponseParser::kMaxHeaderBytes && result == Result::kIncomplete;
       sent += chunk.size()) {
    result = parser.feed(chunk);
  }
  EXPECT_EQ(result, Result::kError);
}

TEST(HttpResponseParserTest, DuplicateEqualContentLengthsAreAccepted) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"), Result::kComplete);
}

TEST(HttpResponseParserTest, NonChunkedTransferCodingReadsUntilClose) {
  HttpResponseParser parser;
  EXPECT_EQ(
      parser.feed(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nxx"),
      Result::kIncomplete);
  EXPECT_EQ(parser.finish(), Result::kComplete);
  EXPECT_FALSE(parser.keep_alive());
}

}  // namespace
}  // namespace lbchaos::traffic
