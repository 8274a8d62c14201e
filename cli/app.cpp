#include "cli/app.h"

namespace fl::cli {

int run(int, char**) { return kExitUsage; }

}  // namespace fl::cli
