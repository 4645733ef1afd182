// A CIB document for scheduler tests, from only what a test is about: the
// nodes (ids 1..N in the order given, every one an online member), the
// resources and constraints, and what each node's status holds (transient
// attributes, operation history). Stonith is off unless `properties` says
// otherwise (a later nvpair of the same name wins).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace quorate::crm::sched {

struct TestCib {
  std::vector<std::string> nodes{};              // unames
  std::map<std::string, std::string> node_xml{};  // uname -> content of its <node>
  std::string properties{};                       // more cluster-property nvpairs
  std::string resources{};                        // content of <resources>
  std::string constraints{};                      // content of <constraints>
  std::map<std::string, std::string> status{};    // uname -> content of its <node_state>
  // The order the node_states are written in, when it matters (histories
  // are read in status order); empty: `nodes` order.
  std::vector<std::string> status_order{};
};

inline std::string cib_text(const TestCib& c) {
  std::string x =
      R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">)"
      R"(<configuration><crm_config><cluster_property_set id="o">)"
      R"(<nvpair id="o1" name="stonith-enabled" value="false"/>)" +
      c.properties + "</cluster_property_set></crm_config><nodes>";
  for (std::size_t i = 0; i < c.nodes.size(); ++i) {
    const std::string head = "<node id=\"" + std::to_string(i + 1) + "\" uname=\"" + c.nodes[i] + "\"";
    const auto it = c.node_xml.find(c.nodes[i]);
    x += it == c.node_xml.end() ? head + "/>" : head + ">" + it->second + "</node>";
  }
  x += "</nodes><resources>" + c.resources + "</resources><constraints>" + c.constraints +
       "</constraints></configuration><status>";
  const std::vector<std::string>& order = c.status_order.empty() ? c.nodes : c.status_order;
  for (const std::string& name : order) {
    std::size_t id = 1;
    while (id <= c.nodes.size() && c.nodes[id - 1] != name) ++id;
    const std::string head = "<node_state id=\"" + std::to_string(id) + "\" uname=\"" + name +
                             R"(" in_ccm="true" crmd="online" join="member" expected="member")";
    const auto it = c.status.find(name);
    x += it == c.status.end() ? head + "/>" : head + ">" + it->second + "</node_state>";
  }
  return x + "</status></cib>";
}

}  // namespace quorate::crm::sched
