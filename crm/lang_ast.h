// Syntax tree of the crm configure language (crmsh 4.4): one Command per
// logical line, as written — no ids generated, no references resolved. The
// evaluation of shell commands (delete, rename, modgroup, monitor, merging of
// property lines) and the whole-configuration checks live in lang_check.h;
// the `show` layout in lang_printer.h.
//
// Plain value types: copyable, no pointers, no shared state.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace quorate::crm::lang {

struct SourcePos {
  int line = 0;
  int col = 0;
  bool operator==(const SourcePos&) const = default;
};

// name=value, a bare name (no value), $id:name=value, or @ref[:name].
struct NvPair {
  std::string id;                    // explicit nvpair id ($id:name=), empty if none
  std::string name;                  // empty for a pure @reference
  std::optional<std::string> value;  // absent for a bare word
  std::string ref;                   // @ref target id (then name may be set too)
  bool operator==(const NvPair&) const = default;
};

// One simple expression of a rule.
struct Expression {
  enum class Kind { kBinary, kUnary, kDate };
  Kind kind = Kind::kBinary;
  std::string attribute;       // node attribute (binary, unary)
  std::string op;              // lt gt lte gte eq ne | defined not_defined | date: lt gt in spec
  std::string type;            // string | number | version (binary), as written
  std::string value;           // binary value; date lt/gt value
  std::vector<NvPair> fields;  // date in / spec fields (start=, end=, years= ...)
  bool operator==(const Expression&) const = default;
};

struct Rule {
  std::string id;       // $id=
  std::string id_ref;   // $id-ref= (then nothing else is set)
  std::string role;     // $role=
  std::string score;    // as written (without ':'), empty when not given
  std::string bool_op;  // "and" | "or" | "" (one expression)
  std::vector<Expression> expressions;
  bool operator==(const Rule&) const = default;
};

// params / meta / utilization / attributes / op_params / op_meta, and the
// body of property / rsc_defaults / op_defaults.
struct AttrList {
  std::string kind;    // "params", "meta", "utilization", "attributes", "op_params", "op_meta"
  std::string id;      // $id=
  std::string id_ref;  // $id-ref=
  std::string score;   // "3:" before the rules, without ':'
  std::vector<Rule> rules;
  std::vector<NvPair> pairs;
  bool operator==(const AttrList&) const = default;
};

struct Op {
  std::string name;
  std::vector<NvPair> attributes;  // as written, in order
  std::vector<AttrList> sets;      // op_params / op_meta
  SourcePos pos;
  bool operator==(const Op&) const = default;
};

struct Node {
  std::string id;  // empty: defaults to uname
  std::string uname;
  std::string type;  // normal | member | ping | remote, empty if not given
  std::optional<std::string> description;
  std::vector<AttrList> sets;  // attributes / utilization
  bool operator==(const Node&) const = default;
};

struct Primitive {
  bool is_template = false;  // rsc_template
  std::string id;
  std::string cls;       // ocf, lsb, service, systemd, stonith
  std::string provider;  // ocf only
  std::string type;
  std::string template_ref;  // primitive x @tmpl
  std::optional<std::string> description;
  std::vector<AttrList> sets;
  std::string operations_id;      // operations $id=
  std::string operations_id_ref;  // operations $id-ref=
  std::vector<Op> ops;
  bool operator==(const Primitive&) const = default;
};

// group, clone, ms (master).
struct Container {
  enum class Kind { kGroup, kClone, kMs };
  Kind kind = Kind::kGroup;
  std::string id;
  std::vector<std::string> children;
  std::optional<std::string> description;
  std::vector<AttrList> sets;
  bool operator==(const Container&) const = default;
};

struct SetItem {
  std::string rsc;
  std::string qualifier;  // role (colocation, ticket, location) or action (order)
  SourcePos pos;
  bool operator==(const SetItem&) const = default;
};

// One resource set as written: a bare run or a bracketed group.
struct ResourceSet {
  char bracket = 0;  // 0 (bare), '(' or '['
  std::vector<SetItem> items;
  std::vector<NvPair> attributes;  // sequential= require-all= (and others)
  bool operator==(const ResourceSet&) const = default;
};

struct Location {
  std::string id;
  std::string rsc;        // single resource or tag
  std::string pattern;    // /regex/ without slashes
  bool has_sets = false;  // { ... }
  std::vector<ResourceSet> sets;
  std::string role;
  std::string discovery;
  std::string score;  // node form
  std::string node;
  std::vector<Rule> rules;
  bool operator==(const Location&) const = default;
};

struct Colocation {
  std::string id;
  std::string score;
  std::vector<ResourceSet> sets;
  std::string node_attribute;
  bool operator==(const Colocation&) const = default;
};

struct Order {
  std::string id;
  std::string kind;  // kind or score as written (without ':'), empty if none
  std::vector<ResourceSet> sets;
  std::string symmetrical;
  bool operator==(const Order&) const = default;
};

struct RscTicket {
  std::string id;
  std::string ticket;
  std::vector<ResourceSet> sets;
  std::string loss_policy;
  bool operator==(const RscTicket&) const = default;
};

// property, rsc_defaults, op_defaults.
struct PropertySet {
  enum class Kind { kProperty, kRscDefaults, kOpDefaults };
  Kind kind = Kind::kProperty;
  AttrList body;  // body.id is the set id (empty: the default set)
  bool operator==(const PropertySet&) const = default;
};

struct Tag {
  std::string id;
  std::vector<std::string> members;
  bool operator==(const Tag&) const = default;
};

struct FencingLevel {
  std::string target;   // "", "node", "attr:name=value" or "pattern:regex" as written
  std::string devices;  // comma list as written
  bool operator==(const FencingLevel&) const = default;
};

struct FencingTopology {
  std::vector<FencingLevel> levels;
  bool operator==(const FencingTopology&) const = default;
};

struct AclPermission {
  std::string right;  // read | write | deny
  std::string id;
  std::optional<std::string> description;
  std::vector<std::string> specs;  // "xpath:...", "ref:...", "type:...", "attr:...", shortcuts
  bool operator==(const AclPermission&) const = default;
};

struct AclRole {
  std::string id;
  std::optional<std::string> description;
  std::vector<AclPermission> permissions;
  bool operator==(const AclRole&) const = default;
};

struct AclTarget {
  std::string id;
  std::vector<std::string> roles;
  bool operator==(const AclTarget&) const = default;
};

struct AlertRecipient {
  std::string path;
  std::optional<std::string> description;
  std::vector<AttrList> sets;
  bool operator==(const AlertRecipient&) const = default;
};

struct Alert {
  std::string id;
  std::string path;
  std::optional<std::string> description;
  std::vector<std::string> select;  // kinds; "attributes" followed by "{ a b }" tokens
  bool has_select = false;
  std::vector<AttrList> sets;  // attributes / meta of the alert itself
  std::vector<AlertRecipient> recipients;
  // The order the parts were written in, which crmsh keeps in the XML: one
  // entry per element of `sets`, per recipient and per select clause. Empty
  // (a hand-built Alert): sets, then select, then recipients.
  enum class Part { kSet, kSelect, kRecipient };
  std::vector<Part> layout;
  // `layout`, or the default order when it is empty.
  std::vector<Part> parts() const {
    if (!layout.empty()) return layout;
    std::vector<Part> out(sets.size(), Part::kSet);
    if (has_select) out.push_back(Part::kSelect);
    out.insert(out.end(), recipients.size(), Part::kRecipient);
    return out;
  }
  bool operator==(const Alert&) const = default;
};

// bundle: kept generic — sections (docker, rkt, network, storage, meta,
// primitive) with their words.
struct BundleSection {
  std::string keyword;
  std::vector<std::string> words;  // nvpairs and sub-keywords (port-mapping ...) as written
  AttrList meta;                   // for "meta"
  bool operator==(const BundleSection&) const = default;
};

struct Bundle {
  std::string id;
  std::optional<std::string> description;
  std::vector<BundleSection> sections;
  bool operator==(const Bundle&) const = default;
};

struct Monitor {
  std::string rsc;
  std::string role;
  std::string interval;
  std::string timeout;
  bool operator==(const Monitor&) const = default;
};

struct Delete {
  std::vector<std::string> ids;
  bool operator==(const Delete&) const = default;
};

struct Rename {
  std::string from;
  std::string to;
  bool operator==(const Rename&) const = default;
};

struct ModGroup {
  std::string group;
  bool add = true;
  std::string rsc;
  std::string where;  // "", "after", "before"
  std::string ref;
  bool operator==(const ModGroup&) const = default;
};

// Shell commands with no effect on the configuration text (commit, verify,
// show ...) and ones that the schema rejects (user): name + words.
struct ShellCommand {
  std::string name;
  std::vector<std::string> args;
  bool operator==(const ShellCommand&) const = default;
};

using CommandBody = std::variant<Node, Primitive, Container, Location, Colocation, Order, RscTicket,
                                 PropertySet, Tag, FencingTopology, AclRole, AclTarget, Alert,
                                 Bundle, Monitor, Delete, Rename, ModGroup, ShellCommand>;

struct Command {
  std::string name;    // canonical command name ("primitive", "ms", "colocation" ...)
  std::string text;    // the logical line, for messages
  std::string origin;  // file name given to parse_crm, for messages
  SourcePos pos;
  CommandBody body;
};

}  // namespace quorate::crm::lang
