//===- PlanJson.cpp - A plan's JSON form, read and written ----------------===//
//
// The plan file format (docs/RUNNER-PROTOCOL.md): planToJson writes it,
// planFromJson reads it field by field, naming the field of any error, and
// validates the result (validatePlan, Plan.cpp).
//
//===----------------------------------------------------------------------===//

#include "runners/common/Plan.h"

#include "runners/common/JsonFields.h"

#include <fstream>
#include <sstream>

namespace goodhart {

nlohmann::json planToJson(const Plan &plan) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorDesc &t : plan.tensors)
    tensors.push_back({{"id", t.id},
                       {"name", t.name},
                       {"shape", t.shape},
                       {"dtype", dtypeName(t.dtype)},
                       {"role", tensorRoleName(t.role)}});
  for (const TensorDesc &t : plan.tensors)
    if (t.value)
      tensors[t.id]["value"] = *t.value;
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer &l : plan.layers)
    layers.push_back({{"id", l.id},
                      {"name", l.name},
                      {"kind", layerKindName(l.kind)},
                      {"inputs", l.inputs},
                      {"outputs", l.outputs},
                      {"attrs", l.attrs},
                      {"flops", l.flops},
                      {"bytes", l.bytes},
                      {"params", l.params},
                      {"hash", l.hash},
                      {"location", l.location}});
  for (size_t i = 0; i < plan.layers.size(); ++i)
    if (!plan.layers[i].pattern.empty())
      layers[i]["pattern"] = plan.layers[i].pattern;
  return {{"format", kPlanFormatName},     {"version", kPlanFormatVersion},
          {"model", plan.model},           {"variant", plan.variant},
          {"source", plan.source},         {"inputs", plan.inputs},
          {"outputs", plan.outputs},       {"metadata", plan.metadata},
          {"tensors", std::move(tensors)}, {"layers", std::move(layers)}};
}

StatusOr<Plan> planFromJson(const nlohmann::json &json,
                            const std::string &origin) {
  auto fail = [&](const Status &s) { return s.withContext(origin); };
  auto format = readField<std::string>(json, "format", "plan");
  if (!format)
    return fail(format.status());
  if (*format != kPlanFormatName)
    return fail(fieldError("plan.format", "is '" + *format + "', expected '" +
                                              std::string(kPlanFormatName) +
                                              "'"));
  auto version = readField<int>(json, "version", "plan");
  if (!version)
    return fail(version.status());
  if (*version != kPlanFormatVersion)
    return fail(unsupported("plan.version " + std::to_string(*version) +
                            " is not supported (this build reads version " +
                            std::to_string(kPlanFormatVersion) + ")"));
  Plan plan;
  auto model = readField<std::string>(json, "model", "plan");
  if (!model)
    return fail(model.status());
  plan.model = *model;
  auto variant = readOptionalString(json, "variant", "plan");
  auto source = readOptionalString(json, "source", "plan");
  if (!variant)
    return fail(variant.status());
  if (!source)
    return fail(source.status());
  plan.variant = *variant;
  plan.source = *source;
  if (json.contains("metadata"))
    plan.metadata = json["metadata"];
  auto inputs = readField<std::vector<int64_t>>(json, "inputs", "plan");
  auto outputs = readField<std::vector<int64_t>>(json, "outputs", "plan");
  if (!inputs)
    return fail(inputs.status());
  if (!outputs)
    return fail(outputs.status());
  plan.inputs = *inputs;
  plan.outputs = *outputs;

  auto tensors = readField<nlohmann::json>(json, "tensors", "plan");
  if (!tensors)
    return fail(tensors.status());
  if (!tensors->is_array())
    return fail(fieldError("plan.tensors", "expected an array"));
  for (size_t i = 0; i < tensors->size(); ++i) {
    const nlohmann::json &tj = (*tensors)[i];
    std::string where = "tensors[" + std::to_string(i) + "]";
    TensorDesc t;
    auto id = readField<int64_t>(tj, "id", where);
    auto shape = readField<std::vector<int64_t>>(tj, "shape", where);
    auto dtype = readField<std::string>(tj, "dtype", where);
    auto role = readField<std::string>(tj, "role", where);
    for (const Status *s :
         {&id.status(), &shape.status(), &dtype.status(), &role.status()})
      if (!s->isOk())
        return fail(*s);
    t.id = *id;
    auto name = readOptionalString(tj, "name", where);
    if (!name)
      return fail(name.status());
    t.name = *name;
    t.shape = *shape;
    auto parsedType = parseDType(*dtype);
    if (!parsedType)
      return fail(
          fieldError(where + ".dtype", "unknown type '" + *dtype + "'"));
    t.dtype = *parsedType;
    auto parsedRole = parseTensorRole(*role);
    if (!parsedRole)
      return fail(fieldError(where + ".role", "unknown role '" + *role + "'"));
    t.role = *parsedRole;
    if (tj.contains("value")) {
      if (!tj["value"].is_number())
        return fail(fieldError(where + ".value", "expected a number"));
      t.value = tj["value"].get<double>();
    }
    plan.tensors.push_back(std::move(t));
  }

  auto layers = readField<nlohmann::json>(json, "layers", "plan");
  if (!layers)
    return fail(layers.status());
  if (!layers->is_array())
    return fail(fieldError("plan.layers", "expected an array"));
  for (size_t i = 0; i < layers->size(); ++i) {
    const nlohmann::json &lj = (*layers)[i];
    std::string where = "layers[" + std::to_string(i) + "]";
    Layer l;
    auto id = readField<int64_t>(lj, "id", where);
    auto kind = readField<std::string>(lj, "kind", where);
    auto ins = readField<std::vector<int64_t>>(lj, "inputs", where);
    auto outs = readField<std::vector<int64_t>>(lj, "outputs", where);
    for (const Status *s :
         {&id.status(), &kind.status(), &ins.status(), &outs.status()})
      if (!s->isOk())
        return fail(*s);
    l.id = *id;
    auto name = readOptionalString(lj, "name", where);
    if (!name)
      return fail(name.status());
    l.name = *name;
    auto parsedKind = parseLayerKind(*kind);
    if (!parsedKind)
      return fail(fieldError(where + " '" + l.name + "'.kind",
                             "unknown layer kind '" + *kind + "'"));
    l.kind = *parsedKind;
    l.inputs = *ins;
    l.outputs = *outs;
    if (lj.contains("attrs")) {
      if (!lj["attrs"].is_object())
        return fail(fieldError(where + ".attrs", "expected an object"));
      l.attrs = lj["attrs"];
    }
    for (const char *key : {"flops", "bytes", "params"})
      if (lj.contains(key) && !jsonFitsInteger<int64_t>(lj[key]))
        return fail(fieldError(where + "." + key, "not an integer in range"));
    try {
      l.flops = lj.value("flops", int64_t(0));
      l.bytes = lj.value("bytes", int64_t(0));
      l.params = lj.value("params", int64_t(0));
      l.hash = lj.value("hash", "");
      l.location = lj.value("location", "");
      l.pattern = lj.value("pattern", "");
    } catch (const nlohmann::json::exception &e) {
      return fail(
          fieldError(where, std::string("bad accounting field: ") + e.what()));
    }
    plan.layers.push_back(std::move(l));
  }
  for (Layer &l : plan.layers)
    if (l.hash.empty())
      l.hash = computeLayerHash(plan, l);
  if (Status s = validatePlan(plan); !s.isOk())
    return fail(s);
  return plan;
}

StatusOr<Plan> readPlanFile(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return Status(StatusCode::kIoError, path + ": cannot open plan file");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception &e) {
    // parse_error, but also out_of_range for numbers beyond a double.
    return invalidInput(path + ": not valid JSON: " + e.what());
  }
  return planFromJson(json, path);
}

Status writePlanFile(const Plan &plan, const std::string &path) {
  std::ofstream out(path);
  if (!out)
    return Status(StatusCode::kIoError, path + ": cannot write plan file");
  out << planToJson(plan).dump(1) << '\n';
  if (!out)
    return Status(StatusCode::kIoError, path + ": write failed");
  return Status::ok();
}

} // namespace goodhart
