// Sanitizer builds only (CMake's DP_SANITIZE, run by scripts/check-sanitizers.sh).
// GCC's UBSan runtime (libubsan.so.1, beside the preloaded libasan) keeps a report file of its own
// and, with ASan in the process, never sets it from UBSAN_OPTIONS's log_path: its reports went to
// stderr, where a test that captures a child process's stderr (the CLI's tests) swallows them. At
// load, that runtime's report path is set to the log_path given, so every report lands in a file.
#ifdef DP_SANITIZE
#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace dp {
namespace {

// log_path=… out of a sanitizer option string (options are separated by ':'), or "".
std::string ubsanLogPath(const char* options) {
  const std::string s = options ? options : "";
  const std::string key = "log_path=";
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1))
    if (at == 0 || s[at - 1] == ':') {
      const size_t from = at + key.size(), to = s.find(':', from);
      return s.substr(from, to == std::string::npos ? std::string::npos : to - from);
    }
  return "";
}

struct RouteUbsanReports {
  RouteUbsanReports() {
    const std::string path = ubsanLogPath(std::getenv("UBSAN_OPTIONS"));
    if (path.empty()) return;
    void* ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!ubsan) return;
    using SetPath = void (*)(const char*);
    if (auto set = reinterpret_cast<SetPath>(dlsym(ubsan, "__sanitizer_set_report_path"))) set(path.c_str());
  }
} routeUbsanReports;

}  // namespace
}  // namespace dp
#endif
