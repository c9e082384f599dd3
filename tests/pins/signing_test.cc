// Signing published pin-sets (pins/signing.h): keys, signatures, the .sig file, and the
// promise in the header that `openssl dgst -sha256 -verify` accepts what we write. Keys of
// the wrong kind are made with the openssl command line, as an operator would make them.
#include "pins/signing.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "base/pin.h"
#include "pins/document.h"
#include "pins/publisher.h"

namespace pinwatch::pins {
namespace {

// TempDir is a fresh directory under /tmp, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    char path[] = "/tmp/pinwatch-signing-XXXXXX";
    if (mkdtemp(path) != nullptr) path_ = path;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ShellResult {
  int exit_code = -1;  // -1 if the shell did not exit normally
  std::string output;  // stdout and stderr together
};

// RunBash runs `script` with bash -c (so process substitution works) and collects its
// output and exit status.
ShellResult RunBash(const std::string& script) {
  std::string quoted = "'";
  for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string command = "bash -c " + quoted + " 2>&1";
  ShellResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Openssl runs an openssl command line in `dir` and fails the test if it fails.
void Openssl(const TempDir& dir, const std::string& args) {
  ShellResult r = RunBash("cd " + dir.path() + " && openssl " + args);
  ASSERT_EQ(r.exit_code, 0) << "openssl " << args << "\n" << r.output;
}

SigningKey NewKey() {
  Result<SigningKey> key = SigningKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(*key);
}

// The document of pins/document.h's header comment, with a name that is not ASCII: the
// signature covers the bytes exactly as written.
const std::string kDocument =
    R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"api-)"
    "\xc3\xa9"
    R"(","names":["api.example.com"],"pins":["sha256/CMCAWSJQH5nAQbZU5sp+cbvgr4HxFLmfG7t4cMa13XM=",)"
    R"("sha256/lAUDUIPGcb3pmAOPOrrYcWhrd9DYBOfGbZ4bEji6YUw="],"published_at":"2026-12-03T10:00:00Z","version":2})";

// ---------------------------------------------------------------------------------------
// Generate, sign, verify

TEST(SigningKey, GeneratedKeySignsAndTheSignatureVerifies) {
  SigningKey key = NewKey();
  Result<std::vector<uint8_t>> sig = key.Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  // DER SEQUENCE of two INTEGERs of at most 33 bytes each.
  EXPECT_EQ((*sig)[0], 0x30);
  EXPECT_LE(sig->size(), 72u);

  Status s = VerifyDocumentSignature(key.PublicKeyPem(), AsBytes(kDocument), SignatureFileText(*sig));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(SigningKey, PublicKeyPemAndPin) {
  SigningKey key = NewKey();
  const std::string pem = key.PublicKeyPem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  EXPECT_TRUE(pem.ends_with("-----END PUBLIC KEY-----\n")) << pem;
  EXPECT_TRUE(ParsePin(key.PublicKeyPin()).has_value()) << key.PublicKeyPin();
  EXPECT_NE(key.PublicKeyPin(), NewKey().PublicKeyPin());
}

TEST(SigningKey, SignatureFileTextIsBase64AndOneNewline) {
  const std::vector<uint8_t> der = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
  EXPECT_EQ(SignatureFileText(der), "MAYCAQECAQI=\n");
}

TEST(SigningKey, OneByteChangedInTheMessageFails) {
  SigningKey key = NewKey();
  Result<std::vector<uint8_t>> sig = key.Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  std::string changed = kDocument;
  changed[changed.find("\"version\":2") + 10] = '3';
  Status s = VerifyDocumentSignature(key.PublicKeyPem(), AsBytes(changed), SignatureFileText(*sig));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message(), "signature does not verify");
}

TEST(SigningKey, SignatureFromAnotherKeyFails) {
  SigningKey key = NewKey();
  SigningKey other = NewKey();
  Result<std::vector<uint8_t>> sig = other.Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  Status s = VerifyDocumentSignature(key.PublicKeyPem(), AsBytes(kDocument), SignatureFileText(*sig));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message(), "signature does not verify");
}

TEST(SigningKey, PrivateKeyPemRoundTrips) {
  SigningKey key = NewKey();
  const std::string pem = key.PrivateKeyPem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << "PKCS#8 expected";
  Result<SigningKey> again = SigningKey::FromPem(pem, "test key");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->PublicKeyPem(), key.PublicKeyPem());
  EXPECT_EQ(again->PublicKeyPin(), key.PublicKeyPin());
  Result<std::vector<uint8_t>> sig = again->Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  Status s = VerifyDocumentSignature(key.PublicKeyPem(), AsBytes(kDocument), SignatureFileText(*sig));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(SigningKey, MovedKeyStillSigns) {
  SigningKey key = NewKey();
  const std::string pem = key.PublicKeyPem();
  SigningKey moved = std::move(key);
  Result<std::vector<uint8_t>> sig = moved.Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_TRUE(VerifyDocumentSignature(pem, AsBytes(kDocument), SignatureFileText(*sig)).ok());
}

// ---------------------------------------------------------------------------------------
// VerifyDocumentSignature's reading of the .sig text and the key

class SigningVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::vector<uint8_t>> sig = key_.Sign(AsBytes(kDocument));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    der_ = std::move(*sig);
    base64_ = Base64Encode(der_);
  }
  Status Verify(std::string_view sig_text) {
    return VerifyDocumentSignature(key_.PublicKeyPem(), AsBytes(kDocument), sig_text);
  }

  SigningKey key_ = NewKey();
  std::vector<uint8_t> der_;
  std::string base64_;
};

TEST_F(SigningVerify, SurroundingWhitespaceIsAllowed) {
  EXPECT_TRUE(Verify(base64_).ok());
  EXPECT_TRUE(Verify(" \t\n" + base64_ + "\r\n\n").ok());
}

TEST_F(SigningVerify, BadEncodingsAreMalformed) {
  std::vector<uint8_t> trailing = der_;
  trailing.push_back(0);
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"empty", ""},
      {"only whitespace", " \n"},
      {"whitespace inside the base64", base64_.substr(0, 8) + "\n" + base64_.substr(8)},
      {"base64url alphabet", "_-_-"},
      {"missing padding", "MAYCAQECAQI"},
      {"base64 of text", Base64Encode(AsBytes("not a signature"))},
      {"DER with a trailing byte", Base64Encode(trailing)},
      {"BER, not DER (long-form length)", Base64Encode(std::vector<uint8_t>{0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02})},
  };
  for (const auto& [desc, text] : cases) {
    Status s = Verify(text);
    EXPECT_EQ(s.code(), Code::kMalformed) << desc << ": " << s.ToString();
  }
}

TEST_F(SigningVerify, WellFormedButWrongSignatureDoesNotVerify) {
  // SEQUENCE { INTEGER 1, INTEGER 2 }: valid DER, not a signature of anything.
  Status s = Verify("MAYCAQECAQI=");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
}

TEST_F(SigningVerify, BadPublicKeysAreMalformed) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "pkey -in rsa.pem -pubout -out rsa.pub.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "pkey -in p384.pem -pubout -out p384.pub.pem"));
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"not PEM", "hello"},
      {"a private key, not a public one", key_.PrivateKeyPem()},
      {"RSA", ReadText(dir.Path("rsa.pub.pem"))},
      {"P-384", ReadText(dir.Path("p384.pub.pem"))},
  };
  for (const auto& [desc, pem] : cases) {
    Status s = VerifyDocumentSignature(pem, AsBytes(kDocument), base64_);
    EXPECT_EQ(s.code(), Code::kMalformed) << desc << ": " << s.ToString();
    EXPECT_TRUE(s.message().starts_with("public key: ")) << desc << ": " << s.ToString();
  }
}

// ---------------------------------------------------------------------------------------
// LoadPemFile

TEST(SigningLoadPemFile, RefusesWhatIsNotAP256PrivateKeyNamingTheFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "genpkey -algorithm ED25519 -out ed25519.pem"));
  ASSERT_NO_FATAL_FAILURE(
      Openssl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:secret -out encrypted.pem"));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("garbage.pem"), "this is not a key\n"));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("public.pem"), NewKey().PublicKeyPem()));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("huge.pem"), std::string(1 << 20, 'A')));

  struct Case {
    const char* file;
    const char* want_in_message;
  };
  const std::vector<Case> cases = {
      {"missing.pem", "cannot open signing key"},
      {"rsa.pem", "a key of type RSA, not an EC key on P-256"},
      {"p384.pem", "an EC key on secp384r1, not on P-256 (prime256v1)"},
      {"ed25519.pem", "a key of type ED25519, not an EC key on P-256"},
      {"encrypted.pem", "the private key is encrypted"},
      {"garbage.pem", "not a PEM private key"},
      {"public.pem", "not a PEM private key"},
      {"huge.pem", "over 65536 bytes"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.Path(c.file);
    Result<SigningKey> key = SigningKey::LoadPemFile(path);
    ASSERT_FALSE(key.ok()) << c.file;
    EXPECT_EQ(key.status().code(), Code::kFailedPrecondition) << c.file;
    EXPECT_TRUE(key.status().message().starts_with(path + ": ")) << key.status().ToString();
    EXPECT_NE(key.status().message().find(c.want_in_message), std::string::npos) << key.status().ToString();
  }
}

TEST(SigningLoadPemFile, LoadsPkcs8AndSec1Keys) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  // SEC1 "EC PRIVATE KEY", as `openssl ecparam -genkey` writes it.
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ecparam -name prime256v1 -genkey -noout -out sec1.pem"));
  ASSERT_TRUE(ReadText(dir.Path("sec1.pem")).starts_with("-----BEGIN EC PRIVATE KEY-----"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ec -in sec1.pem -pubout -out sec1.pub.pem"));
  // The same key as PKCS#8 ("PRIVATE KEY").
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "pkey -in sec1.pem -out pkcs8.pem"));
  ASSERT_TRUE(ReadText(dir.Path("pkcs8.pem")).starts_with("-----BEGIN PRIVATE KEY-----"));

  for (const char* file : {"sec1.pem", "pkcs8.pem"}) {
    Result<SigningKey> key = SigningKey::LoadPemFile(dir.Path(file));
    ASSERT_TRUE(key.ok()) << file << ": " << key.status().ToString();
    // Our public key is byte for byte what openssl writes for it.
    EXPECT_EQ(key->PublicKeyPem(), ReadText(dir.Path("sec1.pub.pem"))) << file;
    Result<std::vector<uint8_t>> sig = key->Sign(AsBytes(kDocument));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    Status s = VerifyDocumentSignature(ReadText(dir.Path("sec1.pub.pem")), AsBytes(kDocument), SignatureFileText(*sig));
    EXPECT_TRUE(s.ok()) << file << ": " << s.ToString();
  }
}

TEST(SigningLoadPemFile, PublicKeyIsWrittenNamedCurveUncompressedWhateverTheFileSays) {
  // Apps (Apple's SecKeyCreateWithData among them) expect a named curve and the
  // uncompressed point: the 91-byte SubjectPublicKeyInfo openssl writes for a plain key.
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ecparam -name prime256v1 -genkey -noout -out key.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ec -in key.pem -pubout -out pub.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ec -in key.pem -conv_form compressed -out compressed.pem"));
  ASSERT_NO_FATAL_FAILURE(Openssl(dir, "ec -in key.pem -param_enc explicit -out explicit.pem"));
  for (const char* file : {"compressed.pem", "explicit.pem"}) {
    Result<SigningKey> key = SigningKey::LoadPemFile(dir.Path(file));
    ASSERT_TRUE(key.ok()) << file << ": " << key.status().ToString();
    EXPECT_EQ(key->PublicKeyPem(), ReadText(dir.Path("pub.pem"))) << file;
  }
}

// ---------------------------------------------------------------------------------------
// Interoperability: the command in pins/signing.h's header, run for real.

TEST(SigningInterop, OpensslDgstVerifiesOurSignatureAndRefusesAChangedDocument) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  SigningKey key = NewKey();
  Result<std::vector<uint8_t>> sig = key.Sign(AsBytes(kDocument));
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json"), kDocument));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json.sig"), SignatureFileText(*sig)));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("pub.pem"), key.PublicKeyPem()));

  const std::string verify = "cd " + dir.path() +
                             " && openssl dgst -sha256 -verify pub.pem -signature <(base64 -d api.json.sig) api.json";
  ShellResult good = RunBash(verify);
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output, "Verified OK\n");

  std::string changed = kDocument;
  changed[changed.size() - 2] = '3';  // "version":2 -> 3
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json"), changed));
  ShellResult bad = RunBash(verify);
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.exit_code, -1) << bad.output;
  EXPECT_NE(bad.output.find("Verification failure"), std::string::npos) << bad.output;
}

TEST(SigningInterop, WeVerifyWhatOpensslSignsWithOurKey) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  SigningKey key = NewKey();
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("key.pem"), key.PrivateKeyPem()));
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json"), kDocument));
  ShellResult signed_by_openssl =
      RunBash("cd " + dir.path() + " && openssl dgst -sha256 -sign key.pem api.json | base64 -w0");
  ASSERT_EQ(signed_by_openssl.exit_code, 0) << signed_by_openssl.output;
  Status s = VerifyDocumentSignature(key.PublicKeyPem(), AsBytes(kDocument), signed_by_openssl.output + "\n");
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << signed_by_openssl.output;
}

// The daemon's pass and `proposals approve` (and replicas sharing a directory) publish the
// same file at the same moment. With one fixed temporary name, one writer's rename took the
// other's file away ("cannot replace: No such file or directory", seen in the demo).
TEST(WriteFileAtomically, ConcurrentWritersOfOnePathAllSucceedAndLeaveOneWholeFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.Path("api.json");
  constexpr int kWriters = 6;
  constexpr int kWrites = 150;
  std::vector<std::string> contents;
  for (int w = 0; w < kWriters; ++w) contents.push_back(std::string(1000 + w, static_cast<char>('a' + w)));
  std::vector<int> failures(kWriters, 0);
  std::vector<std::string> first_error(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kWrites; ++i) {
        // Alternate with another writer's bytes so that the "already holds them" skip does
        // not hide the race.
        const Status s = WriteFileAtomically(path, contents[(w + i) % kWriters]);
        if (!s.ok() && failures[w]++ == 0) first_error[w] = s.message();
      }
    });
  }
  for (std::thread& t : writers) t.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(failures[w], 0) << "writer " << w << ": " << first_error[w];
  std::ifstream in(path, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::find(contents.begin(), contents.end(), got), contents.end()) << "a torn file of " << got.size() << " bytes";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "api.json") << "left behind";
  }
  EXPECT_EQ(files, 1);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "apps' web server must be able to read it";
}

// A writer killed between creating its temporary file and renaming it (kill -9 while
// publishing, crash_anywhere_test) left api.json.XXXXXX in the published directory for
// good. The next write of the path removes such files, but not one a live writer holds
// locked, nor one made a moment ago (its writer may not have locked it yet).
TEST(WriteFileAtomically, TheNextWriteRemovesTheTemporaryFileOfAKilledWriter) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  // Files of killed writers, a minute old; one just made (its writer may be about to lock it).
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json.AbC123"), "{\"name\":\"api\",\"ver"));  // cut short
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json.sig.Qq1234"), ""));  // another path's
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("www.json.Zz9876"), ""));      // another set's
  // A writer still at work holds its file locked (flock) until it renames it.
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json.Live42"), "{"));
  const timespec a_minute_ago[2] = {{time(nullptr) - 60, 0}, {time(nullptr) - 60, 0}};
  for (const char* name : {"api.json.AbC123", "api.json.sig.Qq1234", "www.json.Zz9876", "api.json.Live42"}) {
    ASSERT_EQ(utimensat(AT_FDCWD, dir.Path(name).c_str(), a_minute_ago, 0), 0) << name;
  }
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir.Path("api.json.New123"), ""));
  const int live = open(dir.Path("api.json.Live42").c_str(), O_RDONLY);
  ASSERT_GE(live, 0);
  ASSERT_EQ(flock(live, LOCK_EX), 0);

  ASSERT_TRUE(WriteFileAtomically(dir.Path("api.json"), kDocument).ok());
  auto names = [&] {
    std::set<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) out.insert(entry.path().filename());
    return out;
  };
  EXPECT_EQ(names(), (std::set<std::string>{"api.json", "api.json.Live42", "api.json.New123", "api.json.sig.Qq1234",
                                            "www.json.Zz9876"}));
  EXPECT_EQ(ReadText(dir.Path("api.json")), kDocument);

  // Its writer dies: the lock goes with it, and the next write (even one that finds the
  // file already right and writes nothing) removes what it left.
  close(live);
  ASSERT_TRUE(WriteFileAtomically(dir.Path("api.json"), kDocument).ok());
  EXPECT_EQ(names(), (std::set<std::string>{"api.json", "api.json.New123", "api.json.sig.Qq1234", "www.json.Zz9876"}));
  ASSERT_TRUE(WriteFileAtomically(dir.Path("api.json.sig"), "sig\n").ok());
  EXPECT_EQ(names(), (std::set<std::string>{"api.json", "api.json.New123", "api.json.sig", "www.json.Zz9876"}));
}

}  // namespace
}  // namespace pinwatch::pins
