// quorated --nbd-tcp ADDR[:PORT] (daemon/addresses.h).
#include <gtest/gtest.h>

#include "daemon/addresses.h"

namespace quorate::daemon {
namespace {

TEST(NbdTcpOption, AddressesAndPorts) {
  auto a = parse_nbd_tcp("127.0.0.1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(a->port, 10809) << "NBD's port when none is given";
  auto b = parse_nbd_tcp("10.0.0.5:20000");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->address, "10.0.0.5");
  EXPECT_EQ(b->port, 20000);
  auto c = parse_nbd_tcp("[::1]:10810");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->address, "::1");
  EXPECT_EQ(c->port, 10810);
  auto d = parse_nbd_tcp("fd00::7");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->address, "fd00::7");
  EXPECT_EQ(d->port, 10809);
}

TEST(NbdTcpOption, ErrorsQuoteTheValueAndSayWhatIsWrong) {
  const auto error_of = [](const std::string& text) {
    auto r = parse_nbd_tcp(text);
    return r.ok() ? std::string("(accepted)") : r.error().message;
  };
  EXPECT_EQ(error_of("nbd.example.com"),
            "--nbd-tcp 'nbd.example.com': not an IP address (write 127.0.0.1, 10.0.0.5, [::1]:10809 ...)");
  EXPECT_EQ(error_of("127.0.0.1:0"), "--nbd-tcp '127.0.0.1:0': the port is not in 1..65535");
  EXPECT_EQ(error_of("127.0.0.1:65536"), "--nbd-tcp '127.0.0.1:65536': the port is not in 1..65535");
  EXPECT_EQ(error_of("127.0.0.1:x1"), "--nbd-tcp '127.0.0.1:x1': the port is not a number");
  EXPECT_EQ(error_of("127.0.0.1:"), "--nbd-tcp '127.0.0.1:': empty port");
  EXPECT_EQ(error_of("[::1"), "--nbd-tcp '[::1': no ']' after the IPv6 address");
  EXPECT_EQ(error_of("[::1]10809"), "--nbd-tcp '[::1]10809': expected ':PORT' after ']'");
  EXPECT_EQ(error_of(""), "--nbd-tcp '': not an IP address (write 127.0.0.1, 10.0.0.5, [::1]:10809 ...)");
}

}  // namespace
}  // namespace quorate::daemon
