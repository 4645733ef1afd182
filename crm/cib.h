// The cluster information base (CIB) as typed C++ values: Pacemaker's
// <cib> document — its <configuration> (cluster properties, nodes, resources,
// constraints, defaults) and its <status> (node state, transient node
// attributes, each resource's operation history).
//
// Every type here is a plain value: copyable, comparable with ==, owning all of
// its strings and children, with no pointers into other objects (references
// between objects are ids, as in the XML) — except the text of the operation
// history (LrmRscOp), the bulk of a large status section: its strings are
// views into text the Cib keeps (Cib::text, shared by copies of the Cib; see
// TextStore), so an LrmRscOp is only valid while a Cib sharing that text
// lives, and text put into one must come from Cib::keep (or be static). Nothing here is thread-safe beyond
// what a const std::vector is. The XML form lives in crm/cib_xml.h and the
// mapping is written down in docs/formats/cib.md.
//
// Fidelity: attributes the model does not name are kept, in document order, in
// each element's `extra`, and whole sections the model does not type (fencing
// topology, tags, ACLs, alerts, tickets, bundles, date expressions) are kept as
// generic XmlElement trees, so import followed by export loses only comments,
// insignificant whitespace and the relative order of a few sibling kinds
// (docs/formats/cib.md lists them). An attribute that may be absent is an
// std::optional<std::string>: absent and empty are different values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace quorate::crm {

using OptString = std::optional<std::string>;

// An attribute that may be absent, viewed in text a Cib keeps (LrmRscOp).
using OptView = std::optional<std::string_view>;

// Text that LrmRscOp strings view: strings copied end to end into large
// chunks (one allocation per chunk, not per string). Owned through a
// shared_ptr by every Cib copy that may view it; what it hands out stays
// where it is until the store is destroyed. Not thread-safe: one writer, no
// concurrent readers while keeping.
class TextStore {
 public:
  // Copies `text` into the store; the view stays valid as long as the store.
  std::string_view keep(std::string_view text);
  // Takes over everything `other` kept (views into it stay valid, now owned
  // here); `other` is left empty.
  void absorb(TextStore&& other);
  std::size_t kept_bytes() const { return kept_bytes_; }

 private:
  static constexpr std::size_t kChunkBytes = std::size_t{64} << 10;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* free_ = nullptr;  // in the last chunk
  std::size_t free_bytes_ = 0;
  std::size_t kept_bytes_ = 0;
};

// A Cib's TextStore: shared by copies, and not part of the Cib's value (two
// Cibs with equal contents are equal wherever their text is kept).
struct SharedText {
  std::shared_ptr<TextStore> store;
  bool operator==(const SharedText&) const { return true; }
};

// Attributes in document order: (name, value).
using Attrs = std::vector<std::pair<std::string, std::string>>;

// A deep-copying owner of one T: lets value types nest recursively (a rule
// inside a rule) while staying copyable and comparable.
template <typename T>
class Box {
 public:
  Box() : p_(std::make_unique<T>()) {}
  Box(T value)
      : p_(std::make_unique<T>(std::move(value))) {}  // NOLINT(google-explicit-constructor)
  Box(const Box& other) : p_(std::make_unique<T>(*other.p_)) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) p_ = std::make_unique<T>(*other.p_);
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  friend bool operator==(const Box& a, const Box& b) { return *a.p_ == *b.p_; }

 private:
  std::unique_ptr<T> p_;  // never null (a moved-from Box may only be assigned or destroyed)
};

// An XML element the model does not type, kept whole. `text` is the element's
// character data with surrounding whitespace removed.
struct XmlElement {
  std::string name{};
  Attrs attrs{};
  std::string text{};
  std::vector<XmlElement> children{};
  bool operator==(const XmlElement&) const = default;
};

// ---------------------------------------------------------------------------
// Rules (rules-3.x.rng): a rule holds expressions, date expressions and rules.

// <expression attribute= operation= value= type= />: compares a node attribute.
struct Expression {
  std::string id{};
  std::string attribute{};
  std::string operation{};  // lt gt lte gte eq ne defined not_defined
  OptString value{};
  OptString type{};  // string integer number version
  Attrs extra{};     // value-source ...
  bool operator==(const Expression&) const = default;
};

struct Rule;
// One term of a rule. date_expression (with its date_spec/duration) and any
// other element are kept as XML.
using RuleTerm = std::variant<Expression, Box<Rule>, XmlElement>;

struct Rule {
  OptString id{};
  OptString id_ref{};  // <rule id-ref="..."/>: a reference, no content
  OptString score{};
  OptString score_attribute{};
  OptString boolean_op{};  // and | or
  OptString role{};
  Attrs extra{};
  std::vector<RuleTerm> terms{};
  bool operator==(const Rule&) const = default;
};

// ---------------------------------------------------------------------------
// Name/value sets: instance_attributes, meta_attributes, utilization,
// cluster_property_set.

struct NvPair {
  OptString id{};
  OptString id_ref{};
  OptString name{};
  OptString value{};
  Attrs extra{};
  bool operator==(const NvPair&) const = default;
};

enum class SetKind { kInstance, kMeta, kUtilization, kClusterProperty };

struct AttrSet {
  SetKind kind = SetKind::kInstance;
  OptString id{};
  OptString id_ref{};
  OptString score{};
  Attrs extra{};
  std::vector<Rule> rules{};  // written before the nvpairs
  std::vector<NvPair> nvpairs{};
  bool operator==(const AttrSet&) const = default;

  // The value of the first nvpair named `name`, if any.
  const std::string* find(std::string_view name) const;
};

const char* set_element_name(SetKind kind);

// ---------------------------------------------------------------------------
// Nodes

struct Node {
  std::string id{};
  std::string uname{};
  OptString type{};  // member (default), ping, remote
  OptString description{};
  Attrs extra{};
  std::vector<AttrSet> sets{};  // instance_attributes and utilization, document order
  bool operator==(const Node&) const = default;
};

// ---------------------------------------------------------------------------
// Resources

struct Op {
  std::string id{};
  std::string name{};
  std::string interval{};  // as written: "0", "10s", "P1D" ...
  OptString timeout{};
  OptString role{};
  OptString on_fail{};
  Attrs extra{};  // start-delay, enabled, record-pending, interval-origin, description ...
  std::vector<AttrSet> sets{};  // op-level instance_attributes / meta_attributes
  bool operator==(const Op&) const = default;
};

struct Operations {
  OptString id{};
  OptString id_ref{};
  Attrs extra{};
  std::vector<Op> ops{};
  bool operator==(const Operations&) const = default;
};

// Fields shared by <primitive> and <template> (class:provider:type agents).
struct AgentResource {
  std::string id{};
  OptString resource_class{};  // "class"; absent only on a primitive that names a template
  OptString provider{};
  OptString type{};
  OptString description{};
  Attrs extra{};
  std::vector<AttrSet> sets{};  // instance_attributes, meta_attributes, utilization, doc order
  std::optional<Operations> operations{};  // written after the sets
  bool operator==(const AgentResource&) const = default;
};

struct Primitive : AgentResource {
  OptString template_id{};  // "template" attribute
  bool operator==(const Primitive&) const = default;
};

// <template>: a primitive's body that primitives may name.
struct Template : AgentResource {
  bool operator==(const Template&) const = default;
};

struct Group {
  std::string id{};
  OptString description{};
  Attrs extra{};
  std::vector<AttrSet> sets{};  // written before the members
  std::vector<Primitive> members{};
  bool operator==(const Group&) const = default;
};

enum class CloneElement { kClone, kMaster };  // <clone> or the deprecated <master>

struct Clone {
  CloneElement element = CloneElement::kClone;
  std::string id{};
  OptString description{};
  Attrs extra{};
  std::vector<AttrSet> sets{};  // written before the child
  std::variant<Primitive, Group> child{};
  bool operator==(const Clone&) const = default;

  // <master>, or a clone with meta promotable=true.
  bool promotable() const;
};

// bundle (and anything else under <resources>) is kept as XML.
using Resource = std::variant<Primitive, Group, Clone, Template, XmlElement>;

// The id of any resource alternative ("" for an XmlElement without one).
std::string resource_id(const Resource& r);

// ---------------------------------------------------------------------------
// Constraints

struct ResourceRef {
  std::string id{};
  Attrs extra{};
  bool operator==(const ResourceRef&) const = default;
};

struct ResourceSet {
  OptString id{};
  OptString id_ref{};
  OptString sequential{};
  OptString require_all{};
  OptString ordering{};
  OptString action{};
  OptString role{};
  OptString score{};
  OptString kind{};
  Attrs extra{};
  std::vector<ResourceRef> resources{};
  bool operator==(const ResourceSet&) const = default;
};

struct Location {
  std::string id{};
  OptString rsc{};
  OptString rsc_pattern{};
  OptString node{};
  OptString score{};
  OptString role{};
  OptString resource_discovery{};
  Attrs extra{};
  std::vector<ResourceSet> sets{};
  std::vector<Rule> rules{};  // written after the sets
  bool operator==(const Location&) const = default;
};

struct Colocation {
  std::string id{};
  OptString rsc{};
  OptString with_rsc{};
  OptString score{};
  OptString rsc_role{};
  OptString with_rsc_role{};
  OptString node_attribute{};
  Attrs extra{};
  std::vector<ResourceSet> sets{};
  bool operator==(const Colocation&) const = default;
};

struct Order {
  std::string id{};
  OptString first{};
  OptString then{};
  OptString kind{};  // Mandatory | Optional | Serialize
  OptString score{};
  OptString first_action{};
  OptString then_action{};
  OptString symmetrical{};
  Attrs extra{};  // require-all ...
  std::vector<ResourceSet> sets{};
  bool operator==(const Order&) const = default;
};

// rsc_ticket (and anything else under <constraints>) is kept as XML.
using Constraint = std::variant<Location, Colocation, Order, XmlElement>;

// ---------------------------------------------------------------------------
// The configuration section

struct Configuration {
  std::vector<AttrSet> crm_config{};  // cluster_property_set, document order
  std::vector<Node> nodes{};
  std::vector<Resource> resources{};
  std::vector<Constraint> constraints{};
  std::optional<std::vector<AttrSet>> rsc_defaults{};  // meta_attributes sets
  std::optional<std::vector<AttrSet>> op_defaults{};
  // fencing-topology, tags, acls, alerts ...: document order, after the above.
  std::vector<XmlElement> other_sections{};
  Attrs extra{};  // attributes on <configuration> itself
  bool operator==(const Configuration&) const = default;
};

// ---------------------------------------------------------------------------
// The status section

// One recorded operation. Its strings view text kept by the Cib (see the
// top of this file): set them from Cib::keep, literals or parsed text only.
struct LrmRscOp {
  std::string_view id{};
  OptView operation_key{};
  std::string_view operation{};  // start stop monitor promote demote notify migrate_to ...
  OptView crm_debug_origin{};
  OptView crm_feature_set{};
  OptView transition_key{};
  OptView transition_magic{};
  OptView exit_reason{};
  std::optional<std::int64_t> call_id{};
  std::optional<std::int64_t> rc_code{};    // OCF exit code
  std::optional<std::int64_t> op_status{};  // execution status (0 done, 1 cancelled, ...)
  std::optional<std::int64_t> interval_ms{};
  std::optional<std::int64_t> last_run{};  // seconds since the epoch
  std::optional<std::int64_t> last_rc_change{};
  std::optional<std::int64_t> exec_time_ms{};
  std::optional<std::int64_t> queue_time_ms{};
  OptView op_digest{};
  OptView on_node{};
  Attrs extra{};  // op-force-restart, op-restart-digest, op-secure-* ...
  bool operator==(const LrmRscOp&) const = default;
};

struct LrmResource {
  std::string id{};
  OptString resource_class{};
  OptString provider{};
  OptString type{};
  OptString container{};
  Attrs extra{};
  std::vector<LrmRscOp> ops{};  // document order (not call-id order)
  bool operator==(const LrmResource&) const = default;
};

struct Lrm {
  OptString id{};
  Attrs extra{};
  Attrs resources_attrs{};  // attributes of <lrm_resources>
  std::vector<LrmResource> resources{};
  bool operator==(const Lrm&) const = default;
};

struct TransientAttributes {
  OptString id{};
  Attrs extra{};
  std::vector<AttrSet> sets{};  // instance_attributes: fail counts, master-RSC scores ...
  bool operator==(const TransientAttributes&) const = default;
};

struct NodeState {
  std::string id{};
  OptString uname{};
  OptString in_ccm{};  // "true"/"false" or, in newer CIBs, a timestamp
  OptString crmd{};    // online/offline or a timestamp
  OptString join{};    // member down pending banned
  OptString expected{};
  OptString crm_debug_origin{};
  Attrs extra{};                                              // ha, shutdown, clear_shutdown ...
  std::optional<TransientAttributes> transient_attributes{};  // written before lrm
  std::optional<Lrm> lrm{};
  bool operator==(const NodeState&) const = default;
};

// <status>. (Not named Status: that is quorate::Status, the Result<void>.)
struct CibStatus {
  Attrs extra{};
  std::vector<NodeState> nodes{};
  bool operator==(const CibStatus&) const = default;
};

// ---------------------------------------------------------------------------

struct Cib {
  std::int64_t admin_epoch = 0;
  std::int64_t epoch = 0;
  std::int64_t num_updates = 0;
  std::string validate_with = "pacemaker-3.0";
  Attrs extra{};  // crm_feature_set, have-quorum, dc-uuid, cib-last-written ... in order
  Configuration configuration{};
  std::optional<CibStatus> status{};
  SharedText text{};  // what the status's LrmRscOp strings view
  bool operator==(const Cib&) const = default;

  // The value of cib attribute `name` kept in `extra`, if any.
  const std::string* attr(std::string_view name) const;

  // A copy of `value` in this Cib's text (created on first use), for an
  // LrmRscOp string.
  std::string_view keep(std::string_view value);
};

// The value of attribute `name` in `attrs`, if present.
const std::string* find_attr(const Attrs& attrs, std::string_view name);

}  // namespace quorate::crm
