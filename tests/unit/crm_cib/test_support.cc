// See test_support.h.
#include "tests/unit/crm_cib/test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <utility>

namespace quorate::crm::testing {

std::string shared_dir() { return std::string(QUORATE_SOURCE_DIR) + "/../shared"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> expected_pass(const std::string& file_name) {
  // From the source tree, not __FILE__: ccache with CCACHE_BASEDIR makes
  // __FILE__ relative to the build directory.
  std::istringstream in(read_file(std::string(QUORATE_SOURCE_DIR) + "/tests/unit/crm_cib/" + file_name));
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') out.insert(line);
  return out;
}

std::vector<std::string> core_scheduler_cases() {
  std::istringstream in(read_file(shared_dir() + "/corpus/pacemaker-scheduler/MANIFEST.tsv"));
  std::string line;
  std::vector<std::string> out;
  int core_column = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream ls(line);
    std::string col;
    while (std::getline(ls, col, '\t')) cols.push_back(col);
    if (core_column < 0) {
      auto it = std::find(cols.begin(), cols.end(), "in_core");
      if (it == cols.end()) return {};
      core_column = static_cast<int>(it - cols.begin());
      continue;
    }
    if (static_cast<int>(cols.size()) > core_column && cols[core_column] == "yes") {
      out.push_back(cols[0]);
    }
  }
  return out;
}

std::vector<std::string> files_with_suffix(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string p = entry.path().string();
    if (p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::string strip(const std::string& s) {
  const char* ws = " \t\n\r\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

void escape(std::string* out, const std::string& s, bool attribute) {
  for (char ch : s) {
    if (ch == '&') {
      *out += "&amp;";
    } else if (ch == '<') {
      *out += "&lt;";
    } else if (ch == '>') {
      *out += "&gt;";
    } else if (attribute && ch == '"') {
      *out += "&quot;";
    } else if (attribute && ch == '\t') {
      *out += "&#9;";
    } else if (attribute && ch == '\n') {
      *out += "&#10;";
    } else if (attribute && ch == '\r') {
      *out += "&#13;";
    } else {
      *out += ch;
    }
  }
}

void emit(pugi::xml_node el, int depth, std::vector<std::string>* lines) {
  const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
  if (el.type() == pugi::node_comment) {
    lines->push_back(pad + "<!--" + el.value() + "-->");
    return;
  }
  std::vector<std::pair<std::string, std::string>> attrs;
  for (pugi::xml_attribute a : el.attributes()) attrs.emplace_back(a.name(), a.value());
  std::sort(attrs.begin(), attrs.end());
  std::string open = pad + "<" + el.name();
  for (const auto& [k, v] : attrs) {
    open += " " + k + "=\"";
    escape(&open, v, true);
    open += "\"";
  }
  // ElementTree's .text: the character data before the first child node.
  std::string text;
  std::vector<pugi::xml_node> kids;
  bool before_first = true;
  for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element || c.type() == pugi::node_comment) {
      kids.push_back(c);
      before_first = false;
    } else if (before_first && (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)) {
      text += c.value();
    }
  }
  text = strip(text);
  std::string escaped;
  escape(&escaped, text, false);
  if (kids.empty() && text.empty()) {
    lines->push_back(open + "/>");
  } else if (kids.empty()) {
    lines->push_back(open + ">" + escaped + "</" + el.name() + ">");
  } else {
    lines->push_back(open + ">" + escaped);
    for (pugi::xml_node k : kids) emit(k, depth + 1, lines);
    lines->push_back(pad + "</" + el.name() + ">");
  }
}

}  // namespace

std::string normalize_configuration(const std::string& xml) {
  pugi::xml_document doc;
  const unsigned options = pugi::parse_default | pugi::parse_comments | pugi::parse_ws_pcdata;
  if (!doc.load_buffer(xml.data(), xml.size(), options, pugi::encoding_utf8)) return "";
  pugi::xml_node root = doc.document_element();
  pugi::xml_node conf =
      std::string_view(root.name()) == "configuration" ? root : root.child("configuration");
  if (!conf) return "";
  std::vector<std::string> lines;
  emit(conf, 0, &lines);
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

}  // namespace quorate::crm::testing
