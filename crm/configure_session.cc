// A crm configure session. See configure_session.h.
#include "crm/configure_session.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "crm/cib_to_lang.h"
#include "crm/cib_xml.h"
#include "crm/lang_check.h"
#include "crm/lang_parser.h"
#include "crm/lang_printer.h"
#include "crm/lang_to_cib.h"

namespace quorate::crm {

namespace {

using lang::Command;

// The ids a container holds (children of group / clone / ms).
const std::vector<std::string>* children_of(const Command& c) {
  const auto* k = std::get_if<lang::Container>(&c.body);
  return k ? &k->children : nullptr;
}

// The configuration section lang_to_cib writes a definition into, for the
// definitions kept as untyped XML sections ("" for the others).
std::string section_of(const Command& c) {
  if (std::holds_alternative<lang::FencingTopology>(c.body)) return "fencing-topology";
  if (std::holds_alternative<lang::AclRole>(c.body) ||
      std::holds_alternative<lang::AclTarget>(c.body))
    return "acls";
  if (std::holds_alternative<lang::Alert>(c.body)) return "alerts";
  return "";
}

std::string position(const Command& c) {
  if (c.pos.line <= 0) return c.origin + ": ";
  return c.origin + ":" + std::to_string(c.pos.line) + ":" + std::to_string(c.pos.col) + ": ";
}

// --- ids held by typed elements (for ids a new object must not take) ------

void ids_of(const XmlElement& e, std::set<std::string>& out) {
  if (const std::string* id = find_attr(e.attrs, "id")) out.insert(*id);
  for (const auto& c : e.children) ids_of(c, out);
}

void ids_of(const Rule& r, std::set<std::string>& out) {
  if (r.id) out.insert(*r.id);
  for (const auto& t : r.terms) {
    if (const auto* e = std::get_if<Expression>(&t)) out.insert(e->id);
    if (const auto* b = std::get_if<Box<Rule>>(&t)) ids_of(**b, out);
    if (const auto* x = std::get_if<XmlElement>(&t)) ids_of(*x, out);
  }
}

void ids_of(const AttrSet& s, std::set<std::string>& out) {
  if (s.id) out.insert(*s.id);
  for (const auto& r : s.rules) ids_of(r, out);
  for (const auto& nv : s.nvpairs)
    if (nv.id) out.insert(*nv.id);
}

void ids_of(const AgentResource& r, std::set<std::string>& out) {
  out.insert(r.id);
  for (const auto& s : r.sets) ids_of(s, out);
  if (!r.operations) return;
  if (r.operations->id) out.insert(*r.operations->id);
  for (const auto& op : r.operations->ops) {
    out.insert(op.id);
    for (const auto& s : op.sets) ids_of(s, out);
  }
}

void ids_of(const Resource& r, std::set<std::string>& out) {
  if (const auto* p = std::get_if<Primitive>(&r))
    ids_of(static_cast<const AgentResource&>(*p), out);
  if (const auto* t = std::get_if<Template>(&r)) ids_of(static_cast<const AgentResource&>(*t), out);
  if (const auto* x = std::get_if<XmlElement>(&r)) ids_of(*x, out);
  if (const auto* g = std::get_if<Group>(&r)) {
    out.insert(g->id);
    for (const auto& s : g->sets) ids_of(s, out);
    for (const auto& m : g->members) ids_of(Resource{m}, out);
  }
  if (const auto* c = std::get_if<Clone>(&r)) {
    out.insert(c->id);
    for (const auto& s : c->sets) ids_of(s, out);
    std::visit([&](const auto& child) { ids_of(Resource{child}, out); }, c->child);
  }
}

void ids_of(const Constraint& c, std::set<std::string>& out) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, XmlElement>) {
          ids_of(x, out);
        } else {
          out.insert(x.id);
          for (const auto& s : x.sets)
            if (s.id) out.insert(*s.id);
          if constexpr (std::is_same_v<T, Location>) {
            for (const auto& r : x.rules) ids_of(r, out);
          }
        }
      },
      c);
}

std::string constraint_id(const Constraint& c) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, XmlElement>) {
          const std::string* id = find_attr(x.attrs, "id");
          return id ? *id : std::string();
        } else {
          return x.id;
        }
      },
      c);
}

}  // namespace

void children_first(std::vector<Command>& objects) {
  // Bounded: each move puts a container after a child; n² moves at most.
  const size_t limit = objects.size() * objects.size() + 1;
  for (size_t round = 0; round < limit; ++round) {
    bool moved = false;
    for (size_t i = 0; i < objects.size() && !moved; ++i) {
      const auto* kids = children_of(objects[i]);
      if (!kids) continue;
      size_t last = i;
      for (size_t j = i + 1; j < objects.size(); ++j) {
        if (std::find(kids->begin(), kids->end(), lang::object_id(objects[j])) != kids->end())
          last = j;
      }
      if (last == i) continue;
      Command c = std::move(objects[i]);
      objects.erase(objects.begin() + static_cast<std::ptrdiff_t>(i));
      objects.insert(objects.begin() + static_cast<std::ptrdiff_t>(last), std::move(c));
      moved = true;
    }
    if (!moved) return;
  }
}

ConfigureSession::ConfigureSession(Cib base, std::string origin)
    : base_(std::move(base)), origin_(std::move(origin)) {
  reset_from_base();
}

void ConfigureSession::reset_from_base() {
  std::vector<Command> cmds = lang::from_configuration(base_.configuration, origin_);
  children_first(cmds);
  base_objects_ = lang::apply_commands(cmds).objects;
  objects_ = base_objects_;
  where_.clear();
  pending_ = false;
}

std::string ConfigureSession::where(const std::string& object) const {
  auto it = where_.find(object);
  return it != where_.end() ? it->second : origin_ + ": ";
}

std::vector<Error> ConfigureSession::execute(const Command& command) {
  if (const auto* s = std::get_if<lang::ShellCommand>(&command.body)) {
    if (s->name != "user") {
      return {Error{position(command) + s->name + ": not a configuration command here"}};
    }
  }
  std::vector<Command> copy = objects_;
  std::vector<Error> errors = lang::apply_command(copy, command);
  if (!errors.empty()) return errors;
  children_first(copy);
  objects_ = std::move(copy);
  const std::string at = position(command);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, lang::Delete>) {
          for (const auto& id : x.ids) where_[id] = at;
        } else if constexpr (std::is_same_v<T, lang::Rename>) {
          where_[x.to] = at;
        } else if constexpr (std::is_same_v<T, lang::ModGroup>) {
          where_[x.group] = at;
        } else if constexpr (std::is_same_v<T, lang::Monitor>) {
          where_[x.rsc] = at;
        } else {
          where_[lang::object_id(command)] = at;
        }
      },
      command.body);
  pending_ = true;
  return {};
}

std::vector<Error> ConfigureSession::load(LoadMode mode, std::string_view text,
                                          const std::string& origin) {
  std::vector<Command> cmds;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '<') {
    Result<Configuration> conf = Error{""};
    if (text.find("<cib") != std::string_view::npos) {
      auto cib = parse_cib_xml(text, origin);
      if (!cib) return {cib.error()};
      conf = std::move(cib->configuration);
    } else {
      conf = parse_configuration_xml(text, origin);
      if (!conf) return {conf.error()};
    }
    cmds = lang::from_configuration(*conf, origin);
    children_first(cmds);
  } else {
    auto parsed = lang::parse_crm(text, origin);
    if (!parsed) return {parsed.error()};
    cmds = std::move(*parsed);
  }
  std::vector<Command> next;
  std::vector<Error> errors;
  if (mode == LoadMode::kReplace) {
    lang::Applied a = lang::apply_commands(cmds);
    errors = std::move(a.errors);
    next = std::move(a.objects);
  } else {
    next = objects_;
    for (const auto& c : cmds) {
      const std::string id = lang::object_id(c);
      const bool definition = !id.empty() && !std::holds_alternative<lang::PropertySet>(c.body) &&
                              !std::holds_alternative<lang::ShellCommand>(c.body);
      auto it = std::find_if(next.begin(), next.end(),
                             [&](const Command& o) { return lang::object_id(o) == id; });
      if (definition && it != next.end()) {
        *it = c;  // update: the new definition replaces the old one in place
        continue;
      }
      for (auto& e : lang::apply_command(next, c)) errors.push_back(std::move(e));
    }
    children_first(next);
    // The result must hold together as a whole (containers and their children).
    lang::Applied check = lang::apply_commands(next);
    for (auto& e : check.errors) errors.push_back(std::move(e));
  }
  if (!errors.empty()) return errors;
  children_first(next);
  objects_ = std::move(next);
  for (const auto& c : cmds) {
    const std::string id = lang::object_id(c);
    if (!id.empty()) where_[id] = position(c);
  }
  pending_ = true;
  return {};
}

void ConfigureSession::erase(bool nodes) {
  std::erase_if(objects_, [&](const Command& c) {
    return nodes || !std::holds_alternative<lang::Node>(c.body);
  });
  pending_ = true;
}

Result<std::string> ConfigureSession::show(const std::vector<std::string>& ids) const {
  std::set<std::string> wanted;
  for (const auto& id : ids) {
    const bool known = std::any_of(objects_.begin(), objects_.end(),
                                   [&](const Command& c) { return lang::object_id(c) == id; });
    if (!known) return Error{"object " + id + " does not exist"};
    wanted.insert(id);
  }
  return lang::show(objects_, wanted);
}

namespace {

bool holds_any(const Resource& r, const std::set<std::string>& ids) {
  std::set<std::string> all;
  ids_of(r, all);
  return std::any_of(ids.begin(), ids.end(),
                     [&](const std::string& id) { return all.count(id) != 0; });
}

}  // namespace

Result<std::string> ConfigureSession::show_xml(const std::vector<std::string>& ids) const {
  Configuration conf = configuration();
  if (!ids.empty()) {
    for (const auto& id : ids) {
      const bool known = std::any_of(objects_.begin(), objects_.end(),
                                     [&](const Command& c) { return lang::object_id(c) == id; });
      if (!known) return Error{"object " + id + " does not exist"};
    }
    const std::set<std::string> wanted(ids.begin(), ids.end());
    auto keep_set = [&](std::vector<AttrSet>& sets) {
      std::erase_if(sets, [&](const AttrSet& s) { return !s.id || wanted.count(*s.id) == 0; });
    };
    keep_set(conf.crm_config);
    if (conf.rsc_defaults) keep_set(*conf.rsc_defaults);
    if (conf.op_defaults) keep_set(*conf.op_defaults);
    std::erase_if(conf.nodes, [&](const Node& n) {
      return wanted.count(n.id) == 0 && wanted.count(n.uname) == 0;
    });
    std::erase_if(conf.resources, [&](const Resource& r) { return !holds_any(r, wanted); });
    std::erase_if(conf.constraints,
                  [&](const Constraint& c) { return wanted.count(constraint_id(c)) == 0; });
    for (auto& s : conf.other_sections) {
      std::erase_if(s.children, [&](const XmlElement& e) {
        const std::string* id = find_attr(e.attrs, "id");
        return !id || wanted.count(*id) == 0;
      });
    }
    std::erase_if(conf.other_sections, [](const XmlElement& s) { return s.children.empty(); });
  }
  Cib cib = base_;
  cib.configuration = std::move(conf);
  cib.status.reset();
  return "<?xml version=\"1.0\" ?>\n" + write_cib_xml(cib);
}

// What the conversion cannot write: a fencing device, node, ACL role or
// bundle primitive that is not defined, an unknown ACL specification.
Status ConfigureSession::check_supported() const {
  std::vector<Error> errors;
  lang::objects_to_configuration(objects_, {}, &errors);
  if (!errors.empty()) return errors.front();
  return Status::Ok();
}

Configuration ConfigureSession::configuration() const {
  const Configuration& old = base_.configuration;
  std::map<std::string, const Command*> before;
  for (const auto& c : base_objects_) before[lang::object_id(c)] = &c;
  auto unchanged = [&](const std::string& id) {
    auto b = before.find(id);
    if (b == before.end()) return false;
    auto a = std::find_if(objects_.begin(), objects_.end(),
                          [&](const Command& c) { return lang::object_id(c) == id; });
    return a != objects_.end() && a->body == b->second->body;
  };
  // A generated section whose definitions are all as they were keeps its
  // elements (and their generated ids) as the CIB has them.
  auto section_unchanged = [&](const std::string& name) {
    auto defs = [&](const std::vector<Command>& objs) {
      std::vector<const Command*> out;
      for (const auto& c : objs)
        if (section_of(c) == name) out.push_back(&c);
      return out;
    };
    const auto b = defs(base_objects_);
    const auto a = defs(objects_);
    return std::equal(b.begin(), b.end(), a.begin(), a.end(),
                      [](const Command* x, const Command* y) { return x->body == y->body; });
  };
  auto generated_section = [](const std::string& name) {
    return name == "tags" || name == "fencing-topology" || name == "acls" || name == "alerts";
  };
  auto is_bundle = [](const Resource& r) {
    const auto* x = std::get_if<XmlElement>(&r);
    return x && x->name == "bundle";
  };
  // A bundle is as it was when it and the primitive it holds are.
  auto bundle_unchanged = [&](const Resource& r) {
    const auto& x = std::get<XmlElement>(r);
    bool same = unchanged(resource_id(r));
    for (const auto& ch : x.children) {
      const std::string* pid = ch.name == "primitive" ? find_attr(ch.attrs, "id") : nullptr;
      if (pid) same = same && unchanged(*pid);
    }
    return same;
  };

  // Typed elements of the CIB by id, and the ids unchanged objects keep.
  std::map<std::string, Resource> old_resources;
  std::set<std::string> reserved;
  std::vector<const Resource*> stack;
  for (const auto& r : old.resources) stack.push_back(&r);
  while (!stack.empty()) {
    const Resource* r = stack.back();
    stack.pop_back();
    const std::string id = resource_id(*r);
    old_resources.emplace(id, *r);
    if (const auto* g = std::get_if<Group>(r)) {
      for (const auto& m : g->members) {
        old_resources.emplace(m.id, Resource{m});
        if (unchanged(m.id)) ids_of(Resource{m}, reserved);
      }
      if (unchanged(id)) {
        reserved.insert(id);
        for (const auto& s : g->sets) ids_of(s, reserved);
      }
    } else if (const auto* c = std::get_if<Clone>(r)) {
      std::visit([&](const auto& child) { old_resources.emplace(child.id, Resource{child}); },
                 c->child);
      if (const auto* cg = std::get_if<Group>(&c->child)) stack.push_back(&old_resources[cg->id]);
      if (const auto* cp = std::get_if<Primitive>(&c->child)) {
        if (unchanged(cp->id)) ids_of(Resource{*cp}, reserved);
      }
      if (unchanged(id)) {
        reserved.insert(id);
        for (const auto& s : c->sets) ids_of(s, reserved);
      }
    } else if (is_bundle(*r) ? bundle_unchanged(*r)
                             : (unchanged(id) || std::holds_alternative<XmlElement>(*r))) {
      ids_of(*r, reserved);
    }
  }
  std::map<std::string, Constraint> old_constraints;
  for (const auto& c : old.constraints) {
    const std::string id = constraint_id(c);
    old_constraints.emplace(id, c);
    if (unchanged(id) ||
        (std::holds_alternative<XmlElement>(c) && std::get<XmlElement>(c).name != "rsc_ticket")) {
      ids_of(c, reserved);
    }
  }
  for (const auto& s : old.other_sections)
    if (!generated_section(s.name) || (s.name != "tags" && section_unchanged(s.name)))
      ids_of(s, reserved);
  for (const auto& n : old.nodes) {
    if (!unchanged(n.id)) continue;
    reserved.insert(n.id);
    for (const auto& s : n.sets) ids_of(s, reserved);
  }
  for (const auto* sets : {&old.crm_config, old.rsc_defaults ? &*old.rsc_defaults : nullptr,
                           old.op_defaults ? &*old.op_defaults : nullptr}) {
    if (!sets) continue;
    for (const auto& s : *sets)
      if (s.id && unchanged(*s.id)) ids_of(s, reserved);
  }

  Configuration conf = lang::objects_to_configuration(objects_, reserved);

  // Unchanged objects: their elements as they were.
  for (auto& n : conf.nodes) {
    if (!unchanged(n.id)) continue;
    auto it = std::find_if(old.nodes.begin(), old.nodes.end(),
                           [&](const Node& o) { return o.id == n.id; });
    if (it != old.nodes.end()) n = *it;
  }
  // Returns whether `r` is now wholly the CIB's element.
  std::function<bool(Resource&)> keep = [&](Resource& r) -> bool {
    const std::string id = resource_id(r);
    bool all = unchanged(id);
    if (auto* g = std::get_if<Group>(&r)) {
      for (auto& m : g->members) {
        Resource mr{m};
        all = keep(mr) && all;
        m = std::get<Primitive>(mr);
      }
    } else if (auto* c = std::get_if<Clone>(&r)) {
      Resource cr = std::visit([](const auto& x) { return Resource{x}; }, c->child);
      all = keep(cr) && all;
      if (auto* p = std::get_if<Primitive>(&cr)) c->child = *p;
      if (auto* cg = std::get_if<Group>(&cr)) c->child = *cg;
    }
    if (is_bundle(r)) all = bundle_unchanged(r);
    auto it = old_resources.find(id);
    if (!all || it == old_resources.end() || it->second.index() != r.index()) return false;
    r = it->second;
    return true;
  };
  for (auto& r : conf.resources) keep(r);
  for (auto& c : conf.constraints) {
    const std::string id = constraint_id(c);
    auto it = old_constraints.find(id);
    if (unchanged(id) && it != old_constraints.end()) c = it->second;
  }
  auto keep_sets = [&](std::vector<AttrSet>& sets, const std::vector<AttrSet>* from) {
    if (!from) return;
    for (auto& s : sets) {
      if (!s.id || !unchanged(*s.id)) continue;
      auto it =
          std::find_if(from->begin(), from->end(), [&](const AttrSet& o) { return o.id == s.id; });
      if (it != from->end()) s = *it;
    }
  };
  keep_sets(conf.crm_config, &old.crm_config);
  if (conf.rsc_defaults)
    keep_sets(*conf.rsc_defaults, old.rsc_defaults ? &*old.rsc_defaults : nullptr);
  if (conf.op_defaults) keep_sets(*conf.op_defaults, old.op_defaults ? &*old.op_defaults : nullptr);
  if (!conf.rsc_defaults && old.rsc_defaults && old.rsc_defaults->empty())
    conf.rsc_defaults.emplace();
  if (!conf.op_defaults && old.op_defaults && old.op_defaults->empty()) conf.op_defaults.emplace();

  // What the language does not write: unknown resources, unknown
  // constraints, unknown sections, attributes of <configuration>.
  for (const auto& r : old.resources)
    if (std::holds_alternative<XmlElement>(r) && !is_bundle(r)) conf.resources.push_back(r);
  for (const auto& c : old.constraints) {
    const auto* x = std::get_if<XmlElement>(&c);
    if (x && x->name != "rsc_ticket") conf.constraints.push_back(c);
  }
  // Sections stay where the CIB has them; new ones follow in lang_to_cib's order.
  std::vector<XmlElement> sections;
  std::set<std::string> placed;
  auto generated = [&](const std::string& name) -> const XmlElement* {
    for (const auto& s : conf.other_sections)
      if (s.name == name) return &s;
    return nullptr;
  };
  for (const auto& s : old.other_sections) {
    if (!generated_section(s.name)) {
      sections.push_back(s);
      continue;
    }
    placed.insert(s.name);
    if (s.name != "tags" && section_unchanged(s.name)) {
      sections.push_back(s);
    } else if (const XmlElement* g = generated(s.name)) {
      sections.push_back(*g);
    }
  }
  for (const auto& s : conf.other_sections)
    if (placed.count(s.name) == 0) sections.push_back(s);
  conf.other_sections = std::move(sections);
  conf.extra = old.extra;
  return conf;
}

std::vector<Finding> ConfigureSession::verify() const {
  std::vector<Finding> out;
  if (Status s = check_supported(); !s) {
    out.push_back(Finding{Finding::Severity::kError, "", s.error().message});
  }
  for (Finding f : validate_configuration(configuration())) {
    f.message = where(f.object) + f.message;
    out.push_back(std::move(f));
  }
  return out;
}

Result<Cib> ConfigureSession::commit() {
  std::string errors;
  for (const auto& f : verify()) {
    if (f.severity == Finding::Severity::kError) errors += (errors.empty() ? "" : "\n") + f.message;
  }
  if (!errors.empty()) return Error{errors};
  Cib next = base_;
  next.configuration = configuration();
  if (!(next.configuration == base_.configuration)) {
    ++next.epoch;
    next.num_updates = 0;
  }
  base_ = next;
  reset_from_base();
  return next;
}

}  // namespace quorate::crm
