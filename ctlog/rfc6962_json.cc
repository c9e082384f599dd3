#include "ctlog/rfc6962_json.h"

#include <cstring>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/error/en.h>

#include "base/byte_reader.h"
#include "base/encoding.h"

namespace pinwatch::ctlog {
namespace {

// kParseFlags: the default flags (no kParseStopWhenDoneFlag, so bytes after the root
// value are an error), plus kParseIterativeFlag so that deeply nested input cannot
// overflow the stack: the default reader recurses once per nesting level, and a capped
// body of '[' repeated millions of times would otherwise crash it.
constexpr unsigned kParseFlags = rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag;

using JsonValue = rapidjson::Value;

Status CheckSize(std::string_view what, size_t size_bytes, size_t cap_bytes) {
  if (size_bytes <= cap_bytes) return OkStatus();
  return MalformedError(std::string(what) + ": response is " + std::to_string(size_bytes) +
                        " bytes, over the cap of " + std::to_string(cap_bytes));
}

// BoundedHandler forwards a SAX parse to `inner` (a rapidjson::Document building its DOM)
// and stops it once values are nested deeper than kMaxJsonDepth or more than kMaxJsonValues
// values arrived: the DOM of a body full of '[' or "0," would otherwise be many times the
// body's size. `error` then says which bound was hit.
template <class Inner>
struct BoundedHandler {
  Inner& inner;
  size_t depth = 0;
  size_t values = 0;
  std::string error = {};

  bool Count() {
    if (++values <= kMaxJsonValues) return true;
    error = "more than " + std::to_string(kMaxJsonValues) + " JSON values";
    return false;
  }
  bool Deeper() {
    if (++depth <= kMaxJsonDepth) return true;
    error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  bool Null() { return Count() && inner.Null(); }
  bool Bool(bool b) { return Count() && inner.Bool(b); }
  bool Int(int i) { return Count() && inner.Int(i); }
  bool Uint(unsigned u) { return Count() && inner.Uint(u); }
  bool Int64(int64_t i) { return Count() && inner.Int64(i); }
  bool Uint64(uint64_t u) { return Count() && inner.Uint64(u); }
  bool Double(double d) { return Count() && inner.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return Count() && inner.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return Count() && inner.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return Count() && inner.Key(s, n, copy); }
  bool StartObject() { return Count() && Deeper() && inner.StartObject(); }
  bool EndObject(rapidjson::SizeType members) { --depth; return inner.EndObject(members); }
  bool StartArray() { return Count() && Deeper() && inner.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { --depth; return inner.EndArray(elements); }
};

// ParseDocument parses a whole body into `doc` (copying strings), within the size cap and
// BoundedHandler's bounds, and checks that the root is an object. `what` names the
// response for error messages.
Status ParseDocument(std::string_view what, std::string_view body, rapidjson::Document& doc) {
  if (Status s = CheckSize(what, body.size(), kMaxResponseBytes); !s.ok()) return s;
  // RapidJSON takes a NUL as the end of input even with an explicit length, so a NUL
  // would hide the bytes after it: reject it first (JSON text never contains one raw).
  if (size_t nul = body.find('\0'); nul != std::string_view::npos) {
    return MalformedError(std::string(what) + ": invalid JSON: NUL byte at byte offset " +
                          std::to_string(nul));
  }
  rapidjson::MemoryStream memory(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  rapidjson::Reader reader;
  std::string bound_error;
  auto generate = [&](rapidjson::Document& handler) {
    BoundedHandler<rapidjson::Document> bounded{.inner = handler};
    reader.Parse<kParseFlags>(stream, bounded);
    bound_error = std::move(bounded.error);
    return !reader.HasParseError();
  };
  doc.Populate(generate);
  if (!bound_error.empty()) {
    return MalformedError(std::string(what) + ": " + bound_error + " (at byte offset " +
                          std::to_string(reader.GetErrorOffset()) + ")");
  }
  if (reader.HasParseError()) {
    return MalformedError(std::string(what) + ": invalid JSON: " + rapidjson::GetParseError_En(reader.GetParseErrorCode()) +
                          " at byte offset " + std::to_string(reader.GetErrorOffset()));
  }
  if (!doc.IsObject()) return MalformedError(std::string(what) + ": top level is not an object");
  return OkStatus();
}

// Field finds member `name` of object `obj`. kMalformed "<ctx>.<name>: missing" if absent
// and "...: duplicate key" if present twice (two parsers could disagree on which to use).
// FindMember + explicit type checks below: never operator[] on untrusted input.
Result<const JsonValue*> Field(const JsonValue& obj, std::string_view ctx, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) return MalformedError(std::string(ctx) + name + ": missing");
  for (auto dup = it + 1; dup != obj.MemberEnd(); ++dup) {
    if (dup->name == it->name) return MalformedError(std::string(ctx) + name + ": duplicate key");
  }
  return &it->value;
}

Result<uint64_t> GetU64(const JsonValue& obj, std::string_view ctx, const char* name) {
  auto v = Field(obj, ctx, name);
  if (!v.ok()) return v.status();
  // IsUint64 is false for negative numbers, fractions, exponents and anything beyond
  // 2^64-1 (which RapidJSON holds as a double).
  if (!(*v)->IsUint64()) {
    return MalformedError(std::string(ctx) + name + ": not an unsigned 64-bit integer");
  }
  return (*v)->GetUint64();
}

Result<std::string_view> GetString(const JsonValue& obj, std::string_view ctx, const char* name) {
  auto v = Field(obj, ctx, name);
  if (!v.ok()) return v.status();
  if (!(*v)->IsString()) return MalformedError(std::string(ctx) + name + ": not a string");
  return std::string_view((*v)->GetString(), (*v)->GetStringLength());
}

Result<std::vector<uint8_t>> DecodeBase64(std::string_view b64, const std::string& field) {
  auto bytes = Base64Decode(b64);
  if (!bytes) return MalformedError(field + ": invalid base64");
  return *std::move(bytes);
}

Result<std::vector<uint8_t>> GetBase64(const JsonValue& obj, std::string_view ctx, const char* name) {
  auto s = GetString(obj, ctx, name);
  if (!s.ok()) return s.status();
  return DecodeBase64(*s, std::string(ctx) + name);
}

Result<Hash> DecodeHash(std::string_view b64, const std::string& field) {
  Hash h{};
  // Decode into a small stack-friendly vector; a hash is 44 base64 characters.
  auto bytes = DecodeBase64(b64, field);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != h.size()) {
    return MalformedError(field + ": decodes to " + std::to_string(bytes->size()) +
                          " bytes, want 32");
  }
  std::memcpy(h.data(), bytes->data(), h.size());
  return h;
}

// GetHashArray reads `name` as an array of base64 SHA-256 hashes (an audit path or a
// consistency proof), at most kMaxProofHashes long.
Result<std::vector<Hash>> GetHashArray(const JsonValue& obj, std::string_view ctx, const char* name) {
  auto v = Field(obj, ctx, name);
  if (!v.ok()) return v.status();
  const std::string field = std::string(ctx) + name;
  if (!(*v)->IsArray()) return MalformedError(field + ": not an array");
  const auto arr = (*v)->GetArray();
  if (arr.Size() > kMaxProofHashes) {
    return MalformedError(field + ": " + std::to_string(arr.Size()) + " hashes, more than " +
                          std::to_string(kMaxProofHashes));
  }
  std::vector<Hash> out;
  out.reserve(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    const std::string elem = field + "[" + std::to_string(i) + "]";
    if (!arr[i].IsString()) return MalformedError(elem + ": not a string");
    auto h = DecodeHash(std::string_view(arr[i].GetString(), arr[i].GetStringLength()), elem);
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

}  // namespace

Result<SignedTreeHead> ParseGetSthResponse(std::string_view body) {
  constexpr std::string_view kCtx = "get-sth: ";
  rapidjson::Document doc;
  if (Status s = ParseDocument("get-sth", body, doc); !s.ok()) return s;
  SignedTreeHead sth;
  // uint64 tree_size
  auto tree_size = GetU64(doc, kCtx, "tree_size");
  if (!tree_size.ok()) return tree_size.status();
  sth.tree_size = *tree_size;
  // uint64 timestamp (milliseconds since the epoch)
  auto timestamp = GetU64(doc, kCtx, "timestamp");
  if (!timestamp.ok()) return timestamp.status();
  sth.timestamp_ms = *timestamp;
  // base64 opaque sha256_root_hash[32]
  auto root = GetString(doc, kCtx, "sha256_root_hash");
  if (!root.ok()) return root.status();
  auto root_hash = DecodeHash(*root, "get-sth: sha256_root_hash");
  if (!root_hash.ok()) return root_hash.status();
  sth.root_hash = *root_hash;
  // base64 TLS-encoded DigitallySigned tree_head_signature
  auto sig_bytes = GetBase64(doc, kCtx, "tree_head_signature");
  if (!sig_bytes.ok()) return sig_bytes.status();
  auto sig = ParseDigitallySigned(*sig_bytes);
  if (!sig.ok()) return MalformedError("get-sth: tree_head_signature: " + sig.status().message());
  sth.signature = *std::move(sig);
  return sth;
}

Result<std::vector<Hash>> ParseGetSthConsistencyResponse(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseDocument("get-sth-consistency", body, doc); !s.ok()) return s;
  // base64 consistency<0..2^16-1> (an array of SHA-256 node hashes)
  return GetHashArray(doc, "get-sth-consistency: ", "consistency");
}

Result<GetProofByHashResponse> ParseGetProofByHashResponse(std::string_view body) {
  constexpr std::string_view kCtx = "get-proof-by-hash: ";
  rapidjson::Document doc;
  if (Status s = ParseDocument("get-proof-by-hash", body, doc); !s.ok()) return s;
  GetProofByHashResponse out;
  // uint64 leaf_index
  auto leaf_index = GetU64(doc, kCtx, "leaf_index");
  if (!leaf_index.ok()) return leaf_index.status();
  out.leaf_index = *leaf_index;
  // base64 audit_path[] (SHA-256 node hashes)
  auto path = GetHashArray(doc, kCtx, "audit_path");
  if (!path.ok()) return path.status();
  out.audit_path = *std::move(path);
  return out;
}

Result<GetEntryAndProofResponse> ParseGetEntryAndProofResponse(std::string_view body) {
  constexpr std::string_view kCtx = "get-entry-and-proof: ";
  rapidjson::Document doc;
  if (Status s = ParseDocument("get-entry-and-proof", body, doc); !s.ok()) return s;
  GetEntryAndProofResponse out;
  // base64 MerkleTreeLeaf leaf_input
  auto leaf_input = GetBase64(doc, kCtx, "leaf_input");
  if (!leaf_input.ok()) return leaf_input.status();
  out.leaf_input = *std::move(leaf_input);
  // base64 extra_data (X509ChainEntry or PrecertChainEntry)
  auto extra_data = GetBase64(doc, kCtx, "extra_data");
  if (!extra_data.ok()) return extra_data.status();
  out.extra_data = *std::move(extra_data);
  // base64 audit_path[]
  auto path = GetHashArray(doc, kCtx, "audit_path");
  if (!path.ok()) return path.status();
  out.audit_path = *std::move(path);
  return out;
}

namespace {

// CheckOneDerSequence checks that `der` is exactly one DER SEQUENCE TLV (X.690 §8.9, §10.1):
//   tag 0x30, then a definite length in minimal form (short form below 128; long form of
//   1-4 octets, no leading zero, at least 128), then exactly that many content octets.
// Only the outer frame: the contents are not looked at (ctlog knows nothing of X.509).
Status CheckOneDerSequence(Bytes der, const std::string& field) {
  ByteReader r(der);
  auto tag = r.U8();  // Certificate ::= SEQUENCE
  if (!tag) return MalformedError(field + ": empty, not a DER certificate");
  if (*tag != 0x30) return MalformedError(field + ": not a DER SEQUENCE (tag " + std::to_string(*tag) + ")");
  auto first = r.U8();
  if (!first) return r.Fail(field + ": DER length missing");
  uint64_t length = *first;
  if (*first & 0x80) {
    const unsigned octets = *first & 0x7f;
    if (octets == 0 || octets > 4) return r.Fail(field + ": DER length of " + std::to_string(octets) + " octets");
    length = 0;
    for (unsigned i = 0; i < octets; ++i) {
      auto b = r.U8();
      if (!b) return r.Fail(field + ": DER length cut short");
      if (i == 0 && *b == 0) return r.Fail(field + ": DER length not minimal");
      length = (length << 8) | *b;
    }
    if (length < 0x80) return r.Fail(field + ": DER length not minimal");
  }
  if (length != r.remaining()) {
    return MalformedError(field + ": DER SEQUENCE of " + std::to_string(length) + " content bytes in " +
                          std::to_string(r.remaining()) + " bytes");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<std::vector<uint8_t>>> ParseGetRootsResponse(std::string_view body) {
  rapidjson::Document doc;
  if (Status s = ParseDocument("get-roots", body, doc); !s.ok()) return s;
  // base64 DER certificates[]
  auto v = Field(doc, "get-roots: ", "certificates");
  if (!v.ok()) return v.status();
  if (!(*v)->IsArray()) return MalformedError("get-roots: certificates: not an array");
  const auto arr = (*v)->GetArray();
  if (arr.Size() > kMaxRoots) {
    return MalformedError("get-roots: certificates: " + std::to_string(arr.Size()) + " certificates, more than " +
                          std::to_string(kMaxRoots));
  }
  std::vector<std::vector<uint8_t>> out;
  out.reserve(arr.Size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    const std::string elem = "get-roots: certificates[" + std::to_string(i) + "]";
    if (!arr[i].IsString()) return MalformedError(elem + ": not a string");
    auto der = DecodeBase64(std::string_view(arr[i].GetString(), arr[i].GetStringLength()), elem);
    if (!der.ok()) return der.status();
    if (Status s = CheckOneDerSequence(*der, elem); !s.ok()) return s;
    out.push_back(*std::move(der));
  }
  return out;
}

namespace {

// GetEntriesReader reads a get-entries body as SAX events, in situ: each entry's two
// strings are views into the body, and no DOM is built, so memory is the `out` vector
// (bounded by max_entries) whatever the body holds. It enforces the shape
//   { "entries": [ { "leaf_input": string, "extra_data": string, ... }, ... ], ... }
// (unknown keys and their values, of any shape, are skipped), refuses more than
// max_entries entries, a key twice and nesting deeper than kMaxJsonDepth, and stops at the
// first problem with a message naming the field and entry index.
class GetEntriesReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, GetEntriesReader> {
 public:
  GetEntriesReader(size_t max_entries, std::vector<RawEntry>& out) : max_entries_(max_entries), out_(out) {}

  const std::string& error() const { return error_; }
  bool done() const { return expect_ == Expect::kNothing; }

  bool Null() { return Scalar(); }
  bool Bool(bool) { return Scalar(); }
  bool Int(int) { return Scalar(); }
  bool Uint(unsigned) { return Scalar(); }
  bool Int64(int64_t) { return Scalar(); }
  bool Uint64(uint64_t) { return Scalar(); }
  bool Double(double) { return Scalar(); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return Scalar(); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (skip_depth_ > 0) return true;
    if (expect_ != Expect::kFieldValue) return Scalar();
    (field_ == Field::kLeafInput ? out_.back().leaf_input_b64 : out_.back().extra_data_b64) = std::string_view(s, n);
    expect_ = Expect::kEntryKey;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (skip_depth_ > 0) return true;
    const std::string_view key(s, n);
    if (expect_ == Expect::kRootKey) {
      if (key != "entries") return Skip(Expect::kRootKey);
      if (seen_entries_) return Fail("entries: duplicate key");
      seen_entries_ = true;
      expect_ = Expect::kEntriesValue;
      return true;
    }
    // expect_ == kEntryKey: the reader only delivers keys inside objects.
    Field field = key == "leaf_input" ? Field::kLeafInput : key == "extra_data" ? Field::kExtraData : Field::kOther;
    if (field == Field::kOther) return Skip(Expect::kEntryKey);
    bool& seen = field == Field::kLeafInput ? seen_leaf_input_ : seen_extra_data_;
    if (seen) return Fail(EntryContext() + "." + std::string(key) + ": duplicate key");
    seen = true;
    field_ = field;
    expect_ = Expect::kFieldValue;
    return true;
  }
  bool StartObject() { return Start(/*object=*/true); }
  bool StartArray() { return Start(/*object=*/false); }
  bool EndObject(rapidjson::SizeType) { return End(); }
  bool EndArray(rapidjson::SizeType) { return End(); }

 private:
  enum class Expect { kRoot, kRootKey, kEntriesValue, kEntry, kEntryKey, kFieldValue, kSkipValue, kNothing };
  enum class Field { kLeafInput, kExtraData, kOther };

  std::string EntryContext() const { return "entries[" + std::to_string(out_.size() - 1) + "]"; }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  // Skip makes the next value (scalar or container) be ignored, then expects `resume`.
  bool Skip(Expect resume) {
    resume_ = resume;
    expect_ = Expect::kSkipValue;
    return true;
  }
  bool Scalar() {
    if (skip_depth_ > 0) return true;
    switch (expect_) {
      case Expect::kRoot: return Fail("top level is not an object");
      case Expect::kEntriesValue: return Fail("entries: not an array");
      case Expect::kEntry: return Fail("entries[" + std::to_string(out_.size()) + "]: not an object");
      case Expect::kFieldValue:
        return Fail(EntryContext() + (field_ == Field::kLeafInput ? ".leaf_input" : ".extra_data") + ": not a string");
      case Expect::kSkipValue: expect_ = resume_; return true;
      default: return Fail("unexpected value");  // the reader's grammar rules the rest out
    }
  }
  bool Start(bool object) {
    if (++depth_ > kMaxJsonDepth) return Fail("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    if (skip_depth_ > 0) return true;
    switch (expect_) {
      case Expect::kRoot:
        if (!object) return Fail("top level is not an object");
        expect_ = Expect::kRootKey;
        return true;
      case Expect::kEntriesValue:
        if (object) return Fail("entries: not an array");
        expect_ = Expect::kEntry;
        return true;
      case Expect::kEntry:
        if (!object) return Fail("entries[" + std::to_string(out_.size()) + "]: not an object");
        if (out_.size() >= max_entries_) {
          return Fail("more than the " + std::to_string(max_entries_) + " entries asked for");
        }
        out_.emplace_back();
        seen_leaf_input_ = seen_extra_data_ = false;
        expect_ = Expect::kEntryKey;
        return true;
      case Expect::kFieldValue:
        return Fail(EntryContext() + (field_ == Field::kLeafInput ? ".leaf_input" : ".extra_data") + ": not a string");
      case Expect::kSkipValue:
        skip_depth_ = depth_;
        return true;
      default: return Fail("unexpected value");
    }
  }
  bool End() {
    if (skip_depth_ > 0) {
      if (depth_-- == skip_depth_) {
        skip_depth_ = 0;
        expect_ = resume_;
      }
      return true;
    }
    --depth_;
    switch (expect_) {
      case Expect::kEntryKey:  // the end of an entry
        if (!seen_leaf_input_) return Fail(EntryContext() + ".leaf_input: missing");
        if (!seen_extra_data_) return Fail(EntryContext() + ".extra_data: missing");
        expect_ = Expect::kEntry;
        return true;
      case Expect::kEntry:  // the end of the entries array
        expect_ = Expect::kRootKey;
        return true;
      case Expect::kRootKey:  // the end of the top-level object
        if (!seen_entries_) return Fail("entries: missing");
        expect_ = Expect::kNothing;
        return true;
      default: return Fail("unexpected end");
    }
  }

  const size_t max_entries_;
  std::vector<RawEntry>& out_;
  std::string error_;
  Expect expect_ = Expect::kRoot;
  Expect resume_ = Expect::kRoot;  // after a skipped value
  Field field_ = Field::kOther;
  size_t depth_ = 0;                // containers open
  size_t skip_depth_ = 0;           // > 0: inside a skipped container opened at this depth
  bool seen_entries_ = false, seen_leaf_input_ = false, seen_extra_data_ = false;
};

}  // namespace

Status ParseGetEntriesResponse(std::string& body, std::vector<RawEntry>& out, size_t max_entries) {
  out.clear();
  if (Status s = CheckSize("get-entries", body.size(), kMaxGetEntriesResponseBytes); !s.ok()) {
    return s;
  }
  // SAX over RapidJSON's InsituStringStream (NUL-terminated), the stream its SSE4.2 string
  // scanner serves: about 7x faster than a bounded stream on real bodies. The views point
  // into `body`; nothing is allocated per entry but its RawEntry.
  GetEntriesReader handler(max_entries, out);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream stream(body.data());
  reader.Parse<kParseFlags | rapidjson::kParseInsituFlag>(stream, handler);
  if (!handler.error().empty()) {
    return MalformedError("get-entries: " + handler.error() + " (at byte offset " +
                          std::to_string(reader.GetErrorOffset()) + ")");
  }
  if (reader.HasParseError()) {
    return MalformedError(std::string("get-entries: invalid JSON: ") +
                          rapidjson::GetParseError_En(reader.GetParseErrorCode()) + " at byte offset " +
                          std::to_string(reader.GetErrorOffset()));
  }
  if (stream.Tell() != body.size()) {
    return MalformedError("get-entries: invalid JSON: NUL byte at byte offset " +
                          std::to_string(stream.Tell()));
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog
