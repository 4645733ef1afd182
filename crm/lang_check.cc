// Evaluation of configure sessions and whole-configuration checks. See
// lang_check.h.
#include "crm/lang_check.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "crm/lang_lexer.h"

namespace quorate::crm::lang {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

const char* default_set_id(PropertySet::Kind k) {
  switch (k) {
    case PropertySet::Kind::kProperty:
      return "cib-bootstrap-options";
    case PropertySet::Kind::kRscDefaults:
      return "rsc-options";
    case PropertySet::Kind::kOpDefaults:
      return "op-options";
  }
  return "";
}

std::string kind_name(const Command& c) {
  if (const auto* p = std::get_if<Primitive>(&c.body)) {
    return p->is_template ? "rsc_template" : "primitive";
  }
  return c.name;
}

bool valid_xml_id(const std::string& id) {
  if (id.empty()) return false;
  auto c0 = static_cast<unsigned char>(id[0]);
  if (!(std::isalpha(c0) || c0 == '_' || c0 >= 0x80)) return false;
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.' || c >= 0x80)) return false;
  }
  return true;
}

bool is_resource(const Command& c) {
  return std::holds_alternative<Primitive>(c.body) || std::holds_alternative<Container>(c.body) ||
         std::holds_alternative<Bundle>(c.body);
}

std::string pos_prefix(const Command& c) {
  return c.origin + ":" + std::to_string(c.pos.line) + ":" + std::to_string(c.pos.col) + ": ";
}

void merge_pairs(std::vector<NvPair>& into, const std::vector<NvPair>& from) {
  for (const auto& p : from) {
    auto it = std::find_if(into.begin(), into.end(), [&](const NvPair& q) {
      return !p.name.empty() && q.name == p.name && q.ref.empty();
    });
    if (it != into.end()) {
      *it = p;
    } else {
      into.push_back(p);
    }
  }
}

void rename_refs(Command& c, const std::string& from, const std::string& to) {
  auto fix = [&](std::string& s) {
    if (s == from) s = to;
  };
  auto fix_sets = [&](std::vector<ResourceSet>& sets) {
    for (auto& s : sets)
      for (auto& it : s.items) fix(it.rsc);
  };
  std::visit(
      Overloaded{[&](Container& x) {
                   for (auto& ch : x.children) fix(ch);
                 },
                 [&](Location& x) {
                   fix(x.rsc);
                   fix_sets(x.sets);
                 },
                 [&](Colocation& x) { fix_sets(x.sets); }, [&](Order& x) { fix_sets(x.sets); },
                 [&](RscTicket& x) { fix_sets(x.sets); },
                 [&](Tag& x) {
                   for (auto& m : x.members) fix(m);
                 },
                 [&](auto&) {}},
      c.body);
}

void set_id(Command& c, const std::string& id) {
  std::visit(Overloaded{[&](Node& x) { x.id = id; }, [&](Primitive& x) { x.id = id; },
                        [&](Container& x) { x.id = id; }, [&](Location& x) { x.id = id; },
                        [&](Colocation& x) { x.id = id; }, [&](Order& x) { x.id = id; },
                        [&](RscTicket& x) { x.id = id; }, [&](PropertySet& x) { x.body.id = id; },
                        [&](Tag& x) { x.id = id; }, [&](AclRole& x) { x.id = id; },
                        [&](AclTarget& x) { x.id = id; }, [&](Alert& x) { x.id = id; },
                        [&](Bundle& x) { x.id = id; }, [&](auto&) {}},
             c.body);
}

class Session {
 public:
  Applied out;

  Command* find(const std::string& id) {
    for (auto& o : out.objects) {
      if (object_id(o) == id) return &o;
    }
    return nullptr;
  }
  void error(const Command& c, const std::string& msg) {
    out.errors.push_back(Error{pos_prefix(c) + msg});
  }

  void run(const Command& c);

 private:
  void add_container(const Command& c, const Container& g);
};

void Session::add_container(const Command& c, const Container& g) {
  for (const auto& ch : g.children) {
    Command* m = find(ch);
    if (!m || !is_resource(*m)) {
      error(c, g.id + " refers to missing object " + ch);
      return;
    }
    if (g.kind == Container::Kind::kGroup && !std::holds_alternative<Primitive>(m->body)) {
      error(c, "Cannot create group:" + g.id + ": child " + ch + " is not a primitive");
      return;
    }
    for (auto& o : out.objects) {
      const auto* other = std::get_if<Container>(&o.body);
      if (!other) continue;
      if (std::find(other->children.begin(), other->children.end(), ch) != other->children.end()) {
        error(c, "Cannot create " + c.name + ":" + g.id + ": Child " + kind_name(*m) + ":" + ch +
                     " already in " + o.name + ":" + other->id);
        return;
      }
    }
  }
  out.objects.push_back(c);
}

void Session::run(const Command& c) {
  if (const auto* n = std::get_if<Node>(&c.body)) {
    for (auto& o : out.objects) {
      auto* x = std::get_if<Node>(&o.body);
      if (x && x->uname == n->uname) {
        for (const auto& s : n->sets) x->sets.push_back(s);
        if (n->description) x->description = n->description;
        return;
      }
    }
    out.objects.push_back(c);
    return;
  }
  if (const auto* p = std::get_if<PropertySet>(&c.body)) {
    Command copy = c;
    auto& ps = std::get<PropertySet>(copy.body);
    if (ps.body.id.empty()) ps.body.id = default_set_id(ps.kind);
    for (auto& o : out.objects) {
      auto* x = std::get_if<PropertySet>(&o.body);
      if (!x || x->kind != p->kind || x->body.id != ps.body.id) continue;
      if (!ps.body.rules.empty() && (!x->body.pairs.empty() || !x->body.rules.empty())) {
        std::string rule_text;
        for (const auto& r : ps.body.rules) {
          rule_text += rule_text.empty() ? "rule" : " rule";
          for (size_t k = 0; k < r.expressions.size(); ++k) {
            const auto& e = r.expressions[k];
            if (k > 0) rule_text += " " + r.bool_op;
            rule_text += " " + e.attribute + " " + e.op + " " + e.value;
          }
        }
        error(c, "syntax in " + c.name + ": Unknown arguments: " + rule_text +
                     " (a rule cannot be merged into the existing set " + ps.body.id + ")");
        return;
      }
      merge_pairs(x->body.pairs, ps.body.pairs);
      for (const auto& r : ps.body.rules) x->body.rules.push_back(r);
      return;
    }
    out.objects.push_back(copy);
    return;
  }
  if (const auto* m = std::get_if<Monitor>(&c.body)) {
    Command* o = find(m->rsc);
    auto* prim = o ? std::get_if<Primitive>(&o->body) : nullptr;
    if (!prim) {
      error(c, "monitor: primitive " + m->rsc + " not found");
      return;
    }
    Op op;
    op.name = "monitor";
    op.pos = c.pos;
    if (!m->role.empty()) op.attributes.push_back(NvPair{"", "role", m->role, ""});
    op.attributes.push_back(NvPair{"", "interval", m->interval, ""});
    if (!m->timeout.empty()) op.attributes.push_back(NvPair{"", "timeout", m->timeout, ""});
    prim->ops.push_back(op);
    return;
  }
  if (const auto* d = std::get_if<Delete>(&c.body)) {
    for (const auto& id : d->ids) {
      auto it = std::find_if(out.objects.begin(), out.objects.end(),
                             [&](const Command& o) { return object_id(o) == id; });
      if (it == out.objects.end()) {
        error(c, "object " + id + " does not exist");
        continue;
      }
      out.objects.erase(it);
    }
    return;
  }
  if (const auto* r = std::get_if<Rename>(&c.body)) {
    Command* o = find(r->from);
    if (!o) {
      error(c, "object " + r->from + " does not exist");
      return;
    }
    if (find(r->to)) {
      error(c, "id " + r->to + " is already in use");
      return;
    }
    set_id(*o, r->to);
    for (auto& x : out.objects) rename_refs(x, r->from, r->to);
    return;
  }
  if (const auto* g = std::get_if<ModGroup>(&c.body)) {
    Command* o = find(g->group);
    auto* grp = o ? std::get_if<Container>(&o->body) : nullptr;
    if (!grp || grp->kind != Container::Kind::kGroup) {
      error(c, "group " + g->group + " does not exist");
      return;
    }
    auto& ch = grp->children;
    auto pos = std::find(ch.begin(), ch.end(), g->rsc);
    if (!g->add) {
      if (pos == ch.end()) {
        error(c, g->rsc + " is not a member of group " + g->group);
        return;
      }
      ch.erase(pos);
      return;
    }
    if (pos != ch.end()) {
      error(c, g->rsc + " is already a member of group " + g->group);
      return;
    }
    if (!find(g->rsc)) {
      error(c, g->group + " refers to missing object " + g->rsc);
      return;
    }
    if (g->where.empty()) {
      ch.push_back(g->rsc);
      return;
    }
    auto ref = std::find(ch.begin(), ch.end(), g->ref);
    if (ref == ch.end()) {
      error(c, g->ref + " is not a member of group " + g->group);
      return;
    }
    if (g->where == "after") ++ref;
    ch.insert(ref, g->rsc);
    return;
  }
  if (const auto* s = std::get_if<ShellCommand>(&c.body)) {
    if (s->name == "user") error(c, "user not supported by the RNG schema");
    return;
  }
  // A definition with an id.
  const std::string id = object_id(c);
  if (!std::holds_alternative<FencingTopology>(c.body)) {
    if (!valid_xml_id(id)) {
      error(c, id + ": invalid object id");
      return;
    }
    if (Command* o = find(id)) {
      error(c, "Cannot create " + kind_name(c) + " with ID '" + id + "': Found existing " +
                   kind_name(*o) + " with same ID.");
      return;
    }
  }
  if (const auto* g = std::get_if<Container>(&c.body)) {
    add_container(c, *g);
    return;
  }
  out.objects.push_back(c);
}

bool valid_score(std::string s) {
  if (iequals(s, "mandatory") || iequals(s, "advisory")) return true;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s = s.substr(1);
  if (iequals(s, "inf") || iequals(s, "infinity")) return true;
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(ch) != 0; });
}

// Required parameters of a few well-known agents (from their metadata).
std::vector<std::string> required_params(const Primitive& p) {
  if (p.cls != "ocf" || p.provider != "heartbeat") return {};
  if (p.type == "IPaddr2" || p.type == "IPaddr") return {"ip"};
  if (p.type == "Filesystem") return {"device", "directory", "fstype"};
  return {};
}

void check_objects(const std::vector<Command>& objs, std::vector<Error>& errors) {
  std::set<std::string> resources;
  std::map<std::string, const Command*> by_id;
  bool any_primitive = false;
  for (const auto& o : objs) {
    by_id[object_id(o)] = &o;
    if (is_resource(o) || std::holds_alternative<Tag>(o.body)) resources.insert(object_id(o));
    if (const auto* p = std::get_if<Primitive>(&o.body)) any_primitive |= !p->is_template;
  }
  auto err = [&](const Command& c, const std::string& m) {
    errors.push_back(Error{pos_prefix(c) + m});
  };
  auto check_ref = [&](const Command& c, const std::string& cid, const std::string& rsc,
                       const char* attr) {
    if (!resources.count(rsc)) {
      err(c, cid + ": resource " + rsc + " does not exist (IDREF attribute " + attr +
                 " references an unknown ID \"" + rsc + "\")");
    }
  };
  auto check_sets = [&](const Command& c, const std::string& cid,
                        const std::vector<ResourceSet>& sets) {
    for (const auto& s : sets)
      for (const auto& it : s.items) check_ref(c, cid, it.rsc, "rsc");
  };
  // Sets (by explicit id or generated owner-kind id) that $id-ref may name.
  std::set<std::string> set_ids;
  for (const auto& o : objs) {
    auto add_sets = [&](const std::string& owner, const std::vector<AttrList>& sets) {
      for (const auto& s : sets) {
        if (!s.id.empty()) set_ids.insert(s.id);
        std::string suffix = s.kind == "meta"          ? "-meta_attributes"
                             : s.kind == "utilization" ? "-utilization"
                                                       : "-instance_attributes";
        set_ids.insert(owner + suffix);
        set_ids.insert(s.kind + ":" + owner);
      }
    };
    if (const auto* p = std::get_if<Primitive>(&o.body)) add_sets(p->id, p->sets);
    if (const auto* g = std::get_if<Container>(&o.body)) add_sets(g->id, g->sets);
    if (const auto* n = std::get_if<Node>(&o.body)) add_sets(n->id, n->sets);
  }
  for (const auto& o : objs) {
    if (const auto* l = std::get_if<Location>(&o.body)) {
      if (!l->rsc.empty()) check_ref(o, l->id, l->rsc, "rsc");
      check_sets(o, l->id, l->sets);
      if (l->rules.empty() && !valid_score(l->score)) {
        err(o, l->id + ": invalid score '" + l->score +
                   "' for a node (rsc_location: Expecting an element rule, got nothing; schema "
                   "validation failed)");
      }
    } else if (const auto* c = std::get_if<Colocation>(&o.body)) {
      check_sets(o, c->id, c->sets);
      if (!valid_score(c->score)) {
        err(o, c->id + ": invalid score '" + c->score +
                   "' (rsc_colocation: Invalid attribute score-attribute; schema validation "
                   "failed)");
      }
    } else if (const auto* r = std::get_if<Order>(&o.body)) {
      check_sets(o, r->id, r->sets);
    } else if (const auto* t = std::get_if<RscTicket>(&o.body)) {
      check_sets(o, t->id, t->sets);
    } else if (const auto* p = std::get_if<Primitive>(&o.body)) {
      for (const auto& s : p->sets) {
        if (s.id_ref.empty() || set_ids.count(s.id_ref) || set_ids.count(s.kind + ":" + s.id_ref))
          continue;
        std::string elem = s.kind == "meta"          ? "meta_attributes"
                           : s.kind == "utilization" ? "utilization"
                                                     : "instance_attributes";
        err(o, p->id + ": No match for //" + elem + "[@id='" + s.id_ref + "'] in /cib");
      }
      if (!p->template_ref.empty() && !by_id.count(p->template_ref)) {
        err(o, p->id + ": template " + p->template_ref + " does not exist");
      }
      if (any_primitive) {
        for (const auto& req : required_params(*p)) {
          bool have = false;
          for (const auto& s : p->sets) {
            if (s.kind != "params") continue;
            for (const auto& nv : s.pairs) have |= nv.name == req;
            have |= !s.id_ref.empty();
          }
          if (!have) err(o, p->id + ": required parameter \"" + req + "\" not defined");
        }
      }
    }
  }
}

}  // namespace

std::string object_id(const Command& c) {
  return std::visit(
      Overloaded{[](const Node& x) { return x.id.empty() ? x.uname : x.id; },
                 [](const Primitive& x) { return x.id; }, [](const Container& x) { return x.id; },
                 [](const Location& x) { return x.id; }, [](const Colocation& x) { return x.id; },
                 [](const Order& x) { return x.id; }, [](const RscTicket& x) { return x.id; },
                 [](const PropertySet& x) {
                   return x.body.id.empty() ? std::string(default_set_id(x.kind)) : x.body.id;
                 },
                 [](const Tag& x) { return x.id; },
                 [](const FencingTopology&) { return std::string("fencing_topology"); },
                 [](const AclRole& x) { return x.id; }, [](const AclTarget& x) { return x.id; },
                 [](const Alert& x) { return x.id; }, [](const Bundle& x) { return x.id; },
                 [](const auto&) { return std::string(); }},
      c.body);
}

Applied apply_commands(const std::vector<Command>& commands) {
  Session s;
  for (const auto& c : commands) s.run(c);
  return std::move(s.out);
}

std::vector<Error> apply_command(std::vector<Command>& objects, const Command& command) {
  Session s;
  s.out.objects = objects;
  s.run(command);
  if (s.out.errors.empty()) objects = std::move(s.out.objects);
  return std::move(s.out.errors);
}

Status check_crm(const std::vector<Command>& commands) {
  Applied a = apply_commands(commands);
  check_objects(a.objects, a.errors);
  if (!a.errors.empty()) return a.errors.front();
  return Status::Ok();
}

}  // namespace quorate::crm::lang
