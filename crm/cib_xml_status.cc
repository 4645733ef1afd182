// CIB XML reader, <status>: node_state with transient attributes and the
// local resource manager's operation history (lrm_resource / lrm_rsc_op).
// Status ids are not configuration ids (an lrm_resource repeats its
// resource's id), so nothing here takes part in the duplicate-id check.
#include <string>
#include <string_view>
#include <utility>

#include "crm/cib_xml_internal.h"

namespace quorate::crm::xml_detail {
namespace {

Status parse_rsc_op(ParseContext& ctx, pugi::xml_node node, LrmRscOp* out) {
  AttrTaker t(ctx, node);
  auto id = t.require("id");
  if (!id) return id.error();
  out->id = std::move(*id);
  auto operation = t.require("operation");
  if (!operation) return operation.error();
  out->operation = std::move(*operation);
  out->operation_key = t.take("operation_key");
  out->crm_debug_origin = t.take("crm-debug-origin");
  out->crm_feature_set = t.take("crm_feature_set");
  out->transition_key = t.take("transition-key");
  out->transition_magic = t.take("transition-magic");
  out->exit_reason = t.take("exit-reason");
  for (auto [name, field] :
       {std::pair{"call-id", &out->call_id}, std::pair{"rc-code", &out->rc_code},
        std::pair{"op-status", &out->op_status}, std::pair{"interval", &out->interval_ms},
        std::pair{"last-run", &out->last_run}, std::pair{"last-rc-change", &out->last_rc_change},
        std::pair{"exec-time", &out->exec_time_ms}, std::pair{"queue-time", &out->queue_time_ms}}) {
    auto v = t.take_int(name);
    if (!v) return v.error();
    *field = *v;
  }
  out->op_digest = t.take("op-digest");
  out->on_node = t.take("on_node");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return unexpected_child(ctx, c, "no child elements");
  }
  return {};
}

Status parse_lrm_resource(ParseContext& ctx, pugi::xml_node node, LrmResource* out) {
  AttrTaker t(ctx, node);
  auto id = t.require("id");
  if (!id) return id.error();
  out->id = std::move(*id);
  out->resource_class = t.take("class");
  out->provider = t.take("provider");
  out->type = t.take("type");
  out->container = t.take("container");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "lrm_rsc_op") return unexpected_child(ctx, c, "lrm_rsc_op");
    LrmRscOp op;
    if (Status s = parse_rsc_op(ctx, c, &op); !s) return s;
    out->ops.push_back(std::move(op));
  }
  return {};
}

Status parse_lrm(ParseContext& ctx, pugi::xml_node node, Lrm* out) {
  AttrTaker t(ctx, node);
  out->id = t.take("id");
  out->extra = t.rest();
  bool seen = false;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "lrm_resources" || seen) {
      return unexpected_child(ctx, c, "one lrm_resources");
    }
    seen = true;
    for (pugi::xml_attribute a : c.attributes())
      out->resources_attrs.emplace_back(a.name(), a.value());
    for (pugi::xml_node r = c.first_child(); r; r = r.next_sibling()) {
      if (r.type() != pugi::node_element) continue;
      if (std::string_view(r.name()) != "lrm_resource") {
        return unexpected_child(ctx, r, "lrm_resource");
      }
      LrmResource res;
      if (Status s = parse_lrm_resource(ctx, r, &res); !s) return s;
      out->resources.push_back(std::move(res));
    }
  }
  return {};
}

Status parse_transient(ParseContext& ctx, pugi::xml_node node, TransientAttributes* out) {
  AttrTaker t(ctx, node);
  out->id = t.take("id");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    SetKind kind;
    if (name == "instance_attributes") {
      kind = SetKind::kInstance;
    } else if (name == "utilization") {
      kind = SetKind::kUtilization;
    } else {
      return unexpected_child(ctx, c, "instance_attributes or utilization");
    }
    AttrSet set;
    if (Status s = parse_set(ctx, c, kind, &set); !s) return s;
    out->sets.push_back(std::move(set));
  }
  return {};
}

Status parse_node_state(ParseContext& ctx, pugi::xml_node node, NodeState* out) {
  AttrTaker t(ctx, node);
  auto id = t.require("id");
  if (!id) return id.error();
  out->id = std::move(*id);
  out->uname = t.take("uname");
  out->in_ccm = t.take("in_ccm");
  out->crmd = t.take("crmd");
  out->join = t.take("join");
  out->expected = t.take("expected");
  out->crm_debug_origin = t.take("crm-debug-origin");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "transient_attributes" && !out->transient_attributes) {
      out->transient_attributes.emplace();
      if (Status s = parse_transient(ctx, c, &*out->transient_attributes); !s) return s;
    } else if (name == "lrm" && !out->lrm) {
      out->lrm.emplace();
      if (Status s = parse_lrm(ctx, c, &*out->lrm); !s) return s;
    } else {
      return unexpected_child(ctx, c, "one transient_attributes and one lrm");
    }
  }
  return {};
}

Status parse_status_nodes(ParseContext& ctx, pugi::xml_node node, CibStatus* out) {
  AttrTaker t(ctx, node);
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "node_state") return unexpected_child(ctx, c, "node_state");
    NodeState ns;
    if (Status s = parse_node_state(ctx, c, &ns); !s) return s;
    out->nodes.push_back(std::move(ns));
  }
  return {};
}

}  // namespace

Status parse_status(ParseContext& ctx, pugi::xml_node node, CibStatus* out) {
  ctx.set_id_checking(false);
  Status s = parse_status_nodes(ctx, node, out);
  ctx.set_id_checking(true);
  return s;
}

}  // namespace quorate::crm::xml_detail
