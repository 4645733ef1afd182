// The split reader (crm/cib_xml_internal.h StatusSplit): a CIB's <node_state>
// elements are found by a text scan and read one by one, in parallel when the
// status section is large. What it reads must be exactly what reading the
// whole document gives, and anything the scan cannot vouch for (comments,
// CDATA, processing instructions, errors) must give the whole-document
// reader's result and error, line and column included.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "crm/cib.h"
#include "crm/cib_xml.h"
#include "crm/cib_xml_internal.h"

namespace quorate::crm {
namespace {

constexpr const char* kHead =
    "<cib epoch=\"3\" num_updates=\"1\" admin_epoch=\"0\" validate-with=\"pacemaker-3.0\">\n"
    "  <configuration>\n"
    "    <crm_config/>\n"
    "    <nodes/>\n"
    "    <resources>\n"
    "      <primitive id=\"r0\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>\n"
    "    </resources>\n"
    "    <constraints/>\n"
    "  </configuration>\n";

std::string op(int node, int rsc, int call) {
  return "<lrm_rsc_op id=\"r" + std::to_string(rsc) + "_last_0\" operation_key=\"r" +
         std::to_string(rsc) + "_monitor_0\" operation=\"monitor\" transition-key=\"" +
         std::to_string(call) + ":1:7:6a1d3c2e-0b5e-4c39-9a7e-5be0c0de0001\" call-id=\"" +
         std::to_string(call) + "\" rc-code=\"" + std::to_string((node + rsc) % 2 == 0 ? 7 : 0) +
         "\" op-status=\"0\" interval=\"0\" exit-reason=\"a &amp; b &lt;c&gt;\" op-digest=\"d" +
         std::to_string(node) + "\" extra-" + std::to_string(rsc % 3) + "=\"x\"/>";
}

// A status section of `nodes` node_states with `rscs` histories each, in
// the shapes Pacemaker writes and a few it may: a self-closing node_state,
// transient attributes, a blank before '>' of an end tag, CR LF line ends.
std::string status(int nodes, int rscs) {
  std::string s = "  <status>\n";
  for (int n = 1; n <= nodes; ++n) {
    const std::string id = std::to_string(n);
    if (n % 7 == 0) {
      s += "    <node_state id=\"" + id + "\" uname=\"node" + id + "\" crmd=\"offline\"/>\n";
      continue;
    }
    s += "    <node_state id=\"" + id + "\" uname=\"node" + id +
         "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">\r\n";
    if (n % 3 == 0) {
      s += "      <transient_attributes id=\"" + id + "\"><instance_attributes id=\"st-" + id +
           "\"><nvpair id=\"st-" + id + "-a\" name=\"master-r0\" value=\"" + id +
           "\"/></instance_attributes></transient_attributes>\n";
    }
    s += "      <lrm id=\"" + id + "\"><lrm_resources>\n";
    for (int r = 0; r < rscs; ++r) {
      s += "        <lrm_resource id=\"r" + std::to_string(r) +
           "\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\">" + op(n, r, n * 1000 + r) +
           "</lrm_resource>\n";
    }
    s += "      </lrm_resources></lrm>\n    </node_state" + std::string(n % 2 == 0 ? " " : "") +
         ">\n";
  }
  return s + "  </status>\n";
}

std::string cib_text(int nodes, int rscs) { return kHead + status(nodes, rscs) + "</cib>\n"; }

// The same document with a comment at the head of its status section, which
// the scan does not pass: it is read whole.
std::string read_whole(std::string text) {
  const auto at = text.find("<status>");
  text.insert(at + 8, "<!-- read whole -->");
  return text;
}

std::size_t node_states_found(const std::string& text) {
  xml_detail::StatusSplit split;
  return xml_detail::split_status(text, &split) ? split.node_states.size() : 0;
}

TEST(StatusSplit, ScanFindsEachNodeStateWhole) {
  const std::string text = cib_text(9, 2);
  xml_detail::StatusSplit split;
  ASSERT_TRUE(xml_detail::split_status(text, &split));
  ASSERT_EQ(split.node_states.size(), 9U);
  for (const auto& ns : split.node_states) {
    EXPECT_TRUE(ns.starts_with("<node_state ")) << ns.substr(0, 40);
    EXPECT_TRUE(ns.ends_with("</node_state>") || ns.ends_with("</node_state >") ||
                ns.ends_with("/>"))
        << ns.substr(ns.size() - 20);
  }
  EXPECT_EQ(text.substr(split.status_begin, 8), "<status>");
  EXPECT_EQ(text.substr(split.content_end, 9), "</status>");
  EXPECT_EQ(node_states_found(read_whole(text)), 0U);
}

TEST(StatusSplit, SmallStatusReadsAsTheWholeDocumentDoes) {
  const std::string text = cib_text(9, 4);
  ASSERT_EQ(node_states_found(text), 9U);
  Result<Cib> split = parse_cib_xml(text, "t.xml");
  Result<Cib> whole = parse_cib_xml(read_whole(text), "t.xml");
  ASSERT_TRUE(split.ok()) << split.error().message;
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  ASSERT_EQ(split->status->nodes.size(), 9U);
  EXPECT_EQ(split->status->nodes.at(2).transient_attributes->sets.size(), 1U);
  EXPECT_FALSE(split->status->nodes.at(6).lrm.has_value());  // the self-closing one
  const LrmRscOp& o = split->status->nodes.at(0).lrm->resources.at(1).ops.at(0);
  EXPECT_EQ(o.exit_reason, "a & b <c>");
  EXPECT_EQ(o.call_id, 1001);
  EXPECT_TRUE(*split == *whole);
}

TEST(StatusSplit, LargeStatusReadInParallelIsTheSame) {
  // Over 1 MiB of status: read on several threads, text merged into one store.
  const std::string text = cib_text(48, 90);
  ASSERT_GT(text.size(), std::size_t{1} << 20);
  ASSERT_EQ(node_states_found(text), 48U);
  Result<Cib> split = parse_cib_xml(text, "t.xml");
  Result<Cib> whole = parse_cib_xml(read_whole(text), "t.xml");
  ASSERT_TRUE(split.ok()) << split.error().message;
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  ASSERT_EQ(split->status->nodes.size(), 48U);
  EXPECT_EQ(split->status->nodes.at(46).lrm->resources.size(), 90U);
  EXPECT_EQ(split->status->nodes.at(46).lrm->resources.at(89).ops.at(0).op_digest, "d47");
  EXPECT_TRUE(*split == *whole);
  // The history text lives in the Cib's store, whoever read it.
  EXPECT_EQ(split->text.store->kept_bytes(), whole->text.store->kept_bytes());
}

TEST(StatusSplit, EndTagInsideACommentOrCdataIsNotAnEnd) {
  // The first "</node_state>" after node 1's start tag is inside a comment or
  // CDATA section: a cut there is not a document, and the whole is read.
  for (const std::string inner :
       {"<!-- </node_state> <node_state id=\"9\"> -->", "<![CDATA[ </node_state> ]]>",
        "<?pi </node_state> ?>"}) {
    std::string text = cib_text(3, 2);
    const auto at = text.find("<lrm id=\"1\">");
    text.insert(at, inner);
    Result<Cib> cib = parse_cib_xml(text, "t.xml");
    ASSERT_TRUE(cib.ok()) << inner << ": " << cib.error().message;
    ASSERT_EQ(cib->status->nodes.size(), 3U) << inner;
    EXPECT_EQ(cib->status->nodes.at(0).lrm->resources.size(), 2U) << inner;
    EXPECT_EQ(cib->status->nodes.at(1).id, "2") << inner;
  }
}

TEST(StatusSplit, StatusInAConfigurationCommentIsNotTheStatus) {
  std::string text = cib_text(4, 2);
  text.insert(text.find("<crm_config/>"), "<!-- <status><node_state id=\"x\"/></status> -->");
  Result<Cib> cib = parse_cib_xml(text, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  EXPECT_EQ(cib->status->nodes.size(), 4U);
  EXPECT_EQ(cib->status->nodes.at(0).id, "1");
}

TEST(StatusSplit, ErrorsNameTheLineOfTheWholeDocument) {
  // A bad integer in node 40 of a status large enough to be read in
  // parallel: the error is the whole-document reader's, at its line.
  std::string text = cib_text(48, 90);
  const std::string bad = "call-id=\"40005\"";
  const auto at = text.find(bad);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, bad.size(), "call-id=\"4x\"");
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  Result<Cib> cib = parse_cib_xml(text, "t.xml");
  ASSERT_FALSE(cib.ok());
  EXPECT_TRUE(cib.error().message.starts_with("t.xml:" + std::to_string(line) + ":"))
      << cib.error().message;
  EXPECT_NE(cib.error().message.find("node_state[@id='40']"), std::string::npos)
      << cib.error().message;
  EXPECT_NE(cib.error().message.find("expected an integer for 'call-id', got '4x'"),
            std::string::npos)
      << cib.error().message;
}

TEST(StatusSplit, MalformedPiecesFallBackToTheWholeDocumentsError) {
  // A node_state never closed, another element among them, a second status:
  // each error is the one the whole document gives.
  const std::string good = cib_text(3, 1);
  std::string unclosed = good;
  unclosed.erase(unclosed.rfind("</node_state>"), 13);
  std::string stranger = good;
  stranger.insert(stranger.find("<node_state id=\"2\""), "<node id=\"z\"/>");
  std::string twice = good;
  twice.insert(twice.rfind("</cib>"), "<status/>");
  for (const auto& [text, expected] :
       {std::pair{unclosed, "XML syntax error"},
        std::pair{stranger, "unexpected element <node> (expected node_state)"},
        std::pair{twice, "a second <status> section"}}) {
    Result<Cib> cib = parse_cib_xml(text, "t.xml");
    ASSERT_FALSE(cib.ok()) << expected;
    EXPECT_NE(cib.error().message.find(expected), std::string::npos) << cib.error().message;
    EXPECT_TRUE(cib.error().message.starts_with("t.xml:")) << cib.error().message;
  }
}

TEST(StatusSplit, AbsorbedTextStaysWhereItWas) {
  TextStore a;
  TextStore b;
  const std::string_view in_a = a.keep("first");
  const std::string big(100000, 'x');  // a chunk of its own
  const std::string_view in_b = b.keep(big);
  const std::string_view small_b = b.keep("second");
  a.absorb(std::move(b));
  EXPECT_EQ(b.kept_bytes(), 0U);  // NOLINT(bugprone-use-after-move): absorb empties it
  EXPECT_EQ(a.kept_bytes(), 5 + big.size() + 6);
  EXPECT_EQ(in_a, "first");
  EXPECT_EQ(in_b, big);
  EXPECT_EQ(small_b, "second");
  EXPECT_EQ(a.keep("third"), "third");
}

}  // namespace
}  // namespace quorate::crm
