//===- FuzzSupport.h - Shared helpers of the libFuzzer targets --*- C++ -*-===//
//
// A fuzz target fails loudly: an invariant it checks prints what broke and
// aborts, which libFuzzer reports as a crash and saves the input. Exceptions
// are never caught here, so one escaping a public API is a crash too.
//
//===----------------------------------------------------------------------===//
#ifndef GOODHART_TESTS_FUZZ_FUZZSUPPORT_H
#define GOODHART_TESTS_FUZZ_FUZZSUPPORT_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace goodhart::fuzz {

/// Reports a broken invariant and aborts.
[[noreturn]] inline void fail(const std::string &what,
                              const std::string &detail = "") {
  std::fprintf(stderr, "goodhart fuzz: %s%s%s\n", what.c_str(),
               detail.empty() ? "" : ": ", detail.c_str());
  std::abort();
}

/// A file of this process under $TMPDIR (or /tmp), for parsers whose public
/// entry point reads a file; removed at exit.
class TempFile {
public:
  explicit TempFile(const std::string &suffix) {
    const char *dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/goodhart-fuzz-" +
           std::to_string(getpid()) + suffix;
  }
  ~TempFile() { unlink(path.c_str()); }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  /// Replaces the file's contents with `data`.
  const std::string &write(const uint8_t *data, size_t size) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size))
      fail("cannot write " + path);
    std::fclose(f);
    return path;
  }

private:
  std::string path;
};

} // namespace goodhart::fuzz

#endif // GOODHART_TESTS_FUZZ_FUZZSUPPORT_H
