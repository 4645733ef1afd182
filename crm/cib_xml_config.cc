// CIB XML reader, <configuration>: crm_config, nodes, resources, constraints,
// rsc_defaults, op_defaults, and the sections kept as XML.
#include <string>
#include <string_view>
#include <utility>

#include "crm/cib_xml_internal.h"

namespace quorate::crm::xml_detail {
namespace {

// Parses the element children of `node` whose names map to a SetKind via
// `kind_of` into `sets`; other children go to `other`, which returns a Status
// (or an error when it does not know the child).
template <typename KindOf, typename Other>
Status parse_children(ParseContext& ctx, pugi::xml_node node, std::vector<AttrSet>* sets,
                      KindOf kind_of, Other other) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    SetKind kind;
    if (kind_of(std::string_view(c.name()), &kind)) {
      AttrSet set;
      if (Status s = parse_set(ctx, c, kind, &set); !s) return s;
      sets->push_back(std::move(set));
    } else if (Status s = other(c); !s) {
      return s;
    }
  }
  return {};
}

bool resource_set_kind(std::string_view name, SetKind* kind) {
  if (name == "instance_attributes") {
    *kind = SetKind::kInstance;
  } else if (name == "meta_attributes") {
    *kind = SetKind::kMeta;
  } else if (name == "utilization") {
    *kind = SetKind::kUtilization;
  } else {
    return false;
  }
  return true;
}

bool instance_or_meta(std::string_view name, SetKind* kind) {
  return name != "utilization" && resource_set_kind(name, kind);
}

Status require_id(ParseContext& ctx, AttrTaker& t, std::string* id) {
  auto v = t.require("id");
  if (!v) return v.error();
  *id = std::move(*v);
  return ctx.note_id(t.node(), *id);
}

Status parse_node(ParseContext& ctx, pugi::xml_node node, Node* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  auto uname = t.require("uname");
  if (!uname) return uname.error();
  out->uname = std::move(*uname);
  out->type = t.take("type");
  out->description = t.take("description");
  out->extra = t.rest();
  return parse_children(
      ctx, node, &out->sets,
      [](std::string_view name, SetKind* kind) {
        return name != "meta_attributes" && resource_set_kind(name, kind);
      },
      [&](pugi::xml_node c) -> Status {
        return unexpected_child(ctx, c, "instance_attributes or utilization");
      });
}

Status parse_op(ParseContext& ctx, pugi::xml_node node, Op* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  auto name = t.require("name");
  if (!name) return name.error();
  out->name = std::move(*name);
  auto interval = t.require("interval");
  if (!interval) return interval.error();
  out->interval = std::move(*interval);
  out->timeout = t.take("timeout");
  out->role = t.take("role");
  out->on_fail = t.take("on-fail");
  out->extra = t.rest();
  return parse_children(ctx, node, &out->sets, instance_or_meta, [&](pugi::xml_node c) -> Status {
    return unexpected_child(ctx, c, "instance_attributes or meta_attributes");
  });
}

Status parse_operations(ParseContext& ctx, pugi::xml_node node, Operations* out) {
  AttrTaker t(ctx, node);
  out->id = t.take("id");
  out->id_ref = t.take("id-ref");
  if (out->id) {
    if (Status s = ctx.note_id(node, *out->id); !s) return s;
  }
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "op") return unexpected_child(ctx, c, "op");
    Op op;
    if (Status s = parse_op(ctx, c, &op); !s) return s;
    out->ops.push_back(std::move(op));
  }
  return {};
}

// <primitive> and <template>.
Status parse_agent(ParseContext& ctx, pugi::xml_node node, AttrTaker& t, AgentResource* out,
                   bool needs_agent) {
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->resource_class = t.take("class");
  out->provider = t.take("provider");
  out->type = t.take("type");
  out->description = t.take("description");
  if (needs_agent && !out->resource_class) return ctx.error(node, "missing attribute 'class'");
  if (needs_agent && !out->type) return ctx.error(node, "missing attribute 'type'");
  out->extra = t.rest();
  return parse_children(ctx, node, &out->sets, resource_set_kind, [&](pugi::xml_node c) -> Status {
    if (std::string_view(c.name()) != "operations") {
      return unexpected_child(ctx, c,
                              "instance_attributes, meta_attributes, utilization or operations");
    }
    if (out->operations) return ctx.error(c, "a second <operations>");
    out->operations.emplace();
    return parse_operations(ctx, c, &*out->operations);
  });
}

Status parse_primitive(ParseContext& ctx, pugi::xml_node node, Primitive* out) {
  AttrTaker t(ctx, node);
  out->template_id = t.take("template");
  return parse_agent(ctx, node, t, out, !out->template_id);
}

Status parse_group(ParseContext& ctx, pugi::xml_node node, Group* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->description = t.take("description");
  out->extra = t.rest();
  Status s =
      parse_children(ctx, node, &out->sets, instance_or_meta, [&](pugi::xml_node c) -> Status {
        if (std::string_view(c.name()) != "primitive") {
          return unexpected_child(ctx, c, "primitive, instance_attributes or meta_attributes");
        }
        Primitive p;
        if (Status ps = parse_primitive(ctx, c, &p); !ps) return ps;
        out->members.push_back(std::move(p));
        return {};
      });
  if (!s) return s;
  if (out->members.empty()) return ctx.error(node, "a group needs at least one <primitive>");
  return {};
}

Status parse_clone(ParseContext& ctx, pugi::xml_node node, CloneElement element, Clone* out) {
  out->element = element;
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->description = t.take("description");
  out->extra = t.rest();
  bool has_child = false;
  Status s =
      parse_children(ctx, node, &out->sets, instance_or_meta, [&](pugi::xml_node c) -> Status {
        const std::string_view name = c.name();
        if (name != "primitive" && name != "group") {
          return unexpected_child(ctx, c,
                                  "primitive, group, instance_attributes or meta_attributes");
        }
        if (has_child) return ctx.error(c, "a clone holds one primitive or group, not two");
        has_child = true;
        if (name == "primitive") {
          Primitive p;
          if (Status cs = parse_primitive(ctx, c, &p); !cs) return cs;
          out->child = std::move(p);
        } else {
          Group g;
          if (Status cs = parse_group(ctx, c, &g); !cs) return cs;
          out->child = std::move(g);
        }
        return {};
      });
  if (!s) return s;
  if (!has_child) return ctx.error(node, "expected a <primitive> or <group> inside");
  return {};
}

Status parse_resources(ParseContext& ctx, pugi::xml_node node, std::vector<Resource>* out) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "primitive") {
      Primitive p;
      if (Status s = parse_primitive(ctx, c, &p); !s) return s;
      out->emplace_back(std::move(p));
    } else if (name == "group") {
      Group g;
      if (Status s = parse_group(ctx, c, &g); !s) return s;
      out->emplace_back(std::move(g));
    } else if (name == "clone" || name == "master") {
      Clone cl;
      const CloneElement e = name == "clone" ? CloneElement::kClone : CloneElement::kMaster;
      if (Status s = parse_clone(ctx, c, e, &cl); !s) return s;
      out->emplace_back(std::move(cl));
    } else if (name == "template") {
      Template tp;
      AttrTaker t(ctx, c);
      if (Status s = parse_agent(ctx, c, t, &tp, true); !s) return s;
      out->emplace_back(std::move(tp));
    } else if (name == "bundle") {
      if (!c.attribute("id")) return ctx.error(c, "missing attribute 'id'");
      if (Status s = note_generic_id(ctx, c); !s) return s;
      out->emplace_back(parse_generic(c));
    } else {
      return unexpected_child(ctx, c, "primitive, group, clone, master, template or bundle");
    }
  }
  return {};
}

Status parse_resource_set(ParseContext& ctx, pugi::xml_node node, ResourceSet* out) {
  AttrTaker t(ctx, node);
  out->id = t.take("id");
  out->id_ref = t.take("id-ref");
  if (!out->id && !out->id_ref) return ctx.error(node, "missing attribute 'id'");
  if (out->id) {
    if (Status s = ctx.note_id(node, *out->id); !s) return s;
  }
  out->sequential = t.take("sequential");
  out->require_all = t.take("require-all");
  out->ordering = t.take("ordering");
  out->action = t.take("action");
  out->role = t.take("role");
  out->score = t.take("score");
  out->kind = t.take("kind");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "resource_ref")
      return unexpected_child(ctx, c, "resource_ref");
    AttrTaker rt(ctx, c);
    auto id = rt.require("id");
    if (!id) return id.error();
    out->resources.push_back(ResourceRef{std::move(*id), rt.rest()});
  }
  return {};
}

// The resource_set children of a constraint, plus rules when `rules` is set.
Status parse_constraint_children(ParseContext& ctx, pugi::xml_node node,
                                 std::vector<ResourceSet>* sets, std::vector<Rule>* rules) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "resource_set") {
      ResourceSet rs;
      if (Status s = parse_resource_set(ctx, c, &rs); !s) return s;
      sets->push_back(std::move(rs));
    } else if (name == "rule" && rules) {
      Rule r;
      if (Status s = parse_rule(ctx, c, &r); !s) return s;
      rules->push_back(std::move(r));
    } else {
      return unexpected_child(ctx, c, rules ? "resource_set or rule" : "resource_set");
    }
  }
  return {};
}

Status parse_location(ParseContext& ctx, pugi::xml_node node, Location* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->rsc = t.take("rsc");
  out->rsc_pattern = t.take("rsc-pattern");
  out->node = t.take("node");
  out->score = t.take("score");
  out->role = t.take("role");
  out->resource_discovery = t.take("resource-discovery");
  out->extra = t.rest();
  if (Status s = parse_constraint_children(ctx, node, &out->sets, &out->rules); !s) return s;
  if (!out->rsc && !out->rsc_pattern && out->sets.empty()) {
    return ctx.error(node, "expected 'rsc', 'rsc-pattern' or a <resource_set>");
  }
  if (out->node && !out->score && !find_attr(out->extra, "score-attribute")) {
    return ctx.error(node, "missing attribute 'score' (needed with 'node')");
  }
  return {};
}

Status parse_colocation(ParseContext& ctx, pugi::xml_node node, Colocation* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->rsc = t.take("rsc");
  out->with_rsc = t.take("with-rsc");
  out->score = t.take("score");
  out->rsc_role = t.take("rsc-role");
  out->with_rsc_role = t.take("with-rsc-role");
  out->node_attribute = t.take("node-attribute");
  out->extra = t.rest();
  if (Status s = parse_constraint_children(ctx, node, &out->sets, nullptr); !s) return s;
  if (out->sets.empty() && (!out->rsc || !out->with_rsc)) {
    return ctx.error(node, "expected 'rsc' and 'with-rsc', or <resource_set> elements");
  }
  return {};
}

Status parse_order(ParseContext& ctx, pugi::xml_node node, Order* out) {
  AttrTaker t(ctx, node);
  if (Status s = require_id(ctx, t, &out->id); !s) return s;
  out->first = t.take("first");
  out->then = t.take("then");
  out->kind = t.take("kind");
  out->score = t.take("score");
  out->first_action = t.take("first-action");
  out->then_action = t.take("then-action");
  out->symmetrical = t.take("symmetrical");
  out->extra = t.rest();
  if (Status s = parse_constraint_children(ctx, node, &out->sets, nullptr); !s) return s;
  if (out->sets.empty() && (!out->first || !out->then)) {
    return ctx.error(node, "expected 'first' and 'then', or <resource_set> elements");
  }
  return {};
}

Status parse_constraints(ParseContext& ctx, pugi::xml_node node, std::vector<Constraint>* out) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "rsc_location") {
      Location l;
      if (Status s = parse_location(ctx, c, &l); !s) return s;
      out->emplace_back(std::move(l));
    } else if (name == "rsc_colocation") {
      Colocation co;
      if (Status s = parse_colocation(ctx, c, &co); !s) return s;
      out->emplace_back(std::move(co));
    } else if (name == "rsc_order") {
      Order o;
      if (Status s = parse_order(ctx, c, &o); !s) return s;
      out->emplace_back(std::move(o));
    } else if (name == "rsc_ticket") {
      if (!c.attribute("id")) return ctx.error(c, "missing attribute 'id'");
      if (Status s = note_generic_id(ctx, c); !s) return s;
      out->emplace_back(parse_generic(c));
    } else {
      return unexpected_child(ctx, c, "rsc_location, rsc_colocation, rsc_order or rsc_ticket");
    }
  }
  return {};
}

Status parse_set_list(ParseContext& ctx, pugi::xml_node node, std::vector<AttrSet>* out,
                      bool (*kind_of)(std::string_view, SetKind*), std::string_view expected) {
  return parse_children(ctx, node, out, kind_of, [&](pugi::xml_node c) -> Status {
    return unexpected_child(ctx, c, expected);
  });
}

bool property_set_kind(std::string_view name, SetKind* kind) {
  *kind = SetKind::kClusterProperty;
  return name == "cluster_property_set";
}

constexpr std::string_view kSections =
    "crm_config, nodes, resources, constraints, rsc_defaults, op_defaults, fencing-topology, "
    "tags, acls or alerts";

}  // namespace

Status parse_configuration(ParseContext& ctx, pugi::xml_node node, Configuration* out) {
  AttrTaker t(ctx, node);
  out->extra = t.rest();
  std::vector<std::string> seen;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string name = c.name();
    for (const std::string& s : seen) {
      if (s == name) return ctx.error(c, "a second <" + name + "> section");
    }
    seen.push_back(name);
    Status s;
    if (name == "crm_config") {
      s = parse_set_list(ctx, c, &out->crm_config, property_set_kind, "cluster_property_set");
    } else if (name == "nodes") {
      for (pugi::xml_node n = c.first_child(); n && s; n = n.next_sibling()) {
        if (n.type() != pugi::node_element) continue;
        if (std::string_view(n.name()) != "node") return unexpected_child(ctx, n, "node");
        Node parsed;
        s = parse_node(ctx, n, &parsed);
        out->nodes.push_back(std::move(parsed));
      }
    } else if (name == "resources") {
      s = parse_resources(ctx, c, &out->resources);
    } else if (name == "constraints") {
      s = parse_constraints(ctx, c, &out->constraints);
    } else if (name == "rsc_defaults" || name == "op_defaults") {
      auto& sets = name == "rsc_defaults" ? out->rsc_defaults : out->op_defaults;
      sets.emplace();
      s = parse_set_list(ctx, c, &*sets, instance_or_meta, "meta_attributes");
    } else if (name == "fencing-topology" || name == "tags" || name == "acls" || name == "alerts") {
      for (pugi::xml_node n = c.first_child(); n && s; n = n.next_sibling()) {
        if (n.type() == pugi::node_element) s = note_generic_id(ctx, n);
      }
      out->other_sections.push_back(parse_generic(c));
    } else {
      return ctx.error(c,
                       "unknown section <" + name + "> (expected " + std::string(kSections) + ")");
    }
    if (!s) return s;
  }
  return {};
}

}  // namespace quorate::crm::xml_detail
