#include "crm/sched_inject.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>

#include "crm/lang_parser.h"
#include "crm/lang_to_cib.h"

namespace quorate::crm::sched {

namespace {

const Node* config_node(const Cib& cib, std::string_view name) {
  for (const Node& n : cib.configuration.nodes) {
    if (n.uname == name || n.id == name) return &n;
  }
  return nullptr;
}

NodeState& node_state(Cib& cib, const Node& n) {
  if (!cib.status) cib.status = CibStatus{};
  for (NodeState& ns : cib.status->nodes) {
    if (ns.id == n.id || (ns.uname && *ns.uname == n.uname)) return ns;
  }
  NodeState ns;
  ns.id = n.id;
  ns.uname = n.uname;
  ns.in_ccm = "true";
  ns.crmd = "online";
  ns.join = "member";
  ns.expected = "member";
  ns.crm_debug_origin = "crm_simulate";
  cib.status->nodes.push_back(std::move(ns));
  return cib.status->nodes.back();
}

// The primitive an operation may be recorded for: its own id, or an
// instance "id:N" of a clone of it.
const Primitive* find_primitive(const Cib& cib, std::string_view rsc) {
  const std::string_view base = rsc.substr(0, rsc.find(':'));
  const bool instance = base.size() != rsc.size();
  for (const Resource& r : cib.configuration.resources) {
    if (const auto* p = std::get_if<Primitive>(&r)) {
      if (!instance && p->id == rsc) return p;
    } else if (const auto* g = std::get_if<Group>(&r)) {
      for (const Primitive& m : g->members) {
        if (!instance && m.id == rsc) return &m;
      }
    } else if (const auto* c = std::get_if<Clone>(&r)) {
      if (const auto* cp = std::get_if<Primitive>(&c->child)) {
        if (cp->id == base) return cp;
      } else if (const auto* cg = std::get_if<Group>(&c->child)) {
        for (const Primitive& m : cg->members) {
          if (m.id == base) return &m;
        }
      }
    }
  }
  return nullptr;
}

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct OpSpec {
  std::string rsc, task, node;
  int64_t interval_ms = 0;
  int64_t rc = 0;
};

Result<OpSpec> parse_spec(std::string_view spec) {
  auto bad = [&](std::string_view why) {
    return Error{fmt::format("'{}': {} (expected RSC_TASK_INTERVAL@NODE=RC, e.g. db_monitor_10000@node1=7)",
                             spec, why)};
  };
  const size_t at = spec.rfind('@');
  if (at == std::string_view::npos) return bad("no '@NODE'");
  const size_t eq = spec.find('=', at);
  if (eq == std::string_view::npos) return bad("no '=RC'");
  OpSpec o;
  o.node = std::string(spec.substr(at + 1, eq - at - 1));
  if (o.node.empty()) return bad("empty node name");
  const auto rc = to_int(spec.substr(eq + 1));
  if (!rc || *rc < 0 || *rc > 255) return bad("RC is not an exit code 0..255");
  o.rc = *rc;
  std::string_view key = spec.substr(0, at);
  const size_t u2 = key.rfind('_');
  if (u2 == std::string_view::npos) return bad("no '_INTERVAL'");
  const auto interval = to_int(key.substr(u2 + 1));
  if (!interval || *interval < 0) return bad("INTERVAL is not a number of milliseconds");
  o.interval_ms = *interval;
  key = key.substr(0, u2);
  size_t u1 = key.rfind('_');
  if (u1 == std::string_view::npos) return bad("no '_TASK'");
  std::string_view task = key.substr(u1 + 1);
  // migrate_to / migrate_from carry an underscore of their own.
  if ((task == "to" || task == "from") && u1 >= 8 && key.substr(u1 - 8, 8) == "_migrate") {
    u1 -= 8;
    task = key.substr(u1 + 1);
  }
  static constexpr std::string_view kTasks[] = {"start",  "stop",   "monitor",    "promote",
                                                "demote", "notify", "migrate_to", "migrate_from"};
  if (std::find(std::begin(kTasks), std::end(kTasks), task) == std::end(kTasks)) {
    return bad(fmt::format("unknown task '{}'", task));
  }
  o.task = std::string(task);
  o.rsc = std::string(key.substr(0, u1));
  if (o.rsc.empty()) return bad("empty resource id");
  return o;
}

}  // namespace

Status inject_node(Cib& cib, std::string_view node, NodeInjection what, std::vector<std::string>* log) {
  const Node* n = config_node(cib, node);
  if (n == nullptr) return Error{fmt::format("node '{}' is not in the configuration", node)};
  // (in_ccm, crmd, join, expected) as crm_simulate writes them, and its words.
  struct Fields {
    const char* in_ccm;
    const char* crmd;
    const char* join;
    const char* expected;
    const char* says;
  };
  static constexpr Fields kUp{"true", "online", "member", "member", "Bringing node {} online"};
  static constexpr Fields kDown{"false", "offline", "down", "down", "Taking node {} offline"};
  static constexpr Fields kFail{"false", "offline", "down", "member", "Failing node {}"};
  const Fields& f = what == NodeInjection::kUp ? kUp : what == NodeInjection::kDown ? kDown : kFail;
  NodeState& ns = node_state(cib, *n);
  ns.in_ccm = f.in_ccm;
  ns.crmd = f.crmd;
  ns.join = f.join;
  ns.expected = f.expected;
  if (log) log->push_back(fmt::format(fmt::runtime(f.says), n->uname));
  return Status::Ok();
}

Status inject_op(Cib& cib, std::string_view spec, int64_t now_s, std::vector<std::string>* log) {
  auto parsed = parse_spec(spec);
  if (!parsed.ok()) return parsed.error();
  const OpSpec& o = *parsed;
  const Node* n = config_node(cib, o.node);
  if (n == nullptr) return Error{fmt::format("'{}': node '{}' is not in the configuration", spec, o.node)};
  const Primitive* prim = find_primitive(cib, o.rsc);
  if (prim == nullptr) {
    return Error{fmt::format("'{}': '{}' is not a primitive (or an instance RSC:N of a cloned one)", spec, o.rsc)};
  }
  NodeState& ns = node_state(cib, *n);
  if (log) log->push_back(fmt::format("Injecting {} into the configuration", spec));
  if (!ns.lrm) ns.lrm = Lrm{};
  if (!ns.lrm->id) ns.lrm->id = n->id;
  auto it = std::find_if(ns.lrm->resources.begin(), ns.lrm->resources.end(),
                         [&](const LrmResource& r) { return r.id == o.rsc; });
  if (it == ns.lrm->resources.end()) {
    LrmResource r;
    r.id = o.rsc;
    r.resource_class = prim->resource_class;
    r.provider = prim->provider;
    r.type = prim->type;
    ns.lrm->resources.push_back(std::move(r));
    it = ns.lrm->resources.end() - 1;
  }
  int64_t call_id = 0;
  for (const LrmRscOp& op : it->ops) call_id = std::max(call_id, op.call_id.value_or(0));
  // The expected result of each action (a probe expects "not running");
  // anything else is a failure.
  const bool probe = o.task == "monitor" && o.interval_ms == 0;
  const int64_t target = probe ? 7 : 0;
  const bool ok = o.rc == target || o.rc == 0 || (o.task == "monitor" && o.rc == 8);
  // The entry's text goes into the Cib's text store (crm/cib.h).
  LrmRscOp op;
  op.operation = cib.keep(o.task);
  op.interval_ms = o.interval_ms;
  op.operation_key = cib.keep(fmt::format("{}_{}_{}", o.rsc, o.task, o.interval_ms));
  op.call_id = call_id + 1;
  op.rc_code = o.rc;
  op.op_status = 0;
  op.crm_debug_origin = "crm_simulate";
  // As crm_simulate writes them: transition-key CALL:-1:TARGET:UUID and
  // transition-magic STATUS:RC;KEY (the executor's view of what was expected).
  op.transition_key = cib.keep(fmt::format("{}:-1:{}:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", *op.call_id, target));
  op.transition_magic = cib.keep(fmt::format("0:{};{}", o.rc, *op.transition_key));
  op.last_rc_change = now_s;
  op.exec_time_ms = 0;
  op.queue_time_ms = 0;
  if (!ok) op.exit_reason = "Simulated action result";
  auto replace = [&](LrmRscOp entry, std::string_view id) {
    entry.id = cib.keep(id);
    auto e = std::find_if(it->ops.begin(), it->ops.end(), [&](const LrmRscOp& x) { return x.id == entry.id; });
    if (e != it->ops.end()) *e = std::move(entry);
    else it->ops.push_back(std::move(entry));
  };
  // A non-recurring result is the resource's last one; a recurring monitor
  // keeps its own entry while it succeeds. A failure is also kept as the
  // last failure, with a fail count and the time of the failure.
  if (o.interval_ms == 0) replace(op, o.rsc + "_last_0");
  else if (ok) replace(op, *op.operation_key);
  if (ok) return Status::Ok();
  replace(op, o.rsc + "_last_failure_0");
  if (!ns.transient_attributes) ns.transient_attributes = TransientAttributes{n->id, {}, {}};
  auto& sets = ns.transient_attributes->sets;
  if (sets.empty()) {
    AttrSet a;
    a.id = n->id;
    sets.push_back(std::move(a));
  }
  AttrSet& attrs = sets.front();
  const std::string suffix = fmt::format("{}#{}_{}", o.rsc, o.task, o.interval_ms);
  auto set_attr = [&](const std::string& name, const std::function<std::string(const OptString&)>& value) {
    std::string id = fmt::format("{}-{}", n->id, name);
    std::replace(id.begin(), id.end(), '#', '.');
    for (NvPair& nv : attrs.nvpairs) {
      if (nv.name == name) {
        nv.value = value(nv.value);
        return;
      }
    }
    attrs.nvpairs.push_back(NvPair{id, std::nullopt, name, value(std::nullopt), {}});
  };
  set_attr("fail-count-" + suffix, [](const OptString& old) {
    const auto v = old ? to_int(*old) : std::nullopt;
    return std::to_string(v ? *v + 1 : 1);
  });
  set_attr("last-failure-" + suffix, [now_s](const OptString&) { return std::to_string(now_s); });
  if (log) {
    log->push_back(fmt::format("Injecting attribute fail-count-{}=value++ into /node_state '{}'", suffix, n->uname));
    log->push_back(fmt::format("Injecting attribute last-failure-{}={} into /node_state '{}'", suffix, now_s, n->uname));
  }
  return Status::Ok();
}

Result<Cib> cib_from_crm_simulation(std::string_view text, const std::string& origin, int64_t now_s) {
  // Split at a line that is exactly "status" (surrounding blanks allowed).
  size_t status_at = std::string_view::npos;
  int status_line = 0;
  {
    size_t pos = 0;
    int line = 1;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view l = text.substr(pos, end - pos);
      const size_t b = l.find_first_not_of(" \t\r");
      const size_t e = l.find_last_not_of(" \t\r");
      if (b != std::string_view::npos && l.substr(b, e - b + 1) == "status") {
        status_at = pos;
        status_line = line;
        break;
      }
      if (end == text.size()) break;
      pos = end + 1;
      ++line;
    }
  }
  const std::string_view config_text = text.substr(0, status_at == std::string_view::npos ? text.size() : status_at);
  auto commands = lang::parse_crm(config_text, origin);
  if (!commands.ok()) return commands.error();
  auto configuration = lang::to_configuration(*commands);
  if (!configuration.ok()) return Error{fmt::format("{}: {}", origin, configuration.error().message)};
  Cib cib;
  cib.configuration = std::move(configuration).value();
  cib.extra.emplace_back("have-quorum", "1");
  cib.status = CibStatus{};
  if (status_at == std::string_view::npos) return cib;
  // The status lines.
  size_t pos = text.find('\n', status_at);
  int line = status_line;
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;
    ++line;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (const size_t hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    std::vector<std::string_view> words;
    for (size_t i = 0; i < l.size();) {
      const size_t b = l.find_first_not_of(" \t\r", i);
      if (b == std::string_view::npos) break;
      const size_t e = std::min(l.find_first_of(" \t\r", b), l.size());
      words.push_back(l.substr(b, e - b));
      i = e;
    }
    pos = end;
    if (words.empty()) continue;
    auto where = [&](const std::string& what) { return Error{fmt::format("{}:{}: {}", origin, line, what)}; };
    if (words[0] == "node" && words.size() == 3) {
      NodeInjection k;
      if (words[2] == "up") k = NodeInjection::kUp;
      else if (words[2] == "down") k = NodeInjection::kDown;
      else if (words[2] == "fail") k = NodeInjection::kFail;
      else return where(fmt::format("node {}: expected up, down or fail, found '{}'", words[1], words[2]));
      if (Status s = inject_node(cib, words[1], k); !s.ok()) return where(s.error().message);
    } else if (words[0] == "op" && words.size() == 2) {
      if (Status s = inject_op(cib, words[1], now_s); !s.ok()) return where(s.error().message);
    } else {
      return where(fmt::format("expected 'node NAME up|down|fail' or 'op RSC_TASK_INTERVAL@NODE=RC', found '{}'",
                               std::string(l.substr(l.find_first_not_of(" \t"), std::string_view::npos))));
    }
  }
  return cib;
}

}  // namespace quorate::crm::sched
