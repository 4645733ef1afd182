// Network namespaces for integration tests (../shared/TESTING.md): one
// namespace per node plus one holding two bridges, all created by the test
// with names carrying its pid, joined by veth pairs (node side eth0
// 10.213.0.N/16, no default route); nothing is created in the root namespace
// and no traffic leaves these namespaces. A node's bridge-side veth end moves
// between bridge br0 (everyone) and br1 (an island): a real network cut.
// Needs root and `ip netns`.
#pragma once

#include <string>
#include <vector>

namespace quorate::itest {

class NetnsLab {
 public:
  explicit NetnsLab(int nodes);
  ~NetnsLab();  // removes every namespace it created
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  std::string bridge_ns() const { return tag_ + "-br"; }
  std::string node_ns(int i) const;
  static std::string address(int i);  // 10.213.0.i

  // Builds the whole network; false with error() on the first failure.
  bool build();
  // Moves the bridge-side ends of `nodes` to bridge `bridge` (br0: everyone
  // else; br1: an island).
  bool attach(const std::vector<int>& nodes, const std::string& bridge);
  const std::string& error() const { return error_; }

 private:
  bool add_ns(const std::string& name);
  bool ip(const std::vector<std::string>& rest);

  int nodes_;
  std::string tag_;
  std::vector<std::string> created_;
  std::string error_;
};

// Namespaces "qitPID-..." left by a run that died without its guard.
void remove_stale_namespaces();

// Why this machine cannot run a namespace test, or "" when it can.
std::string netns_missing_prerequisite();

}  // namespace quorate::itest
