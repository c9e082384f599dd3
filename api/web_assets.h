// WebAssets: the operator web page (api/web/index.html, app.css, app.js), built into the
// binary at build time (cmake/embed_assets.cmake), so a deployment has no files to ship.
#pragma once

#include <string_view>
#include <vector>

namespace pinwatch::api {

// WebAsset is one file of the page: the path it is served at ("/" for index.html,
// "/app.css", ...), its Content-Type, and its bytes (static storage: valid for the whole run).
struct WebAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

// WebAssets returns every file of the page, index.html first. Thread-safe.
const std::vector<WebAsset>& WebAssets();

}  // namespace pinwatch::api
