// quorate keygen [-k FILE] [-s BYTES]: writes a new shared authkey, as
// corosync-keygen does (random bytes, mode 0400, default 256 bytes), through
// common/crypto's write_authkey (atomic replace).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/tools.h"
#include "common/crypto.h"

namespace quorate::cli {

namespace {
constexpr const char* kDefaultAuthkey = "/etc/quorate/authkey";
}

int keygen_main(const std::vector<std::string>& args, ToolEnv& env) {
  auto parsed = parse_options(args, "k:s:h", {{"help", false, 'h'}, {"key-file", true, 'k'}});
  if (!parsed.ok()) {
    env.err << "quorate keygen: " << parsed.error().message << "\n";
    return kExitFailure;
  }
  std::string path = kDefaultAuthkey;
  uint32_t bytes = static_cast<uint32_t>(crypto::kAuthkeyDefaultBytes);
  for (const auto& opt : parsed->options) {
    if (opt.key == 'k') path = opt.value;
    if (opt.key == 's') {
      if (!parse_uint32(opt.value, &bytes) || bytes < crypto::kAuthkeyMinBytes ||
          bytes > crypto::kAuthkeyMaxBytes) {
        env.err << fmt::format("quorate keygen: key size must be {} to {} bytes\n",
                               crypto::kAuthkeyMinBytes, crypto::kAuthkeyMaxBytes);
        return kExitFailure;
      }
    }
    if (opt.key == 'h') {
      env.out << "usage: quorate keygen [-k FILE] [-s BYTES]\n"
              << "  -k FILE   where to write the key (default /etc/quorate/authkey)\n"
              << "  -s BYTES  key size, 128..4096 (default 256)\n";
      return kExitOk;
    }
  }
  if (!parsed->positional.empty()) {
    env.err << "quorate keygen: unexpected argument '" << parsed->positional.front() << "'\n";
    return kExitFailure;
  }
  env.out << fmt::format("Gathering {} bits for key.\n", bytes * 8);
  const Status written = crypto::write_authkey(path, bytes);
  if (!written.ok()) {
    env.err << "quorate keygen: " << written.error().message << "\n";
    return kExitFailure;
  }
  env.out << "Writing quorate key to " << path << ".\n";
  return kExitOk;
}

}  // namespace quorate::cli
