// Fuzzes the signed-note and checkpoint parsers (ctlog/checkpoint.h). Invariants: no
// crash; every parse error is kMalformed; if a checkpoint parses, re-formatting its body
// (FormatCheckpointBody plus the extension lines) reproduces the parsed body exactly, and
// re-formatting its signature lines reproduces the whole note.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ctlog/checkpoint.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinwatch;
  using namespace pinwatch::ctlog;
  const std::string_view note(reinterpret_cast<const char*>(data), size);

  auto signed_note = ParseSignedNote(note);
  Check(signed_note.ok() || signed_note.status().code() == Code::kMalformed);

  auto cp = ParseCheckpoint(note);
  Check(cp.ok() || cp.status().code() == Code::kMalformed);
  if (!cp.ok()) return 0;
  Check(signed_note.ok());
  std::string body = FormatCheckpointBody(cp->origin, cp->tree_size, cp->root_hash);
  for (std::string_view ext : cp->extension_lines) body.append(ext).push_back('\n');
  Check(body == cp->body);
  std::string whole = body + "\n";
  for (const NoteSignature& sig : cp->signatures) {
    whole += FormatNoteSignatureLine(sig.key_name, sig.key_id, sig.signature);
  }
  Check(whole == note);
  return 0;
}
