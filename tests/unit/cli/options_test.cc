// The getopt-alike used by the compatibility tools.
#include "cli/options.h"

#include <gtest/gtest.h>

#include "cli/ipc_client.h"

namespace quorate::cli {
namespace {

std::vector<std::pair<int, std::string>> keys(const ParsedArgs& p) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& o : p.options) out.emplace_back(o.key, o.value);
  return out;
}

TEST(Options, ClusteredFlagsAndValues) {
  auto p = parse_options({"-sHe3", "-o", "n", "-v5", "pos", "--", "-s"}, "sHe:o:v:", {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(keys(*p), (std::vector<std::pair<int, std::string>>{
                          {'s', ""}, {'H', ""}, {'e', "3"}, {'o', "n"}, {'v', "5"}}));
  EXPECT_EQ(p->positional, (std::vector<std::string>{"pos", "-s"}));
}

TEST(Options, LongOptions) {
  const std::vector<LongOption> longs = {{"json", false, 1}, {"socket", true, 2}};
  auto p = parse_options({"--json", "--socket", "/a", "--socket=/b"}, "", longs);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(keys(*p), (std::vector<std::pair<int, std::string>>{{1, ""}, {2, "/a"}, {2, "/b"}}));
  EXPECT_EQ(parse_options({"--nope"}, "", longs).error().message, "unrecognized option '--nope'");
  EXPECT_EQ(parse_options({"--socket"}, "", longs).error().message,
            "option '--socket' requires an argument");
  EXPECT_EQ(parse_options({"--json=1"}, "", longs).error().message,
            "option '--json' doesn't allow an argument");
}

TEST(Options, Errors) {
  EXPECT_EQ(parse_options({"-x"}, "s", {}).error().message, "invalid option -- 'x'");
  EXPECT_EQ(parse_options({"-e"}, "e:", {}).error().message, "option requires an argument -- 'e'");
  EXPECT_EQ(parse_options({"-:"}, "e:", {}).error().message, "invalid option -- ':'");
}

TEST(Options, Numbers) {
  uint32_t v = 0;
  EXPECT_TRUE(parse_uint32("42", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(parse_uint32("0x10", &v));
  EXPECT_EQ(v, 16u);
  EXPECT_TRUE(parse_uint32("4294967295", &v));
  EXPECT_FALSE(parse_uint32("4294967296", &v));
  EXPECT_FALSE(parse_uint32("-1", &v));
  EXPECT_FALSE(parse_uint32("", &v));
  EXPECT_FALSE(parse_uint32("3x", &v));
}

TEST(SocketPath, FlagThenEnvThenDefault) {
  EXPECT_EQ(resolve_socket_path(std::string("/f"), "/e"), "/f");
  EXPECT_EQ(resolve_socket_path(std::nullopt, "/e"), "/e");
  EXPECT_EQ(resolve_socket_path(std::string(""), "/e"), "/e");
  EXPECT_EQ(resolve_socket_path(std::nullopt, ""), "/run/quorate/quorated.sock");
  EXPECT_EQ(resolve_socket_path(std::nullopt, nullptr), "/run/quorate/quorated.sock");
}

TEST(IpcClient, ConnectFailureSaysWhereAndWhy) {
  IpcFailure failure;
  ipc::Request req;
  req.mutable_ping();
  auto r = ipc_call("/nonexistent-dir-quorate/quorated.sock", req, std::chrono::milliseconds(500),
                    &failure);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(failure.connect_failed);
  EXPECT_EQ(r.error().message,
            "cannot connect to /nonexistent-dir-quorate/quorated.sock: No such file or directory");
}

}  // namespace
}  // namespace quorate::cli
