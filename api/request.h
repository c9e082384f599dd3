// ApiRequest and ApiResponse: an HTTP exchange as the API sees it, with no HTTP library's
// types, so the listener (http_server.cc, cpp-httplib) is the only code that knows one.
#pragma once

#include <map>
#include <string>

namespace pinwatch::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/api/v1/findings/12/ack", without the query
  std::map<std::string, std::string> query;  // decoded; a parameter given twice keeps the last
  std::string authorization;  // the Authorization header ("" when absent)
  std::string content_type;   // the Content-Type header
  std::string body;
  std::string remote_address;  // for slowing down failed authentication
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

}  // namespace pinwatch::api
