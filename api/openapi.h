// OpenApiJson: the OpenAPI 3 description of /api/v1/ (operator_api.h), served at
// GET /openapi.json without a token, so operators' tools can generate clients. The test
// holds it against the routes the API answers.
#pragma once

#include <string_view>

namespace pinwatch::api {

std::string_view OpenApiJson();

}  // namespace pinwatch::api
