// `crm configure` offline on $CIB_file: the seed guide's commands, show,
// show xml, load update, verify, commit, and that an invalid change leaves the
// file byte for byte as it was.
#include "cli/crm.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/tools.h"
#include "tests/unit/cli/test_support.h"

namespace quorate::cli {
namespace {

namespace fs = std::filesystem;

// An empty CIB as `cibadmin --empty` writes it, with a status section.
constexpr const char* kEmptyCib =
    "<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
    "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\">\n"
    "  <configuration>\n"
    "    <crm_config/>\n"
    "    <nodes/>\n"
    "    <resources/>\n"
    "    <constraints/>\n"
    "  </configuration>\n"
    "  <status>\n"
    "    <node_state id=\"1\" uname=\"hadb01\" in_ccm=\"true\" crmd=\"online\"   join=\"member\""
    " expected=\"member\"/>\n"
    "  </status>\n"
    "</cib>\n";

// The resources from the seed guide (../shared/seeds/azure-mysql-ha-guide.txt),
// with the stray `\` after clone-node-max="1" taken out (crmsh rejects it too).
constexpr const char* kSeedConf =
    "primitive drbd_mysql ocf:linbit:drbd \\\n"
    "      params drbd_resource=\"r0\" \\\n"
    "      op monitor interval=\"29s\" role=\"Master\" \\\n"
    "      op monitor interval=\"31s\" role=\"Slave\"\n"
    "ms ms_drbd_mysql drbd_mysql \\\n"
    "      meta master-max=\"1\" master-node-max=\"1\" \\\n"
    "        clone-max=\"2\" clone-node-max=\"1\"\n"
    "primitive fs_mysql ocf:heartbeat:Filesystem \\\n"
    "      params device=\"/dev/drbd/by-res/r0\" \\\n"
    "      directory=\"/var/lib/mysql\" fstype=\"ext3\"\n"
    "primitive mysqld lsb:mysql\n"
    "group mysql fs_mysql mysqld\n"
    "colocation mysql_on_drbd \\\n"
    "       inf: mysql ms_drbd_mysql:Master\n"
    "order mysql_after_drbd \\\n"
    "       inf: ms_drbd_mysql:promote mysql:start\n"
    "property stonith-enabled=false\n"
    "property no-quorum-policy=ignore\n";

// What crmsh 4.4.1 shows for it (the oracle, shared/tools/crm_oracle.sh).
constexpr const char* kSeedShow =
    "node 1: hadb01\n"
    "node 2: hadb02\n"
    "primitive drbd_mysql ocf:linbit:drbd \\\n"
    "\tparams drbd_resource=r0 \\\n"
    "\top monitor interval=29s role=Master \\\n"
    "\top monitor interval=31s role=Slave\n"
    "primitive fs_mysql Filesystem \\\n"
    "\tparams device=\"/dev/drbd/by-res/r0\" directory=\"/var/lib/mysql\" fstype=ext3\n"
    "primitive mysqld lsb:mysql\n"
    "group mysql fs_mysql mysqld\n"
    "ms ms_drbd_mysql drbd_mysql \\\n"
    "\tmeta master-max=1 master-node-max=1 clone-max=2 clone-node-max=1\n"
    "order mysql_after_drbd Mandatory: ms_drbd_mysql:promote mysql:start\n"
    "colocation mysql_on_drbd inf: mysql ms_drbd_mysql:Master\n"
    "property cib-bootstrap-options: \\\n"
    "\tstonith-enabled=false \\\n"
    "\tno-quorum-policy=ignore\n";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

class CrmConfigure : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quorate-crm-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cib_ = dir_ / "cib.xml";
    spit(cib_, kEmptyCib);
    vars_["CIB_file"] = cib_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  struct Run {
    int rc;
    std::string out;
    std::string err;
  };

  // `crm ARGS...` with `input` on standard input.
  Run crm(std::vector<std::string> args, const std::string& input = "", bool terminal = false) {
    testing::FakeDaemon d;
    d.down();
    ToolEnv env = d.env();
    std::istringstream in(input);
    env.in = &in;
    env.in_is_terminal = terminal;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      return it == vars_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    args.insert(args.begin(), "crm");
    const int rc = quorate_main(args, env);
    return Run{rc, d.out.str(), d.err.str()};
  }

  Run seed() {
    spit(dir_ / "cluster.conf", kSeedConf);
    return crm({"configure"}, "node $id=\"1\" hadb01\nnode $id=\"2\" hadb02\nload update " +
                                  (dir_ / "cluster.conf").string() + "\n");
  }

  fs::path dir_;
  fs::path cib_;
  std::map<std::string, std::string> vars_;
};

TEST_F(CrmConfigure, SeedGuideCommandsThenShowAsCrmsh) {
  Run r = seed();
  ASSERT_EQ(r.rc, 0) << r.err;
  Run s = crm({"configure", "show"});
  EXPECT_EQ(s.rc, 0) << s.err;
  EXPECT_EQ(s.out, kSeedShow);
  const std::string text = slurp(cib_);
  EXPECT_NE(text.find("epoch=\"2\""), std::string::npos) << text;
  // The status section is kept byte for byte (even its odd spacing).
  const std::string status_text =
      std::string(kEmptyCib).substr(std::string(kEmptyCib).find("  <status>"));
  EXPECT_EQ(text.substr(text.find("  <status>")), status_text);
}

TEST_F(CrmConfigure, OneShotCommandsAndQuotedArguments) {
  ASSERT_EQ(seed().rc, 0);
  Run r = crm({"configure", "property", "stonith-enabled=true"});
  EXPECT_EQ(r.rc, 0) << r.err;
  r = crm({"configure", "primitive", "vip", "IPaddr2", "params", "ip=10.0.0.5", "meta",
           "description=a b"});
  EXPECT_EQ(r.rc, 0) << r.err;
  Run s = crm({"configure", "show", "cib-bootstrap-options", "vip"});
  EXPECT_EQ(s.out,
            "primitive vip IPaddr2 \\\n\tparams ip=10.0.0.5 \\\n\tmeta description=\"a b\"\n"
            "property cib-bootstrap-options: \\\n\tstonith-enabled=true \\\n"
            "\tno-quorum-policy=ignore\n");
}

TEST_F(CrmConfigure, InvalidChangeLeavesFileByteIdentical) {
  ASSERT_EQ(seed().rc, 0);
  const std::string before = slurp(cib_);
  Run r = crm({"configure"},
              "primitive ok Dummy\n"
              "primitive p1 Dummy meta target-role=foo clone-max=-1\n"
              "location l1 nothere 100: hadb01\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("<stdin>:2:1: p1: target-role 'foo' is not a role"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("p1: clone-max '-1' must be a non-negative integer"), std::string::npos);
  EXPECT_NE(r.err.find("<stdin>:3:1: l1: rsc 'nothere' names no resource"), std::string::npos);
  EXPECT_EQ(slurp(cib_), before);

  // A syntax error: line and column, nothing written.
  r = crm({"configure"}, "primitive ok2 Dummy\norder o1 Sometimes: ok2 mysql\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("<stdin>:2:"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(cib_), before);

  // Duplicate id, group with a missing member, an unknown command.
  for (const char* bad : {"primitive mysqld lsb:other\n", "group g1 nothere\n", "frobnicate x\n",
                          "primitive d Dummy op monitor interval=10s op monitor interval=10s\n"}) {
    r = crm({"configure"}, bad);
    EXPECT_EQ(r.rc, 1) << bad;
    EXPECT_EQ(slurp(cib_), before) << bad;
  }
}

TEST_F(CrmConfigure, LoadUpdateReplacesObjectsAndMergesProperties) {
  ASSERT_EQ(seed().rc, 0);
  spit(dir_ / "up.crm", "primitive mysqld lsb:mariadb\nproperty maintenance-mode=true\n");
  Run r = crm({"configure", "load", "update", (dir_ / "up.crm").string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  Run s = crm({"configure", "show", "mysqld", "mysql", "cib-bootstrap-options"});
  EXPECT_EQ(s.out,
            "primitive mysqld lsb:mariadb\n"
            "group mysql fs_mysql mysqld\n"
            "property cib-bootstrap-options: \\\n\tstonith-enabled=false \\\n"
            "\tno-quorum-policy=ignore \\\n\tmaintenance-mode=true\n");
  // XML works as well: what `show xml` prints loads back unchanged.
  Run x = crm({"configure", "show", "xml"});
  ASSERT_EQ(x.rc, 0);
  spit(dir_ / "all.xml", x.out);
  const std::string before = slurp(cib_);
  r = crm({"configure", "load", "replace", (dir_ / "all.xml").string()});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(slurp(cib_), before);
  // A load with an error changes nothing.
  spit(dir_ / "bad.crm", "primitive zz Dummy\ncolocation c inf: zz missing\n");
  r = crm({"configure", "load", "update", (dir_ / "bad.crm").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(slurp(cib_), before);
}

TEST_F(CrmConfigure, UnchangedObjectsKeepTheirElements) {
  // A CIB not written by crm: odd ids and an attribute the language cannot say.
  std::string cib = kEmptyCib;
  cib.replace(cib.find("<resources/>"), 12,
              "<resources>\n      <primitive id=\"web\" class=\"ocf\" provider=\"heartbeat\" "
              "type=\"apache\" x-note=\"kept\">\n        <operations>\n          <op "
              "id=\"web-mon\" name=\"monitor\" interval=\"20s\"/>\n        </operations>\n      "
              "</primitive>\n    </resources>");
  spit(cib_, cib);
  Run r = crm({"configure", "primitive", "db", "Dummy"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string text = slurp(cib_);
  EXPECT_NE(text.find("x-note=\"kept\""), std::string::npos) << text;
  EXPECT_NE(text.find("id=\"web-mon\""), std::string::npos);
  EXPECT_NE(text.find("<primitive id=\"db\""), std::string::npos);
}

TEST_F(CrmConfigure, VerifyPrintsFindings) {
  ASSERT_EQ(seed().rc, 0);
  Run r = crm({"configure"}, "primitive p1 Dummy op monitor interval=often\nverify\nquit\n");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("ERROR: <stdin>:1:1: p1: op monitor interval 'often' is not a duration"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("config not valid"), std::string::npos);
  Run ok = crm({"configure", "verify"});
  EXPECT_EQ(ok.rc, 0) << ok.err;
}

TEST_F(CrmConfigure, InteractivePromptAndCommit) {
  Run r =
      crm({"configure"}, "primitive d1 Dummy \\\n  op monitor interval=10s\ncommit\nquit\n", true);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("crm(live)configure# "), std::string::npos);
  EXPECT_NE(slurp(cib_).find("d1-monitor-10s"), std::string::npos);
  // Pending changes at the end: asked, and "n" writes nothing.
  const std::string before = slurp(cib_);
  r = crm({"configure"}, "primitive d2 Dummy\n", true);
  EXPECT_NE(r.out.find("There are changes pending"), std::string::npos);
  EXPECT_EQ(slurp(cib_), before);
}

TEST_F(CrmConfigure, WithoutCibFile) {
  vars_.clear();
  Run r = crm({"configure", "show"});
  EXPECT_EQ(r.rc, kExitNotAvailable);
  EXPECT_NE(r.err.find("live mode needs the quorated daemon"), std::string::npos);
  vars_["CIB_file"] = (dir_ / "none.xml").string();
  r = crm({"configure", "show"});
  EXPECT_EQ(r.rc, kExitFailure);
  EXPECT_NE(r.err.find("none.xml"), std::string::npos);
  spit(dir_ / "junk.xml", "<cib><configuration>");
  vars_["CIB_file"] = (dir_ / "junk.xml").string();
  r = crm({"configure", "show"});
  EXPECT_EQ(r.rc, kExitFailure);
}

TEST_F(CrmConfigure, QuorateCrmSpelling) {
  testing::FakeDaemon d;
  ToolEnv env = d.env();
  env.getenv = [this](const std::string& n) -> std::optional<std::string> {
    return n == "CIB_file" ? std::optional<std::string>(cib_.string()) : std::nullopt;
  };
  EXPECT_EQ(quorate_main({"quorate", "crm", "configure", "show"}, env), 0) << d.err.str();
}

TEST_F(CrmConfigure, GarbageInputNeverCrashes) {
  const std::string before = slurp(cib_);
  unsigned seed = 7;
  for (int i = 0; i < 200; ++i) {
    std::string junk;
    for (int k = 0; k < 80; ++k) {
      seed = seed * 1103515245u + 12345u;
      const std::string alphabet = "primtve grouplocation{}[]()\"'\\:=\n $@#-inf0123";
      junk += alphabet[(seed >> 16) % alphabet.size()];
    }
    Run r = crm({"configure"}, junk);
    EXPECT_TRUE(r.rc == 0 || r.rc == 1) << junk;
    if (r.rc == 1) {
      EXPECT_EQ(slurp(cib_), before) << junk;
    }
    spit(cib_, before);
  }
}

}  // namespace
}  // namespace quorate::cli
