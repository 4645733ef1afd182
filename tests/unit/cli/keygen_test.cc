// quorate keygen: writes a 0400 key of the requested size, refuses bad sizes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli/tools.h"
#include "test_support.h"

namespace quorate::cli {
namespace {

TEST(Keygen, WritesAReadOnlyKey) {
  char tmpl[] = "/tmp/quorate-keygen-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string key = dir + "/authkey";
  testing::FakeDaemon d;
  ToolEnv env = d.env();
  EXPECT_EQ(quorate_main({"quorate", "keygen", "-k", key}, env), 0);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_EQ(st.st_size, 256);
  EXPECT_NE(d.out.str().find("Writing quorate key to " + key + "."), std::string::npos);
  // Replacing an existing key works, with another size.
  EXPECT_EQ(quorate_main({"quorate", "keygen", "-k", key, "-s", "512"}, env), 0);
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 512);
  EXPECT_EQ(quorate_main({"quorate", "keygen", "-k", key, "-s", "16"}, env), 1);
  EXPECT_EQ(quorate_main({"quorate", "keygen", "-k", dir + "/missing/authkey"}, env), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quorate::cli
