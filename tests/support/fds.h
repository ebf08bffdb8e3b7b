// What a process holds, from /proc/self: open descriptors and resident
// memory (for leak checks that compare a count before and after).
// Header-only and without GTK, so that tests/web can include it as it is.
// Thread safety: plain functions.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdio>

namespace valence::test {

// Descriptors open in this process (not counting the one used to list them).
inline int count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream itself
}

// Resident set size (/proc/self/statm), KiB; -1 when unreadable.
inline long rss_kib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace valence::test
