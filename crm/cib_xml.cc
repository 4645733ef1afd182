// CIB XML reader: entry points, the parse context (line:col and paths in
// errors, duplicate ids), and the pieces every section shares — name/value
// sets, rules, untyped subtrees. Sections: cib_xml_config.cc,
// cib_xml_status.cc; the writer: cib_xml_write.cc.
#include "crm/cib_xml.h"

#include <algorithm>
#include <charconv>
#include <thread>
#include <utility>

#include "crm/cib_xml_internal.h"

namespace quorate::crm {
namespace xml_detail {

ParseContext::ParseContext(std::string_view text, std::string origin)
    : text_(text), origin_(std::move(origin)) {}

std::pair<int, int> ParseContext::line_col(std::ptrdiff_t offset) const {
  if (offset < 0) offset = 0;
  const std::string_view before = text_.substr(0, static_cast<std::size_t>(offset));
  const auto line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
  const std::size_t nl = before.rfind('\n');
  const std::size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
  const auto col = static_cast<int>(static_cast<std::size_t>(offset) - line_start) + 1;
  return {line, col};
}

std::string ParseContext::path(pugi::xml_node node) {
  std::vector<std::string> parts;
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    std::string part = n.name();
    if (pugi::xml_attribute id = n.attribute("id")) {
      part += "[@id='";
      part += id.value();
      part += "']";
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

Error ParseContext::error_at_offset(std::ptrdiff_t offset, const std::string& what) const {
  auto [line, col] = line_col(offset);
  return Error{origin_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what};
}

Error ParseContext::error(pugi::xml_node node, const std::string& what) const {
  // offset_debug() points at the element's name; report the '<' before it.
  std::ptrdiff_t offset = node.offset_debug();
  if (node.type() == pugi::node_element && offset > 0) --offset;
  return error_at_offset(offset, path(node) + ": " + what);
}

Status ParseContext::note_id(pugi::xml_node node, const std::string& id) {
  if (!checking_ids_) return {};
  std::ptrdiff_t offset = node.offset_debug();
  if (offset > 0) --offset;
  auto [it, inserted] = ids_.emplace(id, offset);
  if (!inserted) {
    return error(node, "duplicate id '" + id + "' (first used at line " +
                           std::to_string(line_col(it->second).first) + ")");
  }
  return {};
}

AttrTaker::AttrTaker(ParseContext& ctx, pugi::xml_node node) : ctx_(ctx), node_(node) {
  for (pugi::xml_attribute a : node.attributes()) attrs_.emplace_back(a, false);
}

OptString AttrTaker::take(std::string_view name) {
  for (auto& [a, taken] : attrs_) {
    if (!taken && name == a.name()) {
      taken = true;
      return std::string(a.value());
    }
  }
  return std::nullopt;
}

Result<std::string> AttrTaker::require(std::string_view name) {
  OptString v = take(name);
  if (!v) return ctx_.error(node_, "missing attribute '" + std::string(name) + "'");
  return std::move(*v);
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t n = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (text.empty() || ec != std::errc() || ptr != last) return std::nullopt;
  return n;
}

Result<std::optional<std::int64_t>> AttrTaker::take_int(std::string_view name) {
  OptString v = take(name);
  if (!v) return std::optional<std::int64_t>();
  const std::optional<std::int64_t> n = parse_int(*v);
  if (!n) {
    return ctx_.error(node_,
                      "expected an integer for '" + std::string(name) + "', got '" + *v + "'");
  }
  return n;
}

Attrs AttrTaker::rest() const {
  Attrs out;
  for (const auto& [a, taken] : attrs_) {
    if (!taken) out.emplace_back(a.name(), a.value());
  }
  return out;
}

Error unexpected_child(ParseContext& ctx, pugi::xml_node child, std::string_view expected) {
  return ctx.error(child, "unexpected element <" + std::string(child.name()) + "> (expected " +
                              std::string(expected) + ")");
}

XmlElement parse_generic(pugi::xml_node node) {
  XmlElement out;
  out.name = node.name();
  for (pugi::xml_attribute a : node.attributes()) out.attrs.emplace_back(a.name(), a.value());
  std::string text;
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element) {
      out.children.push_back(parse_generic(c));
    } else if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      text += c.value();
    }
  }
  const auto not_space = [](char ch) {
    return ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r';
  };
  auto b = std::find_if(text.begin(), text.end(), not_space);
  auto e = std::find_if(text.rbegin(), text.rend(), not_space).base();
  if (b < e) out.text.assign(b, e);
  return out;
}

Status note_generic_id(ParseContext& ctx, pugi::xml_node node) {
  if (pugi::xml_attribute id = node.attribute("id")) return ctx.note_id(node, id.value());
  return {};
}

namespace {

// Requires `id` unless the element is an id-ref; registers the id.
Status take_id_or_ref(ParseContext& ctx, AttrTaker& t, OptString* id, OptString* id_ref) {
  *id = t.take("id");
  *id_ref = t.take("id-ref");
  if (!*id && !*id_ref) return ctx.error(t.node(), "missing attribute 'id'");
  if (*id) return ctx.note_id(t.node(), **id);
  return {};
}

Status parse_nvpair(ParseContext& ctx, pugi::xml_node node, NvPair* out) {
  AttrTaker t(ctx, node);
  if (Status s = take_id_or_ref(ctx, t, &out->id, &out->id_ref); !s) return s;
  out->name = t.take("name");
  out->value = t.take("value");
  if (!out->name && !out->id_ref) return ctx.error(node, "missing attribute 'name'");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return unexpected_child(ctx, c, "no child elements");
  }
  return {};
}

Status parse_expression(ParseContext& ctx, pugi::xml_node node, Expression* out) {
  AttrTaker t(ctx, node);
  auto id = t.require("id");
  if (!id) return id.error();
  out->id = std::move(*id);
  if (Status s = ctx.note_id(node, out->id); !s) return s;
  auto attribute = t.require("attribute");
  if (!attribute) return attribute.error();
  out->attribute = std::move(*attribute);
  auto operation = t.require("operation");
  if (!operation) return operation.error();
  out->operation = std::move(*operation);
  out->value = t.take("value");
  out->type = t.take("type");
  out->extra = t.rest();
  return {};
}

}  // namespace

Status parse_rule(ParseContext& ctx, pugi::xml_node node, Rule* out) {
  AttrTaker t(ctx, node);
  if (Status s = take_id_or_ref(ctx, t, &out->id, &out->id_ref); !s) return s;
  out->score = t.take("score");
  out->score_attribute = t.take("score-attribute");
  out->boolean_op = t.take("boolean-op");
  out->role = t.take("role");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "expression") {
      Expression e;
      if (Status s = parse_expression(ctx, c, &e); !s) return s;
      out->terms.emplace_back(std::move(e));
    } else if (name == "rule") {
      Rule r;
      if (Status s = parse_rule(ctx, c, &r); !s) return s;
      out->terms.emplace_back(Box<Rule>(std::move(r)));
    } else if (name == "date_expression" || name == "rsc_expression" || name == "op_expression") {
      if (Status s = note_generic_id(ctx, c); !s) return s;
      out->terms.emplace_back(parse_generic(c));
    } else {
      return unexpected_child(ctx, c,
                              "expression, date_expression, rsc_expression, op_expression or rule");
    }
  }
  return {};
}

Status parse_set(ParseContext& ctx, pugi::xml_node node, SetKind kind, AttrSet* out) {
  out->kind = kind;
  AttrTaker t(ctx, node);
  if (Status s = take_id_or_ref(ctx, t, &out->id, &out->id_ref); !s) return s;
  out->score = t.take("score");
  out->extra = t.rest();
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "nvpair") {
      NvPair p;
      if (Status s = parse_nvpair(ctx, c, &p); !s) return s;
      out->nvpairs.push_back(std::move(p));
    } else if (name == "rule") {
      Rule r;
      if (Status s = parse_rule(ctx, c, &r); !s) return s;
      out->rules.push_back(std::move(r));
    } else {
      return unexpected_child(ctx, c, "nvpair or rule");
    }
  }
  return {};
}

namespace {

struct Loaded {
  pugi::xml_document doc;
  pugi::xml_node root;
};

Status load(ParseContext& ctx, std::string_view text, Loaded* out) {
  const pugi::xml_parse_result r =
      out->doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return ctx.error_at_offset(r.offset, std::string("XML syntax error: ") + r.description());
  }
  out->root = out->doc.document_element();
  return {};
}

}  // namespace
}  // namespace xml_detail

using xml_detail::ParseContext;

namespace {

// A split read (xml_detail::StatusSplit): the document is read without its
// status content, which is read node by node in parallel.
struct SplitRead {
  const xml_detail::StatusSplit* split = nullptr;
  unsigned threads = 1;
};

// Status content below this is read on the calling thread.
constexpr std::size_t kParallelStatusBytes = std::size_t{1} << 20;

unsigned reader_threads(const xml_detail::StatusSplit& split) {
  if (split.content_end - split.content_begin < kParallelStatusBytes) return 1;
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(cores, 1U, 8U);
}

// The <cib> document in `text`, with `split` when its status content was cut
// out of `text` (and must be read from split->split).
Result<Cib> read_cib(std::string_view text, const std::string& origin, const SplitRead* split) {
  ParseContext ctx(text, origin);
  xml_detail::Loaded loaded;
  if (Status s = xml_detail::load(ctx, text, &loaded); !s) return s.error();
  pugi::xml_node root = loaded.root;
  if (std::string_view(root.name()) != "cib") {
    return ctx.error(root, "expected <cib> as the root element");
  }
  Cib cib;
  xml_detail::AttrTaker t(ctx, root);
  for (auto [name, field] :
       {std::pair{"admin_epoch", &cib.admin_epoch}, std::pair{"epoch", &cib.epoch},
        std::pair{"num_updates", &cib.num_updates}}) {
    auto v = t.take_int(name);
    if (!v) return v.error();
    if (*v) *field = **v;
  }
  if (OptString v = t.take("validate-with")) cib.validate_with = std::move(*v);
  cib.extra = t.rest();
  bool seen_configuration = false;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = c.name();
    if (name == "configuration" && !seen_configuration) {
      seen_configuration = true;
      if (Status s = xml_detail::parse_configuration(ctx, c, &cib.configuration); !s) {
        return s.error();
      }
    } else if (name == "status" && !cib.status) {
      cib.status.emplace();
      cib.text.store = std::make_shared<TextStore>();
      ctx.set_text_store(cib.text.store.get());
      if (split == nullptr) {
        if (Status s = xml_detail::parse_status(ctx, c, &*cib.status); !s) return s.error();
        continue;
      }
      // The document's own <status> must be the one the scan cut open: at
      // the same place (text before the content is unchanged) and empty.
      const auto name_at = static_cast<std::size_t>(c.offset_debug());
      if (name_at != split->split->status_begin + 1 || c.first_child()) {
        return Error{origin + ": <status> is not where the scan found it"};
      }
      if (Status s = xml_detail::parse_status_attrs(ctx, c, &*cib.status); !s) return s.error();
      if (Status s = xml_detail::parse_node_states(split->split->node_states, origin,
                                                   cib.text.store.get(), split->threads,
                                                   &cib.status->nodes);
          !s) {
        return s.error();
      }
    } else if (name == "configuration" || name == "status") {
      return ctx.error(c, "a second <" + std::string(name) + "> section");
    } else {
      return xml_detail::unexpected_child(ctx, c, "configuration or status");
    }
  }
  if (!seen_configuration) return ctx.error(root, "missing <configuration>");
  if (split != nullptr && !cib.status) return Error{origin + ": no <status> where the scan found it"};
  return cib;
}

}  // namespace

Result<Cib> parse_cib_xml(std::string_view text, const std::string& origin) {
  // A large status section is read in pieces, in parallel (StatusSplit). Any
  // problem on that way, including any error in the document, sends the read
  // down the ordinary one, whose errors name the line and column.
  xml_detail::StatusSplit split;
  if (xml_detail::split_status(text, &split) && !split.node_states.empty()) {
    std::string rest;
    rest.reserve(text.size() - (split.content_end - split.content_begin));
    rest.append(text.substr(0, split.content_begin));
    rest.append(text.substr(split.content_end));
    const SplitRead how{.split = &split, .threads = reader_threads(split)};
    if (Result<Cib> cib = read_cib(rest, origin, &how); cib.ok()) return cib;
  }
  return read_cib(text, origin, nullptr);
}

Result<Configuration> parse_configuration_xml(std::string_view text, const std::string& origin) {
  ParseContext ctx(text, origin);
  xml_detail::Loaded loaded;
  if (Status s = xml_detail::load(ctx, text, &loaded); !s) return s.error();
  if (std::string_view(loaded.root.name()) != "configuration") {
    return ctx.error(loaded.root, "expected <configuration> as the root element");
  }
  Configuration out;
  if (Status s = xml_detail::parse_configuration(ctx, loaded.root, &out); !s) return s.error();
  return out;
}

}  // namespace quorate::crm
