#include "kernel-shim/kernel_version.h"

#include <sys/utsname.h>

namespace fl::shim {

std::string kernel_release() {
  struct utsname u {};
  if (uname(&u) != 0) return "unknown";
  return u.release;
}

}  // namespace fl::shim
