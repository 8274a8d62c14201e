#include "model/ir.h"

namespace fl::model {

const char* spelling(UnaryOp op) {
  switch (op) {
#define FL_X(name, text) \
  case UnaryOp::name:    \
    return text;
    FL_UNARY_OPS(FL_X)
#undef FL_X
  }
  return "?";
}

const char* spelling(BinaryOp op) {
  switch (op) {
#define FL_X(name, text) \
  case BinaryOp::name:   \
    return text;
    FL_BINARY_OPS(FL_X)
#undef FL_X
  }
  return "?";
}

const char* to_string(PropertyKind kind) {
  switch (kind) {
#define FL_X(name, text)   \
  case PropertyKind::name: \
    return text;
    FL_PROPERTY_KINDS(FL_X)
#undef FL_X
  }
  return "?";
}

const char* to_string(ExpectationKind kind) {
  switch (kind) {
#define FL_X(name, text)      \
  case ExpectationKind::name: \
    return text;
    FL_EXPECTATION_KINDS(FL_X)
#undef FL_X
  }
  return "?";
}

std::string Model::slot_name(uint32_t s) const {
  const Slot& slot = slots.at(s);
  const Var& v = vars.at(slot.var);
  if (!v.is_array) return v.name;
  return v.name + "[" + std::to_string(slot.element) + "]";
}

std::string Model::format_value(uint32_t s, Value value) const {
  const Var& v = vars.at(slots.at(s).var);
  Value i = value - v.min;
  if (i >= 0 && static_cast<size_t>(i) < v.labels.size()) return v.labels[static_cast<size_t>(i)];
  return std::to_string(value);
}

Id Model::find_var(const std::string& name) const {
  for (Id i = 0; i < vars.size(); ++i) {
    if (vars[i].name == name) return i;
  }
  return kNoId;
}

Id Model::find_property(const std::string& name) const {
  for (Id i = 0; i < properties.size(); ++i) {
    if (properties[i].name == name) return i;
  }
  return kNoId;
}

}  // namespace fl::model
