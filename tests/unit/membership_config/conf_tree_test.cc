// Tests of common/conf_tree: Corosync's configuration syntax, the locations
// it records and its exact error messages.
#include "common/conf_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace quorate {
namespace {

std::string error_of(std::string_view text) {
  Result<ConfSection> r = parse_conf(text, "t.conf");
  if (r.ok()) return "(parsed)";
  return r.error().message;
}

TEST(ConfTree, SectionsItemsAndLocations) {
  Result<ConfSection> r = parse_conf(
      "# comment\n"
      "totem {\n"
      "  version: 2\n"
      "  interface {\n"
      "\tmcastport:   5405   \n"
      "  }\n"
      "}\n"
      "\n"
      "quorum {\n"
      "  provider: corosync_votequorum\n"
      "}\n",
      "t.conf");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ConfSection& root = r.value();
  EXPECT_EQ(root.name, "");
  ASSERT_EQ(root.sections.size(), 2u);
  const ConfSection& totem = root.sections[0];
  EXPECT_EQ(totem.name, "totem");
  EXPECT_EQ(totem.where.str(), "t.conf:2:1");
  ASSERT_EQ(totem.items.size(), 1u);
  EXPECT_EQ(totem.items[0].key, "version");
  EXPECT_EQ(totem.items[0].value, "2");
  EXPECT_EQ(totem.items[0].where.str(), "t.conf:3:3");
  EXPECT_EQ(totem.items[0].value_where.str(), "t.conf:3:12");
  ASSERT_EQ(totem.sections.size(), 1u);
  const ConfSection& iface = totem.sections[0];
  EXPECT_EQ(iface.name, "interface");
  ASSERT_EQ(iface.items.size(), 1u);
  EXPECT_EQ(iface.items[0].value, "5405");  // trailing blanks trimmed
  EXPECT_EQ(iface.items[0].where.str(), "t.conf:5:2");
  EXPECT_EQ(iface.items[0].value_where.str(), "t.conf:5:15");
  EXPECT_EQ(root.sections[1].items[0].value, "corosync_votequorum");
}

TEST(ConfTree, AcceptsWhatCorosyncAccepts) {
  // "name: {" (coroparse strips a ':' before '{'), CRLF line ends, empty
  // values, a '#' inside a value, UTF-8 no-break spaces from web pages, no
  // final newline.
  Result<ConfSection> r = parse_conf(
      "totem: {\r\n"
      "  cluster_name:\r\n"
      "  keyfile: /etc/a#b\r\n"
      "\xC2\xA0\xC2\xA0token:\xC2\xA0"
      "3000\xC2\xA0\r\n"
      "   # indented comment\n"
      "}",
      "t.conf");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ConfSection& totem = r.value().sections.at(0);
  EXPECT_EQ(totem.name, "totem");
  ASSERT_EQ(totem.items.size(), 3u);
  EXPECT_EQ(totem.items[0].key, "cluster_name");
  EXPECT_EQ(totem.items[0].value, "");
  EXPECT_EQ(totem.items[1].value, "/etc/a#b");
  EXPECT_EQ(totem.items[2].key, "token");
  EXPECT_EQ(totem.items[2].value, "3000");
  EXPECT_EQ(totem.items[2].where.str(), "t.conf:4:5");
}

TEST(ConfTree, EmptyTextIsAnEmptyTree) {
  Result<ConfSection> r = parse_conf("", "t.conf");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().items.empty());
  EXPECT_TRUE(r.value().sections.empty());
}

TEST(ConfTree, EqualsSignIsNotASeparator) {
  // Corosync's parser only knows ':' (exec/coroparse.c), so neither do we.
  EXPECT_EQ(error_of("totem {\n  token = 3000\n}\n"),
            "t.conf:2:3: expected 'key: value', 'name {' or '}' but found 'token = 3000'");
}

TEST(ConfTree, LineWithNeitherColonNorBrace) {
  EXPECT_EQ(error_of("totem {\n  version 2\n}\n"),
            "t.conf:2:3: expected 'key: value', 'name {' or '}' but found 'version 2'");
}

TEST(ConfTree, UnclosedBraceIsReportedAtTheOpeningBrace) {
  EXPECT_EQ(error_of("totem {\n  version: 2\n"),
            "t.conf:1:7: expected '}' to close section 'totem' but found the end of the file");
  // The innermost open section is the one reported.
  EXPECT_EQ(error_of("totem {\n  interface {\n    ttl: 1\n}\n"),
            "t.conf:1:7: expected '}' to close section 'totem' but found the end of the file");
  EXPECT_EQ(error_of("totem {\n  interface {\n    ttl: 1\n"),
            "t.conf:2:13: expected '}' to close section 'interface' but found the end of the file");
}

TEST(ConfTree, StrayClosingBrace) {
  EXPECT_EQ(error_of("totem {\n}\n  }\n"),
            "t.conf:3:3: expected a key or a section but found '}' with no section open");
}

TEST(ConfTree, BracesMustBeAloneOnTheirLines) {
  EXPECT_EQ(error_of("totem { token: 1 }\n"),
            "t.conf:1:9: expected the end of the line after '{' but found 'token: 1 }'");
  EXPECT_EQ(error_of("totem {\n} # end\n"),
            "t.conf:2:3: expected the end of the line after '}' but found '# end'");
  EXPECT_EQ(error_of("totem {\nx }\n"),
            "t.conf:2:1: expected '}' alone on its line but found 'x }'");
}

TEST(ConfTree, BadNamesAndKeys) {
  EXPECT_EQ(error_of("{\n}\n"), "t.conf:1:1: expected a section name before '{' but found '{'");
  EXPECT_EQ(error_of("my section {\n}\n"),
            "t.conf:1:1: expected a section name (one word) before '{' but found 'my section'");
  EXPECT_EQ(error_of("logfile: /var/{x}\n"),
            "t.conf:1:1: expected a section name (one word) before '{' but found 'logfile: /var/'");
  EXPECT_EQ(error_of("  : value\n"), "t.conf:1:3: expected a key before ':' but found ':'");
  EXPECT_EQ(error_of("my key: value\n"),
            "t.conf:1:1: expected a key (one word) before ':' but found 'my key'");
}

TEST(ConfTree, NulByteIsRefused) {
  using namespace std::string_literals;
  EXPECT_EQ(error_of("totem {\n  ver\0sion: 2\n}\n"s),
            "t.conf:2:6: expected text but found a NUL byte");
}

TEST(ConfTree, ControlBytesAreEscapedInMessages) {
  EXPECT_EQ(error_of("a\x01\x1b"
                     "b\n"),
            "t.conf:1:1: expected 'key: value', 'name {' or '}' but found 'a\\x01\\x1bb'");
}

TEST(ConfTree, NestingDepthIsCapped) {
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "s {\n";
  for (int i = 0; i < 64; ++i) ok += "}\n";
  EXPECT_EQ(error_of(ok), "(parsed)");

  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "s {\n";
  for (int i = 0; i < 65; ++i) deep += "}\n";
  EXPECT_EQ(error_of(deep),
            "t.conf:65:3: expected at most 64 nested sections but found section 's' nested deeper");

  // Far deeper than the cap: still one quick error, no recursion.
  std::string very_deep;
  for (int i = 0; i < 100000; ++i) very_deep += "s {\n";
  EXPECT_EQ(error_of(very_deep).substr(0, 13), "t.conf:65:3: ");
}

TEST(ConfTree, HugeLinesAreRefusedNotTruncated) {
  const std::string long_value(60000, 'x');
  Result<ConfSection> r = parse_conf("k: " + long_value + "\n", "t.conf");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().items.at(0).value, long_value);

  const std::string huge(70000, 'y');
  EXPECT_EQ(
      error_of("totem {\nk: " + huge + "\n}\n"),
      "t.conf:2:65537: expected a line of at most 65536 bytes but found a line of 70003 bytes");
}

TEST(ConfTree, LocationString) {
  ConfLocation loc{"cluster.conf", 12, 5};
  EXPECT_EQ(loc.str(), "cluster.conf:12:5");
}

}  // namespace
}  // namespace quorate
