#include "model/load/loader.h"

#include <algorithm>
#include <filesystem>

#include "model/kvm/kvm_extension.h"
#include "model/mm/mm_extension.h"

namespace fl::model {

const std::vector<const lang::Extension*>& kernel_extensions() {
  static const std::vector<const lang::Extension*> kExtensions = {&mm::extension(),
                                                                  &kvm::extension()};
  return kExtensions;
}

lang::Scenario load_scenario(const std::string& path) {
  return lang::Scenario::load(path, kernel_extensions());
}

std::vector<std::string> find_scenarios(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw lang::ScenarioError({dir, 0, 0}, "no such file or directory");
  std::vector<std::string> out;
  if (fs::is_regular_file(dir, ec)) return {dir};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".fl")
      out.push_back(it->path().string());
  }
  if (ec) throw lang::ScenarioError({dir, 0, 0}, "cannot read directory: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fl::model
