#include "cli/app.h"

int main(int argc, char** argv) {
  return fl::cli::run(argc, argv);
}
