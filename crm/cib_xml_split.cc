// The text scan behind the split reader (cib_xml_internal.h StatusSplit): where
// the <status> section's <node_state> elements begin and end.
//
// Why a scan is enough: '<' cannot occur raw in attribute values or text, so
// the first "</node_state" after a <node_state start tag is either that
// element's end tag or lies inside a comment, CDATA section or processing
// instruction that began in the element — and then the piece cut there is not
// a well-formed document, its reader fails, and the caller reads the whole
// file the ordinary way. Likewise a <status> found inside a comment or CDATA
// section of the configuration is caught by the caller's check that the
// document's own <status> element sits where the scan found it.
#include <string_view>

#include "crm/cib_xml_internal.h"

namespace quorate::crm::xml_detail {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// `text` at `at` starts with `<name` or `</name` (per `prefix`) followed by a
// blank, '>' or '/'.
bool tag_at(std::string_view text, std::size_t at, std::string_view prefix) {
  if (text.compare(at, prefix.size(), prefix) != 0) return false;
  const std::size_t after = at + prefix.size();
  return after < text.size() && (blank(text[after]) || text[after] == '>' || text[after] == '/');
}

}  // namespace

bool split_status(std::string_view text, StatusSplit* out) {
  *out = StatusSplit{};
  const std::size_t begin = find_start_tag(text, "status", 0);
  if (begin == std::string_view::npos) return false;
  const std::size_t open_end = tag_end(text, begin);
  if (open_end == std::string_view::npos || text[open_end - 1] == '/') return false;
  out->status_begin = begin;
  out->content_begin = open_end + 1;
  std::size_t i = out->content_begin;
  for (;;) {
    while (i < text.size() && blank(text[i])) ++i;
    if (i >= text.size()) return false;
    if (tag_at(text, i, "</status")) break;
    if (!tag_at(text, i, "<node_state")) return false;  // comments, text, other elements
    const std::size_t start_end = tag_end(text, i);
    if (start_end == std::string_view::npos) return false;
    std::size_t end = start_end + 1;  // one past the element
    if (text[start_end - 1] != '/') {
      std::size_t close = text.find("</node_state", start_end);
      if (close == std::string_view::npos) return false;
      close += 12;
      while (close < text.size() && blank(text[close])) ++close;
      if (close >= text.size() || text[close] != '>') return false;
      end = close + 1;
    }
    out->node_states.push_back(text.substr(i, end - i));
    i = end;
  }
  out->content_end = i;
  return true;
}

}  // namespace quorate::crm::xml_detail
