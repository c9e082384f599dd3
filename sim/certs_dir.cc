// LoadCertsDir: entries from certificates given as files. This is the one place in sim/
// that parses certificates, so it uses OpenSSL's X509 (the inputs are the operator's own).
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/pem.h"
#include "ctlog/tile.h"
#include "sim/entries.h"

namespace pinwatch::sim {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

Buffer Der(X509* x) {
  int len = i2d_X509(x, nullptr);
  Buffer out(static_cast<size_t>(std::max(len, 0)));
  uint8_t* p = out.data();
  i2d_X509(x, &p);
  return out;
}

Buffer SpkiDer(X509* x) {
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), nullptr);
  Buffer out(static_cast<size_t>(std::max(len, 0)));
  uint8_t* p = out.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &p);
  return out;
}

Result<X509Ptr> DecodeCertificate(Bytes der, const std::filesystem::path& path) {
  const uint8_t* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != der.data() + der.size()) {
    return FailedPreconditionError(path.string() + ": not a DER certificate");
  }
  return x;
}

// ReadCerts reads every certificate of a PEM file (in order), or the one of a DER file.
Result<std::vector<X509Ptr>> ReadCerts(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (!in) return FailedPreconditionError("cannot read " + path.string());
  std::vector<X509Ptr> certs;
  if (data.find("-----BEGIN ") != std::string::npos) {
    Result<std::vector<PemBlock>> blocks = DecodePemBlocks(data);
    if (!blocks.ok()) return FailedPreconditionError(path.string() + ": " + blocks.status().message());
    for (const PemBlock& block : *blocks) {
      if (block.label != "CERTIFICATE") continue;
      Result<X509Ptr> x = DecodeCertificate(block.der, path);
      if (!x.ok()) return x.status();
      certs.push_back(std::move(*x));
    }
  } else {
    Result<X509Ptr> x = DecodeCertificate(AsBytes(data), path);
    if (!x.ok()) return x.status();
    certs.push_back(std::move(*x));
  }
  if (certs.empty()) return FailedPreconditionError("no certificate in " + path.string());
  return certs;
}

}  // namespace

Result<CertsDirSource> LoadCertsDir(const std::filesystem::path& dir, uint64_t epoch_ms) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".pem" || ext == ".crt" || ext == ".der")) files.push_back(e.path());
  }
  if (ec) return FailedPreconditionError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<X509Ptr> certs;
  for (const auto& f : files) {
    auto read = ReadCerts(f);
    if (!read.ok()) return read.status();
    for (auto& c : *read) certs.push_back(std::move(c));
  }
  if (certs.empty()) return FailedPreconditionError("no certificates in " + dir.string());

  auto find_issuer = [&](X509* x) -> X509* {
    for (const auto& c : certs) {
      if (c.get() != x && X509_NAME_cmp(X509_get_subject_name(c.get()), X509_get_issuer_name(x)) == 0) return c.get();
    }
    return nullptr;
  };
  auto self_signed = [](X509* x) {
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
  };

  auto store = std::make_shared<EntryStore>();
  CertsDirSource out;
  for (size_t i = 0; i < certs.size(); ++i) {
    X509* x = certs[i].get();
    uint64_t timestamp_ms = epoch_ms + i * 1000;
    std::vector<Buffer> chain;
    X509* issuer = self_signed(x) ? nullptr : find_issuer(x);
    for (X509* c = issuer; c != nullptr && chain.size() < 8; c = self_signed(c) ? nullptr : find_issuer(c)) {
      chain.push_back(Der(c));
    }
    std::vector<Bytes> chain_views(chain.begin(), chain.end());
    Buffer chain_der;
    if (Status s = ctlog::EncodeX509ChainEntry(chain_views, chain_der); !s.ok()) return s;
    std::array<uint8_t, 8> leaf_index = ctlog::EncodeLeafIndexExtensions(i);
    Buffer cert_der = Der(x);
    Buffer leaf;
    int poison = X509_get_ext_by_NID(x, NID_ct_precert_poison, -1);
    if (poison >= 0) {
      if (issuer == nullptr) return FailedPreconditionError("precertificate #" + std::to_string(i) + " has no issuer among the files");
      // The precert_entry's TBS is the precertificate's TBS without the poison (RFC 6962 §3.2).
      X509Ptr stripped(X509_dup(x));
      X509_EXTENSION_free(X509_delete_ext(stripped.get(), poison));
      int len = i2d_re_X509_tbs(stripped.get(), nullptr);
      Buffer tbs(static_cast<size_t>(std::max(len, 0)));
      uint8_t* p = tbs.data();
      i2d_re_X509_tbs(stripped.get(), &p);
      ctlog::TimestampedEntryView entry{.timestamp_ms = timestamp_ms,
                                        .entry_type = ctlog::LogEntryType::kPrecertEntry,
                                        .certificate = {},
                                        .issuer_key_hash = ctlog::Sha256Of(SpkiDer(issuer)),
                                        .tbs_certificate = tbs,
                                        .extensions = leaf_index};
      if (Status s = ctlog::EncodeMerkleTreeLeaf(entry, leaf); !s.ok()) return s;
      store->Add(leaf, cert_der, chain_der);
    } else {
      ctlog::TimestampedEntryView entry{.timestamp_ms = timestamp_ms,
                                        .entry_type = ctlog::LogEntryType::kX509Entry,
                                        .certificate = cert_der,
                                        .issuer_key_hash = {},
                                        .tbs_certificate = {},
                                        .extensions = leaf_index};
      if (Status s = ctlog::EncodeMerkleTreeLeaf(entry, leaf); !s.ok()) return s;
      store->Add(leaf, {}, chain_der);
    }
    if (self_signed(x)) out.roots.push_back(Der(x));
  }
  out.count = store->size();
  out.source = [store](uint64_t begin, uint64_t end_exclusive, EntryStore& to) -> Status {
    if (end_exclusive > store->size()) return FailedPreconditionError("--certs: no more certificates to add");
    for (uint64_t i = begin; i < end_exclusive; ++i) to.Add(store->LeafInput(i), store->PreCertificate(i), store->Chain(i));
    return OkStatus();
  };
  return out;
}

}  // namespace pinwatch::sim
