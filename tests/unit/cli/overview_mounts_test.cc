// drbd-overview's mount columns: the volume's FUSE file -> the loop device
// backed by it -> its mount -> statvfs. The sysfs and mountinfo here are
// files in a scratch tree (the format of the kernel's); the mount point is
// a real directory, so statvfs reads a real file system.
#include <gtest/gtest.h>

#include <sys/statvfs.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/overview_mounts.h"
#include "test_support.h"

namespace quorate::cli {
namespace {

namespace fs = std::filesystem;

TEST(OverviewMounts, DfHumanSizes) {
  EXPECT_EQ(df_human(0), "0");
  EXPECT_EQ(df_human(1000), "1000");
  EXPECT_EQ(df_human(1024), "1.0K");
  EXPECT_EQ(df_human(33ULL << 20), "33M");
  EXPECT_EQ(df_human((33ULL << 20) + 1), "34M") << "rounded up, as df does";
  EXPECT_EQ(df_human(static_cast<uint64_t>(6.55 * (1ULL << 30))), "6.6G");
  EXPECT_EQ(df_human((10ULL << 30) - 1), "10G");
  EXPECT_EQ(df_human((1024ULL << 20) - 1), "1.0G");
}

// Writes `text` at `rel` under `root`, with the directories on the way.
void write_under(const std::string& root, const std::string& rel, const std::string& text) {
  fs::create_directories(fs::path(root + "/" + rel).parent_path());
  std::ofstream(root + "/" + rel) << text;
}

TEST(OverviewMounts, FollowsFuseFileToLoopToMount) {
  testing::TempDir dir;
  const std::string& root = dir.path();
  ASSERT_FALSE(root.empty());
  const std::string mnt = root + "/my data";  // a space: mountinfo writes it as \040
  fs::create_directories(mnt);
  write_under(root, "sys/block/loop3/loop/backing_file", "/run/quorate/fuse/mysql/mysql\n");
  write_under(root, "sys/block/loop4/loop/backing_file", "/srv/other.img\n");
  write_under(root, "sys/block/sda/size", "0\n");
  write_under(root, "mountinfo",
          "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
          "97 22 7:3 / " + root + "/my\\040data rw,relatime shared:50 - xfs /dev/loop3 rw,attr2\n"
          "98 22 7:4 / /srv/other rw - ext4 /dev/loop4 rw\n");
  ReplicaList vols(3);
  vols[0].minor = 0;
  vols[0].fuse_file = "/run/quorate/fuse/mysql/mysql";
  vols[1].minor = 1;
  vols[1].fuse_file = "/run/quorate/fuse/r1/r1";  // not on a loop device
  vols[2].minor = 2;                             // no FUSE export
  const auto m = find_overview_mounts(vols, MountSources{root + "/sys", root + "/mountinfo"});
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m.count(0), 1u);
  const OverviewMount& got = m.at(0);
  EXPECT_EQ(got.mountpoint, mnt);
  EXPECT_EQ(got.fstype, "xfs");
  struct statvfs st {};
  ASSERT_EQ(::statvfs(mnt.c_str(), &st), 0);
  EXPECT_EQ(got.size, df_human(uint64_t{st.f_blocks} * st.f_frsize));
  EXPECT_EQ(got.use_percent.back(), '%');
  // Rendered as drbd-overview does.
  vols.resize(1);
  vols[0].resource = "mysql";
  const std::string line = render_drbd_overview(vols, m);
  EXPECT_NE(line.find(" " + mnt + " xfs " + got.size + " "), std::string::npos) << line;
}

TEST(OverviewMounts, NothingReadableMeansNoColumns) {
  ReplicaList vols(1);
  vols[0].fuse_file = "/run/quorate/fuse/r0/r0";
  EXPECT_TRUE(find_overview_mounts(vols, MountSources{"/nonexistent/sys", "/nonexistent/mountinfo"}).empty());
}

}  // namespace
}  // namespace quorate::cli
