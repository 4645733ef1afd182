// The operation history's text (LrmRscOp strings) lives in the Cib's
// TextStore, not in the parsed document: it must decode entities as before,
// survive the input text and the original Cib, and round-trip through the
// writer.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crm/cib.h"
#include "crm/cib_xml.h"

namespace quorate::crm {
namespace {

std::string status_cib(const std::string& lrm_rsc_op) {
  return "<cib><configuration/><status><node_state id=\"1\" uname=\"n1\"><lrm><lrm_resources>"
         "<lrm_resource id=\"a\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\">" +
         lrm_rsc_op + "</lrm_resource></lrm_resources></lrm></node_state></status></cib>";
}

const LrmRscOp& first_op(const Cib& cib) { return cib.status->nodes.at(0).lrm->resources.at(0).ops.at(0); }

TEST(StatusText, EntityEscapesInHistoryAttributesDecode) {
  const std::string text = status_cib(
      "<lrm_rsc_op id=\"a&amp;b_last_0\" operation=\"st&#97;rt\" operation_key=\"a&lt;b&gt;\" "
      "exit-reason=\"x &amp; y &quot;q&quot; &apos;s&apos; &#65;&#x42; &lt;&gt;\" "
      "transition-magic=\"0:0;1:2:0:u\tv\" op-digest=\"\"/>");
  Result<Cib> cib = parse_cib_xml(text, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  const LrmRscOp& op = first_op(*cib);
  EXPECT_EQ(op.id, "a&b_last_0");
  EXPECT_EQ(op.operation, "start");
  EXPECT_EQ(op.operation_key, "a<b>");
  EXPECT_EQ(op.exit_reason, "x & y \"q\" 's' AB <>");
  // A literal tab in an attribute value reads as a space (XML's rule).
  EXPECT_EQ(op.transition_magic, "0:0;1:2:0:u v");
  // Present but empty is not absent.
  ASSERT_TRUE(op.op_digest.has_value());
  EXPECT_EQ(*op.op_digest, "");
  EXPECT_EQ(op.transition_key, std::nullopt);
}

TEST(StatusText, HistoryOutlivesTheInputAndTheOriginalCib) {
  std::optional<Cib> copy;
  {
    auto text = std::make_unique<std::string>(status_cib(
        "<lrm_rsc_op id=\"a_last_0\" operation=\"monitor\" operation_key=\"a_monitor_0\" "
        "transition-key=\"3:1:7:6a1d3c2e-0b5e-4c39-9a7e-5be0c0de0001\" call-id=\"3\" rc-code=\"7\"/>"));
    Result<Cib> cib = parse_cib_xml(*text, "t.xml");
    ASSERT_TRUE(cib.ok()) << cib.error().message;
    text.reset();  // the input text is freed
    copy = *cib;
  }  // the parsed Cib is gone too; the copy shares its text
  const LrmRscOp& op = first_op(*copy);
  EXPECT_EQ(op.id, "a_last_0");
  EXPECT_EQ(op.operation_key, "a_monitor_0");
  EXPECT_EQ(op.transition_key, "3:1:7:6a1d3c2e-0b5e-4c39-9a7e-5be0c0de0001");
  EXPECT_EQ(op.call_id, 3);
}

TEST(StatusText, WriterRoundTripKeepsHistoryText) {
  const std::string text = status_cib(
      "<lrm_rsc_op id=\"a_last_0\" operation=\"start\" exit-reason=\"1 &lt; 2 &amp; &quot;x&quot;\" "
      "on_node=\"n1\" op-force-restart=\" p \"/>"
      "<lrm_rsc_op id=\"a_monitor_10000\" operation=\"monitor\" interval=\"10000\"/>");
  Result<Cib> first = parse_cib_xml(text, "t.xml");
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::string written = write_cib_xml(*first);
  Result<Cib> second = parse_cib_xml(written, "written.xml");
  ASSERT_TRUE(second.ok()) << second.error().message << "\n" << written;
  // Equal values, though each keeps its text in its own store.
  EXPECT_EQ(*first, *second);
  EXPECT_NE(first->text.store, second->text.store);
  EXPECT_EQ(first_op(*second).exit_reason, "1 < 2 & \"x\"");
  EXPECT_EQ(write_cib_xml(*second), written);
}

TEST(StatusText, KeepCopiesIntoStableChunks) {
  Cib cib;
  std::vector<std::string> want;
  std::vector<std::string_view> got;
  // Enough to fill several chunks, one string larger than a chunk, and an
  // empty one.
  for (int i = 0; i < 100000; ++i) want.push_back("entry-" + std::to_string(i) + std::string(i % 40, 'x'));
  want.push_back(std::string(3u << 20, 'L'));
  want.push_back("");
  want.push_back("after the large one");
  for (const std::string& s : want) got.push_back(cib.keep(s));
  const Cib copy = cib;  // shares the store
  cib = Cib{};
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << i;
  ASSERT_NE(copy.text.store, nullptr);
  std::size_t bytes = 0;
  for (const std::string& s : want) bytes += s.size();
  EXPECT_EQ(copy.text.store->kept_bytes(), bytes);
}

}  // namespace
}  // namespace quorate::crm
