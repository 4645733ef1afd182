// Writing a changed configuration into an existing CIB document without
// touching the rest of it. See cib_xml.h replace_configuration_xml.
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "crm/cib_xml.h"
#include "crm/cib_xml_internal.h"

namespace quorate::crm {
namespace xml_detail {

size_t tag_end(std::string_view text, size_t from) {
  char quote = 0;
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

size_t find_start_tag(std::string_view text, std::string_view name, size_t from) {
  size_t i = from;
  while ((i = text.find('<', i)) != std::string_view::npos) {
    if (text.compare(i, 4, "<!--") == 0) {
      const size_t end = text.find("-->", i + 4);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end + 3;
      continue;
    }
    if (text.compare(i + 1, name.size(), name) == 0 && i + 1 + name.size() < text.size()) {
      const char next = text[i + 1 + name.size()];
      if (next == ' ' || next == '\t' || next == '\n' || next == '\r' || next == '>' || next == '/')
        return i;
    }
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace xml_detail

using xml_detail::find_start_tag;
using xml_detail::tag_end;

std::string replace_configuration_xml(std::string_view original, const Cib& cib) {
  Cib bare = cib;
  bare.status.reset();
  const std::string fresh = write_cib_xml(bare);
  const std::string full = write_cib_xml(cib);

  pugi::xml_document doc;
  if (!doc.load_buffer(original.data(), original.size(),
                       pugi::parse_default | pugi::parse_comments))
    return full;
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "cib") return full;
  int confs = 0;
  for (pugi::xml_node c = root.child("configuration"); c; c = c.next_sibling("configuration"))
    ++confs;
  if (confs != 1) return full;

  // The new start tag and <configuration> block.
  const std::string_view f = fresh;
  const size_t f_cib = find_start_tag(f, "cib", 0);
  const size_t f_cib_end = f_cib == std::string_view::npos ? f_cib : tag_end(f, f_cib);
  const size_t f_conf = find_start_tag(f, "configuration", 0);
  const size_t f_conf_close = f.rfind("</configuration>");
  if (f_cib_end == std::string_view::npos || f_conf == std::string_view::npos) return full;
  std::string conf_block;
  if (f_conf_close == std::string_view::npos || f_conf_close < f_conf) {
    const size_t e = tag_end(f, f_conf);  // <configuration/>
    if (e == std::string_view::npos) return full;
    conf_block = std::string(f.substr(f_conf, e + 1 - f_conf));
  } else {
    conf_block = std::string(f.substr(f_conf, f_conf_close + 16 - f_conf));
  }

  // The same two pieces in the original.
  const size_t o_cib = find_start_tag(original, "cib", 0);
  const size_t o_cib_end = o_cib == std::string_view::npos ? o_cib : tag_end(original, o_cib);
  if (o_cib_end == std::string_view::npos || original[o_cib_end - 1] == '/') return full;
  const size_t o_conf = find_start_tag(original, "configuration", o_cib_end);
  if (o_conf == std::string_view::npos) return full;
  const size_t o_conf_tag_end = tag_end(original, o_conf);
  if (o_conf_tag_end == std::string_view::npos) return full;
  size_t o_conf_end;  // one past the element
  if (original[o_conf_tag_end - 1] == '/') {
    o_conf_end = o_conf_tag_end + 1;
  } else {
    const size_t close = original.find("</configuration>", o_conf_tag_end);
    if (close == std::string_view::npos) return full;
    o_conf_end = close + 16;
  }

  std::string out;
  out.reserve(original.size() + conf_block.size());
  out.append(original.substr(0, o_cib));
  out.append(f.substr(f_cib, f_cib_end + 1 - f_cib));
  out.append(original.substr(o_cib_end + 1, o_conf - o_cib_end - 1));
  out.append(conf_block);
  out.append(original.substr(o_conf_end));
  return out;
}

}  // namespace quorate::crm
