// Allocation scores as crm_simulate -s prints them, for history that
// bans a node (checked against the installed Pacemaker 2.1.5).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/sched_scores.h"

namespace quorate::crm::sched {
namespace {

// rsc1's stop failed on node2 (on-fail=block: it stays there, blocked);
// rsc2 stopped cleanly there.
constexpr const char* kFailedStop = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
        <operations><op id="rsc1-stop" name="stop" interval="0" on-fail="block"/></operations>
      </primitive>
      <primitive id="rsc2" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_stop_0" operation="stop" call-id="2" rc-code="1" op-status="4" interval="0" transition-key="1:1:0:x" transition-magic="4:1;1:1:0:x"/>
        </lrm_resource>
        <lrm_resource id="rsc2" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="rsc2_last_0" operation_key="rsc2_stop_0" operation="stop" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>)";

TEST(Scores, AFailedStopBansTheNodeWhateverItsOnFail) {
  const auto lines = score_lines_xml(kFailedStop, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__primitive_assign: rsc1 allocation score on node1: 0",
                        "pcmk__primitive_assign: rsc1 allocation score on node2: -INFINITY",
                        "pcmk__primitive_assign: rsc2 allocation score on node1: 0",
                        "pcmk__primitive_assign: rsc2 allocation score on node2: 0",
                    }));
}

}  // namespace
}  // namespace quorate::crm::sched
