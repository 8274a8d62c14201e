#pragma once
// The running kernel's release string, as uname(2) reports it.

#include <string>

namespace fl::shim {

std::string kernel_release();

}  // namespace fl::shim
