// crm_simulate's injections (-u/-d/-f NODE, -i RSC_TASK_INTERVAL@NODE=RC) and
// crm-syntax simulation files with a status block. Expected outputs come from
// Pacemaker 2.1.5's own crm_simulate (tests/data/crm_simulate_inject/README.md).
#include "crm/sched_inject.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crm/cib_xml.h"
#include "crm/sched_simulate.h"

namespace quorate::crm::sched {
namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(QUORATE_SOURCE_DIR) + "/tests/data/crm_simulate_inject/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Injection {
  char kind;  // u d f i
  std::string arg;
};

std::string run(const std::vector<Injection>& injections, int64_t now_s = 1795337996) {
  auto cib = parse_cib_xml(data("web.xml"), "web.xml");
  EXPECT_TRUE(cib.ok());
  const Cib before = *cib;
  std::vector<std::string> log;
  for (const auto& [kind, arg] : injections) {
    Status s = kind == 'i'   ? inject_op(*cib, arg, now_s, &log)
               : kind == 'u' ? inject_node(*cib, arg, NodeInjection::kUp, &log)
               : kind == 'd' ? inject_node(*cib, arg, NodeInjection::kDown, &log)
                             : inject_node(*cib, arg, NodeInjection::kFail, &log);
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  return simulate(before, *cib, log, SimulateOptions{});
}

TEST(Inject, NodeFailureMatchesCrmSimulate) {
  EXPECT_EQ(run({{'u', "node1"}, {'u', "node2"}, {'f', "node1"}, {'i', "p_ip_start_0@node1=0"},
                 {'i', "p_db_start_0@node1=0"}}),
            data("fail-node1.txt"));
}

TEST(Inject, ProbesMatchCrmSimulate) {
  EXPECT_EQ(run({{'u', "node1"}, {'u', "node2"}, {'i', "p_ip_monitor_0@node2=7"}, {'i', "p_db_monitor_0@node2=7"}}),
            data("probes.txt"));
}

TEST(Inject, AFailedMonitorIsRecordedAndCountedAsCrmSimulateDoes) {
  const std::string out = run({{'u', "node1"}, {'u', "node2"}, {'i', "p_ip_start_0@node1=0"},
                               {'i', "p_db_start_0@node1=0"}, {'i', "p_db_monitor_20000@node1=7"}});
  const std::string real = data("monitor-fails.txt");
  // The same modifications (fail count and last failure included) and the
  // same recovery of the failed resource.
  const auto section = [](const std::string& s) {
    const size_t a = s.find("Performing Requested Modifications:");
    return s.substr(a, s.find("\n\n", a) - a);
  };
  EXPECT_EQ(section(out), section(real));
  EXPECT_NE(out.find("  * Recover    p_db    ( node1 )\n"), std::string::npos) << out;
}

TEST(Inject, BadSpecificationsAreRefusedWithTheReason) {
  auto cib = parse_cib_xml(data("web.xml"), "web.xml");
  ASSERT_TRUE(cib.ok());
  const std::string usage = " (expected RSC_TASK_INTERVAL@NODE=RC, e.g. db_monitor_10000@node1=7)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"p_ip_start_0", "'p_ip_start_0': no '@NODE'" + usage},
      {"p_ip_start_0@node1", "'p_ip_start_0@node1': no '=RC'" + usage},
      {"p_ip_start_0@node1=x", "'p_ip_start_0@node1=x': RC is not an exit code 0..255" + usage},
      {"p_ip_start_ten@node1=0", "'p_ip_start_ten@node1=0': INTERVAL is not a number of milliseconds" + usage},
      {"p_ip_launch_0@node1=0", "'p_ip_launch_0@node1=0': unknown task 'launch'" + usage},
      {"p_ip_start_0@node9=0", "'p_ip_start_0@node9=0': node 'node9' is not in the configuration"},
      {"g_web_start_0@node1=0",
       "'g_web_start_0@node1=0': 'g_web' is not a primitive (or an instance RSC:N of a cloned one)"},
  };
  for (const auto& [spec, message] : cases) {
    Cib copy = *cib;
    Status s = inject_op(copy, spec, 0);
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_EQ(s.error().message, message);
    EXPECT_EQ(copy, *cib) << "a refused injection changed the CIB";
  }
  Status s = inject_node(*cib, "node7", NodeInjection::kUp);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "node 'node7' is not in the configuration");
}

TEST(Inject, MigrateToKeepsItsUnderscore) {
  auto cib = parse_cib_xml(data("web.xml"), "web.xml");
  ASSERT_TRUE(cib.ok());
  ASSERT_TRUE(inject_op(*cib, "p_db_migrate_to_0@node1=0", 0).ok());
  const auto& ops = cib->status->nodes.front().lrm->resources.front().ops;
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].operation, "migrate_to");
  EXPECT_EQ(ops[0].operation_key, "p_db_migrate_to_0");
}

constexpr const char* kCrmFile = R"(node node1
node node2
primitive p_ip IPaddr2 params ip=10.0.0.10 op monitor interval=10s
primitive p_db ocf:pacemaker:Dummy op monitor interval=20s
group g_web p_ip p_db
property stonith-enabled=false
status
node node1 up
node node2 up
op p_ip_start_0@node1=0
op p_db_start_0@node1=0
op p_db_monitor_20000@node1=7   # the database died
)";

TEST(Inject, CrmSyntaxFileWithAStatusBlock) {
  auto cib = cib_from_crm_simulation(kCrmFile, "web.crm", 1795337996);
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  const std::string out = simulate(*cib, SimulateOptions{});
  EXPECT_NE(out.find("    * Online: [ node1 node2 ]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("p_db\t(ocf:pacemaker:Dummy):\t FAILED node1"), std::string::npos) << out;
  EXPECT_NE(out.find("Transition Summary:\n  * Recover    p_db    ( node1 )\n\n"), std::string::npos) << out;
}

TEST(Inject, CrmSyntaxFileErrorsNameTheLine) {
  std::string text = kCrmFile;
  text += "node node3 up\n";
  auto cib = cib_from_crm_simulation(text, "web.crm", 0);
  ASSERT_FALSE(cib.ok());
  EXPECT_EQ(cib.error().message, "web.crm:13: node 'node3' is not in the configuration");
  cib = cib_from_crm_simulation(std::string(kCrmFile) + "reboot node1\n", "web.crm", 0);
  ASSERT_FALSE(cib.ok());
  EXPECT_EQ(cib.error().message,
            "web.crm:13: expected 'node NAME up|down|fail' or 'op RSC_TASK_INTERVAL@NODE=RC', found 'reboot node1'");
  cib = cib_from_crm_simulation("node node1\nprimitive p_ip\nstatus\n", "bad.crm", 0);
  ASSERT_FALSE(cib.ok());
  EXPECT_EQ(cib.error().message.rfind("bad.crm:", 0), 0u) << cib.error().message;
}

}  // namespace
}  // namespace quorate::crm::sched
