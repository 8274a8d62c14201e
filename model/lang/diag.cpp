#include "model/lang/diag.h"

namespace fl::lang {

std::string ScenarioError::render() const {
  std::string out = loc_.file;
  if (loc_.line > 0) out += ":" + std::to_string(loc_.line) + ":" + std::to_string(loc_.col);
  out += ": error: ";
  out += what();
  if (!line_text_.empty()) {
    out += "\n  " + line_text_ + "\n  ";
    // Keep tabs, and count a UTF-8 character once (columns count bytes), so
    // that the caret lines up under the same character in a terminal.
    for (int i = 1; i < loc_.col && static_cast<size_t>(i - 1) < line_text_.size(); ++i) {
      char c = line_text_[static_cast<size_t>(i - 1)];
      if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
      out += c == '\t' ? '\t' : ' ';
    }
    out += "^";
  }
  return out;
}

}  // namespace fl::lang
