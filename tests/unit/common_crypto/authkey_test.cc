// Tests of load_authkey / write_authkey: sizes accepted like corosync-keygen
// (128..4096 bytes), exact error messages, the mode warning, and that a
// generated key is random, 0400 and loadable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/crypto.h"

namespace quorate::crypto {
namespace {

class Authkey : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "quorate-authkey-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    // Only files this test created; the directory is removed when empty.
    for (const auto& f : created_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string path(const std::string& name) {
    created_.push_back(dir_ + "/" + name);
    return created_.back();
  }
  std::string file(const std::string& name, size_t bytes, mode_t mode) {
    const std::string p = path(name);
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << std::string(bytes, 'k');
    }
    EXPECT_EQ(::chmod(p.c_str(), mode), 0);
    return p;
  }
  static unsigned mode_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return static_cast<unsigned>(st.st_mode) & 07777u;
  }

  std::string dir_;
  std::vector<std::string> created_;
};

TEST_F(Authkey, LoadsCorosyncSizedKeysWithoutWarnings) {
  for (size_t n : {kAuthkeyMinBytes, kAuthkeyDefaultBytes, kAuthkeyMaxBytes}) {
    const std::string p = file("key" + std::to_string(n), n, 0400);
    std::vector<std::string> warnings;
    auto k = load_authkey(p, &warnings);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(*k, std::string(n, 'k'));
    EXPECT_TRUE(warnings.empty());
  }
}

TEST_F(Authkey, MissingFile) {
  const std::string p = dir_ + "/nope";
  auto k = load_authkey(p, nullptr);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "cannot open authkey " + p + ": No such file or directory");
}

TEST_F(Authkey, NotARegularFile) {
  auto k = load_authkey(dir_, nullptr);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "authkey " + dir_ + " is not a regular file");
}

TEST_F(Authkey, TooShort) {
  const std::string p = file("short", 127, 0400);
  auto k = load_authkey(p, nullptr);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "authkey " + p +
                                   " is too short: 127 bytes, at least 128 are needed"
                                   " (create one with 'quorate keygen')");
  const std::string e = file("empty", 0, 0400);
  auto k0 = load_authkey(e, nullptr);
  ASSERT_FALSE(k0.ok());
  EXPECT_EQ(k0.error().message, "authkey " + e +
                                    " is too short: 0 bytes, at least 128 are needed"
                                    " (create one with 'quorate keygen')");
}

TEST_F(Authkey, TooLong) {
  const std::string p = file("long", 10000, 0400);
  auto k = load_authkey(p, nullptr);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message,
            "authkey " + p + " is too long: 10000 bytes, at most 4096 are allowed");
  const std::string p1 = file("long1", 4097, 0400);
  auto k1 = load_authkey(p1, nullptr);
  ASSERT_FALSE(k1.ok());
  EXPECT_EQ(k1.error().message,
            "authkey " + p1 + " is too long: 4097 bytes, at most 4096 are allowed");
}

TEST_F(Authkey, WorldReadableLoadsWithWarning) {
  const std::string p = file("open", 256, 0644);
  std::vector<std::string> warnings;
  auto k = load_authkey(p, &warnings);
  ASSERT_TRUE(k.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "authkey " + p + " has mode 0644, so group or others can access it; it should be 0400");
  // 0600 (what some tools write) is fine; no warnings vector is fine too.
  const std::string q = file("owner-rw", 256, 0600);
  warnings.clear();
  EXPECT_TRUE(load_authkey(q, &warnings).ok());
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(load_authkey(p, nullptr).ok());
}

TEST_F(Authkey, WriteCreatesRandomKeyWithMode0400) {
  const std::string p = path("authkey");
  ASSERT_TRUE(write_authkey(p, kAuthkeyDefaultBytes).ok());
  EXPECT_EQ(mode_of(p), 0400u);
  std::vector<std::string> warnings;
  auto first = load_authkey(p, &warnings);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), kAuthkeyDefaultBytes);
  EXPECT_TRUE(warnings.empty());
  EXPECT_NE(*first, std::string(kAuthkeyDefaultBytes, '\0'));

  // Overwrites (atomically) an existing read-only key with new random bytes.
  ASSERT_TRUE(write_authkey(p, kAuthkeyMaxBytes).ok());
  auto second = load_authkey(p, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->size(), kAuthkeyMaxBytes);
  EXPECT_NE(second->substr(0, kAuthkeyDefaultBytes), *first);
  EXPECT_EQ(mode_of(p), 0400u);

  // The key works for framing.
  auto s = FrameSealer::create(*second, Hash::kSha256, Cipher::kAes256, 1, 1);
  auto o = FrameOpener::create(*second, Hash::kSha256, Cipher::kAes256);
  ASSERT_TRUE(s.ok() && o.ok());
  EXPECT_TRUE(std::holds_alternative<OpenedFrame>(o->open(s->seal("hi"))));
}

TEST_F(Authkey, WriteRejectsUnsupportedSizes) {
  const std::string p = dir_ + "/never";
  auto small = write_authkey(p, 127);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().message, "unsupported authkey size 127 bytes (supported: 128..4096)");
  auto big = write_authkey(p, 4097);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message, "unsupported authkey size 4097 bytes (supported: 128..4096)");
  EXPECT_NE(::access(p.c_str(), F_OK), 0);
}

TEST_F(Authkey, WriteIntoMissingDirectory) {
  const std::string p = dir_ + "/no-such-dir/authkey";
  auto st = write_authkey(p, 256);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "cannot create authkey " + p + ": No such file or directory");
}

}  // namespace
}  // namespace quorate::crypto
