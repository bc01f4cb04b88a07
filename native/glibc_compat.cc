// Keeps the addon loadable on glibc 2.28 (PyTorch's wheels' floor) when it is
// built on a newer glibc. Built against glibc >= 2.38 headers, strtol and
// sscanf calls in inline code (libstdc++, libtorch headers) bind to the C23
// variants __isoc23_* (GLIBC_2.38), and libstdc++'s reference counting reads
// __libc_single_threaded (GLIBC_2.32). The definitions below are hidden, so
// the addon's own references resolve to them at link time and no versioned
// import is left; they forward to the functions every glibc since 2.7 has.
// (The C23 variants differ only in accepting "0b" binary prefixes, which no
// caller here parses.) scripts/check-binary.js verifies the result.
#if defined(__linux__) && __has_include(<features.h>)
// NOTE: no other libc headers here: with glibc >= 2.38 they declare strtol
// itself under the name __isoc23_strtol, which these definitions would clash
// with. features.h only defines __GLIBC__.
#include <features.h>
#endif
#if defined(__linux__) && defined(__GLIBC__)
#include <cstdarg>

#define SELFSUP_HIDDEN __attribute__((visibility("hidden")))

extern "C" {
// The pre-C23 functions, by their symbol names.
long selfsup_strtol(const char*, char**, int) __asm__("strtol");
unsigned long selfsup_strtoul(const char*, char**, int) __asm__("strtoul");
long long selfsup_strtoll(const char*, char**, int) __asm__("strtoll");
unsigned long long selfsup_strtoull(const char*, char**, int) __asm__("strtoull");
int selfsup_vsscanf(const char*, const char*, va_list) __asm__("__isoc99_vsscanf");

SELFSUP_HIDDEN long __isoc23_strtol(const char* s, char** end, int base) { return selfsup_strtol(s, end, base); }
SELFSUP_HIDDEN unsigned long __isoc23_strtoul(const char* s, char** end, int base) { return selfsup_strtoul(s, end, base); }
SELFSUP_HIDDEN long long __isoc23_strtoll(const char* s, char** end, int base) { return selfsup_strtoll(s, end, base); }
SELFSUP_HIDDEN unsigned long long __isoc23_strtoull(const char* s, char** end, int base) {
  return selfsup_strtoull(s, end, base);
}
SELFSUP_HIDDEN int __isoc23_vsscanf(const char* s, const char* format, va_list args) {
  return selfsup_vsscanf(s, format, args);
}
SELFSUP_HIDDEN int __isoc23_sscanf(const char* s, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int n = selfsup_vsscanf(s, format, args);
  va_end(args);
  return n;
}

// 0: "more than one thread may run", libstdc++'s safe (atomic) path.
SELFSUP_HIDDEN char __libc_single_threaded = 0;
}
#endif
