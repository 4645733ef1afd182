// Internals of the CIB XML reader (crm/cib_xml_*.cc): the parse context that
// turns pugixml offsets into "origin:line:col: path: message" errors and
// watches for duplicate ids, and the per-section parse functions.
// Not a public interface: only crm/cib_xml_*.cc include it.
#pragma once

#include <cstdint>
#include <map>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"

namespace quorate::crm::xml_detail {

// `text` must outlive the context: line and column are counted in it when an
// error is reported (not up front: a status section can be hundreds of MiB).
class ParseContext {
 public:
  ParseContext(std::string_view text, std::string origin);

  // "origin:line:col: path: what"
  Error error(pugi::xml_node node, const std::string& what) const;
  Error error_at_offset(std::ptrdiff_t offset, const std::string& what) const;
  // Records a configuration id; a second use is an error naming the first.
  Status note_id(pugi::xml_node node, const std::string& id);
  // Status ids are not configuration ids: the status reader turns this off.
  void set_id_checking(bool on) { checking_ids_ = on; }
  // Where the status reader keeps LrmRscOp text (the Cib's TextStore); not
  // owned, set before reading a status section.
  void set_text_store(TextStore* store) { text_store_ = store; }
  TextStore* text_store() const { return text_store_; }

 private:
  std::pair<int, int> line_col(std::ptrdiff_t offset) const;
  static std::string path(pugi::xml_node node);

  std::string_view text_;
  std::string origin_;
  std::map<std::string, std::ptrdiff_t, std::less<>> ids_;  // id -> offset of first use
  bool checking_ids_ = true;
  TextStore* text_store_ = nullptr;
};

// The attributes of one element, taken one by one by name; what is left over
// becomes the element's `extra`.
class AttrTaker {
 public:
  AttrTaker(ParseContext& ctx, pugi::xml_node node);
  OptString take(std::string_view name);
  Result<std::string> require(std::string_view name);
  Result<std::optional<std::int64_t>> take_int(std::string_view name);
  Attrs rest() const;
  pugi::xml_node node() const { return node_; }

 private:
  ParseContext& ctx_;
  pugi::xml_node node_;
  std::vector<std::pair<pugi::xml_attribute, bool>> attrs_;  // bool: taken
};

Error unexpected_child(ParseContext& ctx, pugi::xml_node child, std::string_view expected);

// One pass over the attributes of `node` for elements that occur by the
// hundred thousand (lrm_rsc_op): the value of the first attribute named
// names[i] goes to values[i] (nullptr when absent); every other attribute,
// in document order, is appended to *rest. Same result as an AttrTaker that
// takes each of `names` and then calls rest(), without its allocation.
// Attributes usually come in one order, so the search for a name starts
// after the previous match.
template <std::size_t N>
void take_attrs(pugi::xml_node node, const std::string_view (&names)[N], const char* (&values)[N],
                Attrs* rest) {
  for (auto& v : values) v = nullptr;
  std::size_t hint = 0;
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    const std::string_view name = a.name();
    bool matched = false;
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t i = (hint + k) % N;
      if (names[i] != name) continue;
      if (values[i] == nullptr) {
        values[i] = a.value();
        hint = i + 1;
        matched = true;
      }
      break;
    }
    if (!matched) rest->emplace_back(name, a.value());
  }
}

// `text` as a decimal integer (an optional leading '+'); nullopt otherwise.
std::optional<std::int64_t> parse_int(std::string_view text);

// Shared pieces (cib_xml.cc).
XmlElement parse_generic(pugi::xml_node node);
Status parse_set(ParseContext& ctx, pugi::xml_node node, SetKind kind, AttrSet* out);
Status parse_rule(ParseContext& ctx, pugi::xml_node node, Rule* out);
// Registers the id attribute of `node`, if any, as a configuration id.
Status note_generic_id(ParseContext& ctx, pugi::xml_node node);

// Sections (cib_xml_config.cc, cib_xml_status.cc).
Status parse_configuration(ParseContext& ctx, pugi::xml_node node, Configuration* out);
Status parse_status(ParseContext& ctx, pugi::xml_node node, CibStatus* out);

// Text scanning for the split reader and the configuration splice
// (cib_xml_splice.cc). The end of the start tag that begins at `from` (its
// '>', outside quotes), or npos.
std::size_t tag_end(std::string_view text, std::size_t from);
// Position of the start tag `<name` (followed by a blank, '>' or '/') at or
// after `from`, skipping comments; npos when none.
std::size_t find_start_tag(std::string_view text, std::string_view name, std::size_t from);

// The split reader (cib_xml_split.cc). A large <status> is nearly all of a
// CIB: its <node_state> children are found by a text scan and read one by
// one, each as a small document of its own, in parallel, instead of as one
// DOM of the whole file. Where the scan finds the status section:
struct StatusSplit {
  std::size_t status_begin = 0;   // the '<' of <status
  std::size_t content_begin = 0;  // just after the start tag
  std::size_t content_end = 0;    // the '<' of </status>
  std::vector<std::string_view> node_states;  // each one whole <node_state> element, in order
};
// True when `text` has a <status> start tag whose content is, as far as a
// scan can tell, only <node_state> elements and blanks; nothing is validated
// (the caller reads the rest of the document without that content and checks
// that its <status> element is the one found here).
bool split_status(std::string_view text, StatusSplit* out);
// Reads each element of `node_states` (a whole <node_state>) into (*out)[i],
// with the status reader's rules; its LrmRscOp text goes into `store`. Uses
// up to `threads` threads. Any error (its message is not precise: the caller
// reads the whole document again for that) fails the whole call.
Status parse_node_states(const std::vector<std::string_view>& node_states,
                         const std::string& origin, TextStore* store, unsigned threads,
                         std::vector<NodeState>* out);
// The status element's own attributes (no children read).
Status parse_status_attrs(ParseContext& ctx, pugi::xml_node node, CibStatus* out);

}  // namespace quorate::crm::xml_detail
