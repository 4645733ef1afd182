// CIB XML writer: model -> XmlElement tree -> text. Known attributes come
// first in Pacemaker's usual order, then each element's `extra` in its
// original order; sections and children in the order Pacemaker writes them.
#include <string>
#include <utility>

#include "crm/cib_xml.h"

namespace quorate::crm {
namespace {

class ElementBuilder {
 public:
  explicit ElementBuilder(std::string name) { e_.name = std::move(name); }
  ElementBuilder& attr(const char* name, const std::string& value) {
    e_.attrs.emplace_back(name, value);
    return *this;
  }
  ElementBuilder& attr(const char* name, const OptString& value) {
    if (value) e_.attrs.emplace_back(name, *value);
    return *this;
  }
  ElementBuilder& attr(const char* name, std::string_view value) {
    e_.attrs.emplace_back(name, std::string(value));
    return *this;
  }
  ElementBuilder& attr(const char* name, const OptView& value) {
    if (value) e_.attrs.emplace_back(name, std::string(*value));
    return *this;
  }
  ElementBuilder& attr(const char* name, const std::optional<std::int64_t>& value) {
    if (value) e_.attrs.emplace_back(name, std::to_string(*value));
    return *this;
  }
  ElementBuilder& extra(const Attrs& attrs) {
    e_.attrs.insert(e_.attrs.end(), attrs.begin(), attrs.end());
    return *this;
  }
  ElementBuilder& child(XmlElement c) {
    e_.children.push_back(std::move(c));
    return *this;
  }
  XmlElement build() { return std::move(e_); }

 private:
  XmlElement e_;
};

XmlElement rule_xml(const Rule& r);

struct TermWriter {
  XmlElement operator()(const Expression& e) const {
    return ElementBuilder("expression")
        .attr("id", e.id)
        .attr("attribute", e.attribute)
        .attr("operation", e.operation)
        .attr("value", e.value)
        .attr("type", e.type)
        .extra(e.extra)
        .build();
  }
  XmlElement operator()(const Box<Rule>& r) const { return rule_xml(*r); }
  XmlElement operator()(const XmlElement& x) const { return x; }
};

XmlElement rule_xml(const Rule& r) {
  ElementBuilder b("rule");
  b.attr("id", r.id)
      .attr("id-ref", r.id_ref)
      .attr("score", r.score)
      .attr("score-attribute", r.score_attribute)
      .attr("boolean-op", r.boolean_op)
      .attr("role", r.role)
      .extra(r.extra);
  for (const RuleTerm& t : r.terms) b.child(std::visit(TermWriter{}, t));
  return b.build();
}

XmlElement set_xml(const AttrSet& s) {
  ElementBuilder b(set_element_name(s.kind));
  b.attr("id", s.id).attr("id-ref", s.id_ref).attr("score", s.score).extra(s.extra);
  for (const Rule& r : s.rules) b.child(rule_xml(r));
  for (const NvPair& p : s.nvpairs) {
    b.child(ElementBuilder("nvpair")
                .attr("id", p.id)
                .attr("id-ref", p.id_ref)
                .attr("name", p.name)
                .attr("value", p.value)
                .extra(p.extra)
                .build());
  }
  return b.build();
}

void add_sets(ElementBuilder& b, const std::vector<AttrSet>& sets) {
  for (const AttrSet& s : sets) b.child(set_xml(s));
}

XmlElement op_xml(const Op& op) {
  ElementBuilder b("op");
  b.attr("id", op.id)
      .attr("name", op.name)
      .attr("interval", op.interval)
      .attr("timeout", op.timeout)
      .attr("role", op.role)
      .attr("on-fail", op.on_fail)
      .extra(op.extra);
  add_sets(b, op.sets);
  return b.build();
}

XmlElement agent_xml(const char* element, const AgentResource& a, const OptString& template_id) {
  ElementBuilder b(element);
  b.attr("id", a.id)
      .attr("class", a.resource_class)
      .attr("provider", a.provider)
      .attr("type", a.type)
      .attr("template", template_id)
      .attr("description", a.description)
      .extra(a.extra);
  add_sets(b, a.sets);
  if (a.operations) {
    ElementBuilder ops("operations");
    ops.attr("id", a.operations->id)
        .attr("id-ref", a.operations->id_ref)
        .extra(a.operations->extra);
    for (const Op& op : a.operations->ops) ops.child(op_xml(op));
    b.child(ops.build());
  }
  return b.build();
}

XmlElement primitive_xml(const Primitive& p) { return agent_xml("primitive", p, p.template_id); }

XmlElement group_xml(const Group& g) {
  ElementBuilder b("group");
  b.attr("id", g.id).attr("description", g.description).extra(g.extra);
  add_sets(b, g.sets);
  for (const Primitive& p : g.members) b.child(primitive_xml(p));
  return b.build();
}

struct ResourceWriter {
  XmlElement operator()(const Primitive& p) const { return primitive_xml(p); }
  XmlElement operator()(const Group& g) const { return group_xml(g); }
  XmlElement operator()(const Clone& c) const {
    ElementBuilder b(c.element == CloneElement::kMaster ? "master" : "clone");
    b.attr("id", c.id).attr("description", c.description).extra(c.extra);
    add_sets(b, c.sets);
    if (const Primitive* p = std::get_if<Primitive>(&c.child)) {
      b.child(primitive_xml(*p));
    } else {
      b.child(group_xml(std::get<Group>(c.child)));
    }
    return b.build();
  }
  XmlElement operator()(const Template& t) const { return agent_xml("template", t, std::nullopt); }
  XmlElement operator()(const XmlElement& x) const { return x; }
};

void add_resource_sets(ElementBuilder& b, const std::vector<ResourceSet>& sets) {
  for (const ResourceSet& s : sets) {
    ElementBuilder rs("resource_set");
    rs.attr("id", s.id)
        .attr("id-ref", s.id_ref)
        .attr("sequential", s.sequential)
        .attr("require-all", s.require_all)
        .attr("ordering", s.ordering)
        .attr("action", s.action)
        .attr("role", s.role)
        .attr("score", s.score)
        .attr("kind", s.kind)
        .extra(s.extra);
    for (const ResourceRef& r : s.resources) {
      rs.child(ElementBuilder("resource_ref").attr("id", r.id).extra(r.extra).build());
    }
    b.child(rs.build());
  }
}

struct ConstraintWriter {
  XmlElement operator()(const Location& l) const {
    ElementBuilder b("rsc_location");
    b.attr("id", l.id)
        .attr("rsc", l.rsc)
        .attr("rsc-pattern", l.rsc_pattern)
        .attr("role", l.role)
        .attr("node", l.node)
        .attr("score", l.score)
        .attr("resource-discovery", l.resource_discovery)
        .extra(l.extra);
    add_resource_sets(b, l.sets);
    for (const Rule& r : l.rules) b.child(rule_xml(r));
    return b.build();
  }
  XmlElement operator()(const Colocation& c) const {
    ElementBuilder b("rsc_colocation");
    b.attr("id", c.id)
        .attr("score", c.score)
        .attr("rsc", c.rsc)
        .attr("with-rsc", c.with_rsc)
        .attr("rsc-role", c.rsc_role)
        .attr("with-rsc-role", c.with_rsc_role)
        .attr("node-attribute", c.node_attribute)
        .extra(c.extra);
    add_resource_sets(b, c.sets);
    return b.build();
  }
  XmlElement operator()(const Order& o) const {
    ElementBuilder b("rsc_order");
    b.attr("id", o.id)
        .attr("kind", o.kind)
        .attr("score", o.score)
        .attr("first", o.first)
        .attr("first-action", o.first_action)
        .attr("then", o.then)
        .attr("then-action", o.then_action)
        .attr("symmetrical", o.symmetrical)
        .extra(o.extra);
    add_resource_sets(b, o.sets);
    return b.build();
  }
  XmlElement operator()(const XmlElement& x) const { return x; }
};

XmlElement configuration_tree(const Configuration& c) {
  ElementBuilder conf("configuration");
  conf.extra(c.extra);
  ElementBuilder crm_config("crm_config");
  add_sets(crm_config, c.crm_config);
  conf.child(crm_config.build());
  ElementBuilder nodes("nodes");
  for (const Node& n : c.nodes) {
    ElementBuilder b("node");
    b.attr("id", n.id)
        .attr("uname", n.uname)
        .attr("type", n.type)
        .attr("description", n.description)
        .extra(n.extra);
    add_sets(b, n.sets);
    nodes.child(b.build());
  }
  conf.child(nodes.build());
  ElementBuilder resources("resources");
  for (const Resource& r : c.resources) resources.child(std::visit(ResourceWriter{}, r));
  conf.child(resources.build());
  ElementBuilder constraints("constraints");
  for (const Constraint& k : c.constraints) constraints.child(std::visit(ConstraintWriter{}, k));
  conf.child(constraints.build());
  if (c.rsc_defaults) {
    ElementBuilder b("rsc_defaults");
    add_sets(b, *c.rsc_defaults);
    conf.child(b.build());
  }
  if (c.op_defaults) {
    ElementBuilder b("op_defaults");
    add_sets(b, *c.op_defaults);
    conf.child(b.build());
  }
  for (const XmlElement& x : c.other_sections) conf.child(x);
  return conf.build();
}

XmlElement status_tree(const CibStatus& st) {
  ElementBuilder status("status");
  status.extra(st.extra);
  for (const NodeState& n : st.nodes) {
    ElementBuilder b("node_state");
    b.attr("id", n.id)
        .attr("uname", n.uname)
        .attr("in_ccm", n.in_ccm)
        .attr("crmd", n.crmd)
        .attr("crm-debug-origin", n.crm_debug_origin)
        .attr("join", n.join)
        .attr("expected", n.expected)
        .extra(n.extra);
    if (n.transient_attributes) {
      ElementBuilder t("transient_attributes");
      t.attr("id", n.transient_attributes->id).extra(n.transient_attributes->extra);
      add_sets(t, n.transient_attributes->sets);
      b.child(t.build());
    }
    if (n.lrm) {
      ElementBuilder resources("lrm_resources");
      resources.extra(n.lrm->resources_attrs);
      for (const LrmResource& r : n.lrm->resources) {
        ElementBuilder rb("lrm_resource");
        rb.attr("id", r.id)
            .attr("class", r.resource_class)
            .attr("provider", r.provider)
            .attr("type", r.type)
            .attr("container", r.container)
            .extra(r.extra);
        for (const LrmRscOp& op : r.ops) {
          rb.child(ElementBuilder("lrm_rsc_op")
                       .attr("id", op.id)
                       .attr("operation_key", op.operation_key)
                       .attr("operation", op.operation)
                       .attr("crm-debug-origin", op.crm_debug_origin)
                       .attr("crm_feature_set", op.crm_feature_set)
                       .attr("transition-key", op.transition_key)
                       .attr("transition-magic", op.transition_magic)
                       .attr("exit-reason", op.exit_reason)
                       .attr("on_node", op.on_node)
                       .attr("call-id", op.call_id)
                       .attr("rc-code", op.rc_code)
                       .attr("op-status", op.op_status)
                       .attr("interval", op.interval_ms)
                       .attr("last-run", op.last_run)
                       .attr("last-rc-change", op.last_rc_change)
                       .attr("exec-time", op.exec_time_ms)
                       .attr("queue-time", op.queue_time_ms)
                       .attr("op-digest", op.op_digest)
                       .extra(op.extra)
                       .build());
        }
        resources.child(rb.build());
      }
      b.child(ElementBuilder("lrm")
                  .attr("id", n.lrm->id)
                  .extra(n.lrm->extra)
                  .child(resources.build())
                  .build());
    }
    status.child(b.build());
  }
  return status.build();
}

void escape(std::string* out, const std::string& s, bool attribute) {
  for (char ch : s) {
    switch (ch) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += attribute ? "&quot;" : "\"";
        break;
      case '\t':
        *out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        *out += attribute ? "&#10;" : "\n";
        break;
      case '\r':  // in text too: a reader turns a raw CR into LF
        *out += "&#13;";
        break;
      default:
        *out += ch;
    }
  }
}

void serialize(std::string* out, const XmlElement& e, int depth) {
  out->append(static_cast<std::size_t>(depth) * 2, ' ');
  *out += '<';
  *out += e.name;
  for (const auto& [k, v] : e.attrs) {
    *out += ' ';
    *out += k;
    *out += "=\"";
    escape(out, v, true);
    *out += '"';
  }
  if (e.children.empty() && e.text.empty()) {
    *out += "/>\n";
    return;
  }
  *out += '>';
  escape(out, e.text, false);
  if (!e.children.empty()) {
    *out += '\n';
    for (const XmlElement& c : e.children) serialize(out, c, depth + 1);
    out->append(static_cast<std::size_t>(depth) * 2, ' ');
  }
  *out += "</";
  *out += e.name;
  *out += ">\n";
}

}  // namespace

XmlElement resource_xml(const Resource& resource) { return std::visit(ResourceWriter{}, resource); }

XmlElement attr_set_xml(const AttrSet& set) { return set_xml(set); }

std::string write_xml_element(const XmlElement& element, int depth) {
  std::string out;
  serialize(&out, element, depth);
  return out;
}

std::string write_configuration_xml(const Configuration& configuration) {
  return write_xml_element(configuration_tree(configuration));
}

std::string write_cib_xml(const Cib& cib) {
  ElementBuilder root("cib");
  root.attr("validate-with", cib.validate_with)
      .attr("epoch", std::to_string(cib.epoch))
      .attr("num_updates", std::to_string(cib.num_updates))
      .attr("admin_epoch", std::to_string(cib.admin_epoch))
      .extra(cib.extra)
      .child(configuration_tree(cib.configuration));
  if (cib.status) root.child(status_tree(*cib.status));
  return write_xml_element(root.build());
}

}  // namespace quorate::crm
