#pragma once
// "Did you mean" hints for misspelt names in scenario files.

#include <string>
#include <vector>

namespace fl::lang {

// Levenshtein distance between two names.
size_t edit_distance(const std::string& a, const std::string& b);

// "; did you mean 'x'?" for the closest candidate within edit distance 2
// (the first in sorted order on a tie), or "" when none is that close.
std::string suggestion(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace fl::lang
