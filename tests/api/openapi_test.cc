// The OpenAPI document (api/openapi.h): valid JSON of OpenAPI 3, every $ref resolving,
// bearer authentication, and exactly the routes the operator API answers, each with the
// answers a client must expect (401 everywhere, 403 on writes).
#include "api/openapi.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <functional>
#include <set>
#include <string>

namespace pinwatch::api {
namespace {

TEST(OpenApi, DescribesEveryRouteWithItsAnswers) {
  rapidjson::Document doc;
  const std::string_view text = OpenApiJson();
  doc.Parse(text.data(), text.size());
  ASSERT_FALSE(doc.HasParseError()) << "offset " << doc.GetErrorOffset();
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(std::string(doc["openapi"].GetString()).substr(0, 2), "3.");
  EXPECT_STREQ(doc["components"]["securitySchemes"]["operatorToken"]["scheme"].GetString(), "bearer");

  // The routes of api/operator_api.cc, by method.
  const std::set<std::string> routes = {
      "get /findings",           "get /findings/{id}",         "post /findings/{id}/ack",
      "post /findings/{id}/resolve", "post /findings/{id}/reopen", "get /proposals",
      "get /proposals/{id}",     "post /proposals/{id}/approve", "post /proposals/{id}/reject",
      "get /pinsets",            "get /pinsets/{name}",        "get /pinsets/{name}/export",
      "get /logs",               "get /audit"};
  std::set<std::string> described;
  for (const auto& path : doc["paths"].GetObject()) {
    for (const auto& op : path.value.GetObject()) {
      const std::string method = op.name.GetString();
      described.insert(method + " " + path.name.GetString());
      const auto& responses = op.value["responses"];
      EXPECT_TRUE(responses.HasMember("200")) << method << " " << path.name.GetString();
      EXPECT_TRUE(responses.HasMember("401")) << method << " " << path.name.GetString();
      if (method == "post") {
        EXPECT_TRUE(responses.HasMember("403")) << path.name.GetString();
      }
    }
  }
  EXPECT_EQ(described, routes);

  // Every $ref points at something in the document.
  std::function<void(const rapidjson::Value&)> walk = [&](const rapidjson::Value& v) {
    if (v.IsObject()) {
      for (const auto& m : v.GetObject()) {
        if (std::string(m.name.GetString()) == "$ref" && m.value.IsString()) {
          const std::string ref = m.value.GetString();
          ASSERT_EQ(ref.substr(0, 2), "#/") << ref;
          EXPECT_NE(rapidjson::Pointer(ref.substr(1).c_str()).Get(doc), nullptr) << ref;
        } else {
          walk(m.value);
        }
      }
    } else if (v.IsArray()) {
      for (const auto& item : v.GetArray()) walk(item);
    }
  };
  walk(doc);
}

}  // namespace
}  // namespace pinwatch::api
