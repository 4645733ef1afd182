// Small queries over the CIB model (crm/cib.h); the model itself is plain data.
#include "crm/cib.h"

namespace quorate::crm {

const std::string* find_attr(const Attrs& attrs, std::string_view name) {
  for (const auto& [k, v] : attrs) {
    if (k == name) return &v;
  }
  return nullptr;
}

const std::string* AttrSet::find(std::string_view name) const {
  for (const NvPair& p : nvpairs) {
    if (p.name && *p.name == name && p.value) return &*p.value;
  }
  return nullptr;
}

const char* set_element_name(SetKind kind) {
  switch (kind) {
    case SetKind::kInstance:
      return "instance_attributes";
    case SetKind::kMeta:
      return "meta_attributes";
    case SetKind::kUtilization:
      return "utilization";
    case SetKind::kClusterProperty:
      return "cluster_property_set";
  }
  return "instance_attributes";
}

bool Clone::promotable() const {
  if (element == CloneElement::kMaster) return true;
  for (const AttrSet& s : sets) {
    if (s.kind != SetKind::kMeta) continue;
    if (const std::string* v = s.find("promotable")) {
      return *v == "true" || *v == "yes" || *v == "1" || *v == "on" || *v == "y";
    }
  }
  return false;
}

std::string resource_id(const Resource& r) {
  struct Visitor {
    std::string operator()(const Primitive& p) const { return p.id; }
    std::string operator()(const Group& g) const { return g.id; }
    std::string operator()(const Clone& c) const { return c.id; }
    std::string operator()(const Template& t) const { return t.id; }
    std::string operator()(const XmlElement& x) const {
      const std::string* id = find_attr(x.attrs, "id");
      return id ? *id : std::string();
    }
  };
  return std::visit(Visitor{}, r);
}

const std::string* Cib::attr(std::string_view name) const { return find_attr(extra, name); }

}  // namespace quorate::crm
