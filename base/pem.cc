#include "base/pem.h"

#include "base/encoding.h"

namespace pinwatch {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

bool IsPemSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Where(size_t block) { return "PEM block " + std::to_string(block); }

}  // namespace

Result<std::vector<PemBlock>> DecodePemBlocks(std::string_view text) {
  std::vector<PemBlock> blocks;
  size_t pos = 0;
  while (true) {
    const size_t begin = text.find(kBegin, pos);
    if (begin == std::string_view::npos) return blocks;
    const size_t n = blocks.size() + 1;
    const size_t label_start = begin + kBegin.size();
    const size_t label_end = text.find(kDashes, label_start);
    const size_t line_end = text.find('\n', label_start);
    if (label_end == std::string_view::npos || (line_end != std::string_view::npos && label_end > line_end)) {
      return MalformedError(Where(n) + ": BEGIN line does not end in \"-----\"");
    }
    std::string_view label = text.substr(label_start, label_end - label_start);
    const std::string end_line = std::string(kEnd) + std::string(label) + std::string(kDashes);
    const size_t body_start = label_end + kDashes.size();
    const size_t end = text.find(kEnd, body_start);
    if (end == std::string_view::npos) {
      return MalformedError(Where(n) + " (" + std::string(label) + "): no END line");
    }
    if (text.substr(end, end_line.size()) != end_line) {
      return MalformedError(Where(n) + " (" + std::string(label) + "): END line does not match BEGIN");
    }
    std::string b64;
    for (char c : text.substr(body_start, end - body_start)) {
      if (!IsPemSpace(c)) b64.push_back(c);
    }
    if (b64.empty()) return MalformedError(Where(n) + " (" + std::string(label) + "): empty");
    std::optional<std::vector<uint8_t>> der = Base64Decode(b64);
    if (!der) return MalformedError(Where(n) + " (" + std::string(label) + "): not base64");
    blocks.push_back({std::string(label), std::move(*der)});
    pos = end + end_line.size();
  }
}

Result<std::vector<uint8_t>> DecodePem(std::string_view text, std::string_view label) {
  Result<std::vector<PemBlock>> blocks = DecodePemBlocks(text);
  if (!blocks.ok()) return blocks.status();
  for (PemBlock& b : *blocks) {
    if (b.label == label) return std::move(b.der);
  }
  return MalformedError("no " + std::string(label) + " PEM block");
}

std::string EncodePem(std::string_view label, Bytes der) {
  const std::string b64 = Base64Encode(der);
  std::string out = std::string(kBegin) + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out.push_back('\n');
  }
  out += std::string(kEnd) + std::string(label) + "-----\n";
  return out;
}

}  // namespace pinwatch
