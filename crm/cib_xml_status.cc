// CIB XML reader, <status>: node_state with transient attributes and the
// local resource manager's operation history (lrm_resource / lrm_rsc_op).
// Status ids are not configuration ids (an lrm_resource repeats its
// resource's id), so nothing here takes part in the duplicate-id check.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <system_error>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "crm/cib_xml_internal.h"

namespace quorate::crm::xml_detail {
namespace {

// lrm_rsc_op and lrm_resource are nearly all of a large status section (one
// lrm_resource per resource per node, one lrm_rsc_op per recorded operation),
// so they are read with take_attrs (one pass, no per-element allocation)
// rather than AttrTaker. Errors are the same as AttrTaker's, in the same order.
constexpr std::string_view kRscOpAttrs[] = {"id",
                                            "operation_key",
                                            "operation",
                                            "crm-debug-origin",
                                            "crm_feature_set",
                                            "transition-key",
                                            "transition-magic",
                                            "exit-reason",
                                            "on_node",
                                            "call-id",
                                            "rc-code",
                                            "op-status",
                                            "interval",
                                            "last-run",
                                            "last-rc-change",
                                            "exec-time",
                                            "queue-time",
                                            "op-digest"};

// The number of element children of `node` (an upper bound for what is
// kept; anything else is an error).
std::size_t element_children(pugi::xml_node node) {
  std::size_t n = 0;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling())
    n += c.type() == pugi::node_element ? 1 : 0;
  return n;
}

OptString opt(const char* value) {
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// lrm_rsc_op text goes into the Cib's TextStore (crm/cib.h); the few
// operation names are not copied at all.
std::string_view kept(ParseContext& ctx, const char* value) {
  static constexpr std::string_view kCommon[] = {"monitor", "start", "stop", "promote", "demote",
                                                 "notify", "migrate_to", "migrate_from"};
  const std::string_view text(value);
  for (std::string_view c : kCommon)
    if (text == c) return c;
  return ctx.text_store()->keep(text);
}

OptView opt_kept(ParseContext& ctx, const char* value) {
  if (value == nullptr) return std::nullopt;
  return ctx.text_store()->keep(value);
}

Error missing(ParseContext& ctx, pugi::xml_node node, std::string_view name) {
  return ctx.error(node, "missing attribute '" + std::string(name) + "'");
}

Status parse_rsc_op(ParseContext& ctx, pugi::xml_node node, LrmRscOp* out) {
  const char* v[std::size(kRscOpAttrs)];
  take_attrs(node, kRscOpAttrs, v, &out->extra);
  if (v[0] == nullptr) return missing(ctx, node, "id");
  if (v[2] == nullptr) return missing(ctx, node, "operation");
  out->id = ctx.text_store()->keep(v[0]);
  out->operation = kept(ctx, v[2]);
  out->operation_key = opt_kept(ctx, v[1]);
  out->crm_debug_origin = opt_kept(ctx, v[3]);
  out->crm_feature_set = opt_kept(ctx, v[4]);
  out->transition_key = opt_kept(ctx, v[5]);
  out->transition_magic = opt_kept(ctx, v[6]);
  out->exit_reason = opt_kept(ctx, v[7]);
  out->on_node = opt_kept(ctx, v[8]);
  std::optional<std::int64_t>* const ints[] = {
      &out->call_id,  &out->rc_code,        &out->op_status,    &out->interval_ms,
      &out->last_run, &out->last_rc_change, &out->exec_time_ms, &out->queue_time_ms};
  for (std::size_t i = 0; i < std::size(ints); ++i) {
    const char* text = v[9 + i];
    if (text == nullptr) continue;
    *ints[i] = parse_int(text);
    if (!*ints[i]) {
      return ctx.error(node, "expected an integer for '" + std::string(kRscOpAttrs[9 + i]) +
                                 "', got '" + text + "'");
    }
  }
  out->op_digest = opt_kept(ctx, v[17]);
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return unexpected_child(ctx, c, "no child elements");
  }
  return {};
}

constexpr std::string_view kLrmResourceAttrs[] = {"id", "class", "provider", "type", "container"};

Status parse_lrm_resource(ParseContext& ctx, pugi::xml_node node, LrmResource* out) {
  const char* v[std::size(kLrmResourceAttrs)];
  take_attrs(node, kLrmResourceAttrs, v, &out->extra);
  if (v[0] == nullptr) return missing(ctx, node, "id");
  out->id = v[0];
  out->resource_class = opt(v[1]);
  out->provider = opt(v[2]);
  out->type = opt(v[3]);
  out->container = opt(v[4]);
  out->ops.reserve(element_children(node));
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "lrm_rsc_op") return unexpected_child(ctx, c, "lrm_rsc_op");
    if (Status s = parse_rsc_op(ctx, c, &out->ops.emplace_back()); !s) return s;
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
    // One lrm_resource per resource on this node: sized once, not regrown.
    out->resources.reserve(element_children(c));
    for (pugi::xml_node r = c.first_child(); r; r = r.next_sibling()) {
      if (r.type() != pugi::node_element) continue;
      if (std::string_view(r.name()) != "lrm_resource") {
        return unexpected_child(ctx, r, "lrm_resource");
      }
      if (Status s = parse_lrm_resource(ctx, r, &out->resources.emplace_back()); !s) return s;
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
  if (Status s = parse_status_attrs(ctx, node, out); !s) return s;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (std::string_view(c.name()) != "node_state") return unexpected_child(ctx, c, "node_state");
    NodeState ns;
    if (Status s = parse_node_state(ctx, c, &ns); !s) return s;
    out->nodes.push_back(std::move(ns));
  }
  return {};
}

// One worker of parse_node_states: takes the next unread element until none
// is left or any worker failed.
void read_node_states(const std::vector<std::string_view>& node_states, const std::string& origin,
                      std::atomic<std::size_t>* next, std::atomic<bool>* failed, TextStore* store,
                      std::vector<NodeState>* out) {
  pugi::xml_document doc;
  for (std::size_t i = next->fetch_add(1); i < node_states.size() && !failed->load();
       i = next->fetch_add(1)) {
    const std::string_view text = node_states[i];
    ParseContext ctx(text, origin);
    ctx.set_id_checking(false);
    ctx.set_text_store(store);
    const pugi::xml_parse_result r =
        doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
    const pugi::xml_node root = doc.document_element();
    if (!r || std::string_view(root.name()) != "node_state" ||
        !parse_node_state(ctx, root, &(*out)[i])) {
      failed->store(true);
      return;
    }
  }
}

}  // namespace

Status parse_status_attrs(ParseContext& ctx, pugi::xml_node node, CibStatus* out) {
  AttrTaker t(ctx, node);
  out->extra = t.rest();
  return {};
}

Status parse_node_states(const std::vector<std::string_view>& node_states,
                         const std::string& origin, TextStore* store, unsigned threads,
                         std::vector<NodeState>* out) {
  out->assign(node_states.size(), NodeState{});
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  threads = std::max(1U, std::min<unsigned>(threads, static_cast<unsigned>(node_states.size())));
  if (threads == 1) {
    read_node_states(node_states, origin, &next, &failed, store, out);
  } else {
    // A TextStore per worker (it has one writer), merged in afterwards: the
    // views into each stay valid as their chunks move to `store`.
    std::vector<TextStore> stores(threads - 1);
    std::vector<std::thread> workers;
    workers.reserve(threads - 1);
    for (unsigned w = 0; w + 1 < threads; ++w) {
      try {
        workers.emplace_back(
            [&, w] { read_node_states(node_states, origin, &next, &failed, &stores[w], out); });
      } catch (const std::system_error&) {
        break;  // no thread to be had: the ones started and this one do it all
      }
    }
    read_node_states(node_states, origin, &next, &failed, store, out);
    for (std::thread& t : workers) t.join();
    for (TextStore& s : stores) store->absorb(std::move(s));
  }
  if (failed.load()) return Error{origin + ": a <node_state> could not be read"};
  return {};
}

Status parse_status(ParseContext& ctx, pugi::xml_node node, CibStatus* out) {
  assert(ctx.text_store() != nullptr);
  ctx.set_id_checking(false);
  Status s = parse_status_nodes(ctx, node, out);
  ctx.set_id_checking(true);
  return s;
}

}  // namespace quorate::crm::xml_detail
