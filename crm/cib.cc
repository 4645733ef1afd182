// Small queries over the CIB model (crm/cib.h); the model itself is plain data.
#include "crm/cib.h"

#include <algorithm>
#include <cstring>

namespace quorate::crm {

std::string_view TextStore::keep(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > free_bytes_) {
    // A string larger than a chunk gets a chunk of its own.
    const std::size_t bytes = std::max(kChunkBytes, text.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
    free_ = chunks_.back().get();
    free_bytes_ = bytes;
  }
  char* at = free_;
  std::memcpy(at, text.data(), text.size());
  free_ += text.size();
  free_bytes_ -= text.size();
  kept_bytes_ += text.size();
  return {at, text.size()};
}

void TextStore::absorb(TextStore&& other) {
  // This store's free space stays in its current chunk, wherever that now
  // sits in the list: only the order of chunks changes, never their place.
  for (auto& chunk : other.chunks_) chunks_.push_back(std::move(chunk));
  kept_bytes_ += other.kept_bytes_;
  other.chunks_.clear();
  other.free_ = nullptr;
  other.free_bytes_ = 0;
  other.kept_bytes_ = 0;
}

std::string_view Cib::keep(std::string_view value) {
  if (!text.store) text.store = std::make_shared<TextStore>();
  return text.store->keep(value);
}

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
