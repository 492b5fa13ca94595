#include "support/fixtures.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace glimpse::test {

std::map<std::string, Tensor> load_fixture(const std::string& name) {
  const std::string path = std::string(GLIMPSE_FIXTURE_DIR) + "/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::map<std::string, Tensor> out;
  for (const auto& [key, entry] : j.items()) {
    Shape shape;
    for (const auto& d : entry.at("shape")) shape.push_back(d.get<int64_t>());
    std::vector<float> data;
    for (const auto& v : entry.at("data"))  // numbers, or "inf", "-inf", "nan" (JSON has no infinities)
      data.push_back(v.is_string() ? std::stof(v.get<std::string>()) : v.get<float>());
    out.emplace(key, from_vector(data, shape));
  }
  return out;
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, float rtol, float atol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "actual tensor is undefined";
  if (!(actual.shape() == expected.shape()))
    return ::testing::AssertionFailure() << fmt::format("shape {} differs from expected {}", to_string(actual.shape()),
                                                        to_string(expected.shape()));
  const std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i])))
      return ::testing::AssertionFailure()
             << fmt::format("element {} (flat): {:.8g} vs expected {:.8g} (diff {:.3g})", i, a[i], e[i], a[i] - e[i]);
  return ::testing::AssertionSuccess();
}

}  // namespace glimpse::test
