//===- GridStrategy.cpp - The cartesian product of named dimensions -------===//

#include "generator/Strategies.h"

namespace goodhart {

StatusOr<GridDimension> parseGridDimension(const std::string &text) {
  auto bad = [&](const std::string &why) {
    return invalidInput("--grid '" + text + "': " + why +
                        " (expected KIND:LAYER=V1,V2,..., for example "
                        "set_channels:block1.conv1=60,62,64)");
  };
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0)
    return bad("no mutation kind before ':'");
  size_t equals = text.find('=', colon);
  if (equals == std::string::npos || equals == colon + 1)
    return bad("no layer between ':' and '='");
  GridDimension dim;
  dim.kind = text.substr(0, colon);
  dim.layer = text.substr(colon + 1, equals - colon - 1);
  std::string values = text.substr(equals + 1);
  size_t start = 0;
  while (start <= values.size()) {
    size_t comma = values.find(',', start);
    std::string value = values.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    std::optional<MutationSpec> spec =
        MutationSpec::parse(dim.kind + "(" + dim.layer + ", " + value + ")");
    if (!spec)
      return bad("'" + value + "' is not a value of " + dim.kind);
    dim.values.push_back(*spec);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return dim;
}

StatusOr<std::vector<Proposal>>
proposeGridMutations(const std::vector<std::string> &dimensions, size_t limit) {
  if (dimensions.empty())
    return invalidInput("the grid strategy needs at least one --grid "
                        "KIND:LAYER=V1,V2,... dimension");
  std::vector<GridDimension> dims;
  size_t points = 1;
  for (const std::string &text : dimensions) {
    StatusOr<GridDimension> dim = parseGridDimension(text);
    if (!dim)
      return dim.status();
    points *= dim->values.size();
    if (points > limit)
      return invalidInput("the grid has more than " + std::to_string(limit) +
                          " points; name fewer values");
    dims.push_back(std::move(dim).value());
  }
  std::vector<Proposal> proposals;
  std::vector<size_t> index(dims.size(), 0);
  for (size_t n = 0; n < points; ++n) {
    Proposal p;
    for (size_t d = 0; d < dims.size(); ++d)
      p.push_back(dims[d].values[index[d]]);
    proposals.push_back(std::move(p));
    // Odometer: the last dimension varies fastest.
    for (size_t d = dims.size(); d-- > 0;) {
      if (++index[d] < dims[d].values.size())
        break;
      index[d] = 0;
    }
  }
  return proposals;
}

} // namespace goodhart
