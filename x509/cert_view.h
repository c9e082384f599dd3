// Views over X.509 certificates (RFC 5280 §4.1) for the monitor's hot path: one strict,
// allocation-free DER walk that pulls out what matching and identity need (names, SPKI,
// issuer, validity, extensions), and a best-effort walk for certificates that fail it
// ("never miss a certificate", issue 3). OpenSSL is not used here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>

#include "base/byte_reader.h"
#include "base/status.h"
#include "x509/der.h"

namespace pinwatch::x509 {

// OID bodies (contents of the OBJECT IDENTIFIER, without tag and length).
inline constexpr std::array<uint8_t, 3> kOidCommonName = {0x55, 0x04, 0x03};        // 2.5.4.3
inline constexpr std::array<uint8_t, 3> kOidSubjectAltName = {0x55, 0x1d, 0x11};    // 2.5.29.17
// 1.3.6.1.4.1.11129.2.4.3: the CT precertificate poison (RFC 6962 §3.1).
inline constexpr std::array<uint8_t, 10> kOidCtPoison = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                                         0xd6, 0x79, 0x02, 0x04, 0x03};
// 1.3.6.1.4.1.11129.2.4.2: the embedded SCT list (RFC 6962 §3.3).
inline constexpr std::array<uint8_t, 10> kOidCtSctList = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                                          0xd6, 0x79, 0x02, 0x04, 0x02};

// GeneralName tags we look at (RFC 5280 §4.2.1.6, IMPLICIT tagging).
inline constexpr uint8_t kGeneralNameDns = der::ContextPrimitive(2);  // dNSName [2] IA5String
inline constexpr uint8_t kGeneralNameIp = der::ContextPrimitive(7);   // iPAddress [7] OCTET STRING

//   AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
struct AlgorithmIdentifierView {
  Bytes tlv{};
  Bytes algorithm{};   // OID body
  Bytes parameters{};  // the parameters TLV, empty when absent
};

//   Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
//                            extnValue OCTET STRING }
struct ExtensionView {
  Bytes tlv{};
  Bytes oid{};    // OID body
  bool critical = false;
  Bytes value{};  // extnValue contents (the DER of the extension's own type)
};

// Extensions iterates, lazily and without allocating, over an Extensions SEQUENCE body that
// ParseTbsCertificate already validated. Views alias the certificate.
class Extensions {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = ExtensionView;
    using difference_type = std::ptrdiff_t;
    using pointer = const ExtensionView*;
    using reference = const ExtensionView&;
    Iterator() = default;
    const ExtensionView& operator*() const { return current_; }
    const ExtensionView* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) { Iterator old = *this; ++*this; return old; }
    bool operator==(const Iterator& other) const { return at_end_ == other.at_end_ && (at_end_ || current_.tlv.data() == other.current_.tlv.data()); }

   private:
    friend class Extensions;
    explicit Iterator(Bytes rest) : rest_(rest) { ++*this; }
    Bytes rest_{};
    ExtensionView current_{};
    bool at_end_ = false;
  };
  Extensions() = default;
  explicit Extensions(Bytes body) : body_(body) {}
  Iterator begin() const { return Iterator(body_); }
  Iterator end() const { Iterator it; it.at_end_ = true; return it; }
  bool empty() const { return body_.empty(); }

 private:
  Bytes body_{};
};

// TaggedValues iterates over the elements of a validated SEQUENCE body that carry one tag
// and yields their contents; used for SAN dNSName and iPAddress entries.
class TaggedValues {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Bytes;
    using difference_type = std::ptrdiff_t;
    using pointer = const Bytes*;
    using reference = const Bytes&;
    Iterator() = default;
    const Bytes& operator*() const { return current_; }
    Iterator& operator++();
    Iterator operator++(int) { Iterator old = *this; ++*this; return old; }
    bool operator==(const Iterator& other) const { return at_end_ == other.at_end_ && (at_end_ || current_.data() == other.current_.data()); }

   private:
    friend class TaggedValues;
    Iterator(Bytes rest, uint8_t tag) : rest_(rest), tag_(tag) { ++*this; }
    Bytes rest_{};
    uint8_t tag_ = 0;
    Bytes current_{};
    bool at_end_ = false;
  };
  TaggedValues(Bytes body, uint8_t tag) : body_(body), tag_(tag) {}
  Iterator begin() const { return Iterator(body_, tag_); }
  Iterator end() const { Iterator it; it.at_end_ = true; return it; }

 private:
  Bytes body_{};
  uint8_t tag_ = 0;
};

// AttributeValueView is one AttributeTypeAndValue's value: its string tag
// (der::kUtf8String, der::kPrintableString, ...) and its contents, undecoded.
struct AttributeValueView {
  uint8_t string_tag = 0;
  Bytes value{};
};

// CommonNames iterates over the commonName (2.5.4.3) attribute values of a validated Name,
// in document order, across all RDNs.
class CommonNames {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = AttributeValueView;
    using difference_type = std::ptrdiff_t;
    using pointer = const AttributeValueView*;
    using reference = const AttributeValueView&;
    Iterator() = default;
    const AttributeValueView& operator*() const { return current_; }
    const AttributeValueView* operator->() const { return &current_; }
    Iterator& operator++();
    Iterator operator++(int) { Iterator old = *this; ++*this; return old; }
    bool operator==(const Iterator& other) const { return at_end_ == other.at_end_ && (at_end_ || current_.value.data() == other.current_.value.data()); }

   private:
    friend class CommonNames;
    explicit Iterator(Bytes rdns) : rdns_rest_(rdns) { ++*this; }
    Bytes rdns_rest_{};  // RDNs not yet entered
    Bytes atvs_rest_{};  // AttributeTypeAndValues left in the current RDN
    AttributeValueView current_{};
    bool at_end_ = false;
  };
  explicit CommonNames(Bytes name_body) : body_(name_body) {}
  Iterator begin() const { return Iterator(body_); }
  Iterator end() const { Iterator it; it.at_end_ = true; return it; }

 private:
  Bytes body_{};
};

//   Validity ::= SEQUENCE { notBefore Time, notAfter Time }
//   Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }
struct ValidityView {
  Bytes tlv{};
  int64_t not_before_unix_s = 0;
  int64_t not_after_unix_s = 0;  // inclusive (RFC 5280 §4.1.2.5)
};

// TbsView is a parsed TBSCertificate (RFC 5280 §4.1). Every span aliases the input of
// ParseTbsCertificate and must not outlive it. What was verified: DER framing with minimal
// lengths throughout the TBS, the tags of every field, version in {v1, v2, v3}, a minimal
// serial INTEGER (negative and zero serials are accepted: they occur in real certificates),
// the structure of issuer/subject Names and of the SPKI, both times, every Extension's
// framing, no duplicate SAN/poison/SCT-list extension, SAN GeneralNames framing (dNSName
// primitive, iPAddress 4 or 16 octets), a poison whose value is NULL. Not verified: string
// contents (IA5/UTF-8 validity), the public key itself, anything about the signature,
// duplicate extensions other than those three, unknown critical extensions.
struct TbsView {
  Bytes tlv{};                    // the whole TBSCertificate
  int version = 0;                // 0 = v1, 1 = v2, 2 = v3 (the encoded value)
  Bytes serial{};                 // INTEGER body: big-endian two's complement, minimal
  AlgorithmIdentifierView signature{};
  Bytes issuer{};                 // Name TLV
  ValidityView validity{};
  Bytes subject{};                // Name TLV
  Bytes subject_public_key_info{};  // SPKI TLV: SHA-256 of it is the pin
  Bytes issuer_unique_id{};       // [1] body, empty when absent
  Bytes subject_unique_id{};      // [2] body, empty when absent
  Bytes extensions_tlv{};         // the [3] EXPLICIT wrapper TLV, empty when absent
  Bytes extensions_body{};        // Extensions SEQUENCE body, empty when absent
  // Found while validating the extensions (so callers need not iterate for them):
  bool has_san = false;
  Bytes san_body{};               // GeneralNames SEQUENCE body, empty when no SAN extension
  size_t san_dns_name_count = 0;
  size_t san_ip_address_count = 0;
  bool has_poison = false;        // 1.3.6.1.4.1.11129.2.4.3
  bool poison_critical = false;
  bool has_sct_list = false;      // 1.3.6.1.4.1.11129.2.4.2

  Extensions extensions() const { return Extensions(extensions_body); }
  // SanDnsNames/SanIpAddresses yield each dNSName (IA5String bytes, undecoded) or
  // iPAddress (4 or 16 octets) in order.
  TaggedValues SanDnsNames() const { return TaggedValues(san_body, kGeneralNameDns); }
  TaggedValues SanIpAddresses() const { return TaggedValues(san_body, kGeneralNameIp); }
  // SubjectCommonNames yields the subject's commonName attributes with their string types.
  CommonNames SubjectCommonNames() const;
};

//   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
//                              signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
struct CertificateView {
  Bytes tlv{};
  TbsView tbs{};
  AlgorithmIdentifierView signature_algorithm{};
  Bytes signature_value{};  // BIT STRING body (first octet: unused bits)
};

// ParseCertificate parses one DER Certificate that fills `der` exactly. On success the view
// aliases `der`; on failure the Status is kMalformed and names the field (e.g.
// "tbsCertificate.validity.notAfter") and the absolute byte offset. Does not allocate on
// success; thread-safe (no shared state).
Result<CertificateView> ParseCertificate(Bytes der);

// ParseTbsCertificate parses one DER TBSCertificate that fills `tbs` exactly (as in an RFC
// 6962 precert_entry). Same contract as ParseCertificate; offsets are relative to `tbs`.
Result<TbsView> ParseTbsCertificate(Bytes tbs);

// NameSource says where a best-effort name was found.
enum class NameSource { kSubjectCommonName, kSanDnsName, kSanIpAddress };

// FoundName is one name the best-effort walk reached; `value` aliases the input.
struct FoundName {
  NameSource source = NameSource::kSanDnsName;
  uint8_t tag = 0;  // string tag for a CN, the GeneralName tag for SAN entries
  Bytes value{};
};

// NameVisitor is a non-owning reference to a callable `void(const FoundName&)`; it must
// not outlive the callable (pass a lambda directly to WalkNamesBestEffort).
class NameVisitor {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, NameVisitor> &&
             std::is_invocable_v<F&, const FoundName&>)
  NameVisitor(F&& f)  // NOLINT: implicit, like std::function_ref
      : ctx_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* ctx, const FoundName& name) {
          (*static_cast<std::remove_reference_t<F>*>(ctx))(name);
        }) {}
  void operator()(const FoundName& name) const { call_(ctx_, name); }

 private:
  void* ctx_;
  void (*call_)(void*, const FoundName&);
};

// BestEffortWalk reports how far WalkNamesBestEffort got.
struct BestEffortWalk {
  size_t names_found = 0;       // calls made to the visitor
  bool reached_subject = false;
  bool reached_extensions = false;  // a [3] extensions wrapper was found and entered
  bool complete = false;        // every element was framed and walked; nothing was skipped
};

// WalkNamesBestEffort calls `visit` for every subject commonName and every SAN dNSName and
// iPAddress it can reach in `der`, a Certificate or a bare TBSCertificate (told apart by
// the first element inside the outer SEQUENCE), in document order. It never fails and
// never allocates; use it when ParseCertificate/ParseTbsCertificate refuse the input, so a
// watched name in a broken certificate is still seen. On input that the strict parser
// accepts it reports exactly the names the strict view yields.
// What it tolerates, beyond strict DER:
//   - non-minimal length encodings, and lengths that run past their parent (the element is
//     clamped to what remains, so a truncated certificate still yields its leading names;
//     a clamped string value is not reported, as it may be a cut-off name);
//   - trailing bytes after any element (Certificate, TBS, extensions, SAN, names);
//   - any or no version, and any version value; any content and any tag in serialNumber,
//     signature, issuer, validity (bad or odd time formats) and subjectPublicKeyInfo, which
//     are skipped by position (subject is the fifth element after the optional [0]);
//   - extensions after other unexpected elements (the first [3] after the subject is used),
//     non-DER critical BOOLEANs, duplicate SAN extensions (all are walked);
//   - an extension, RDN, attribute or GeneralName it cannot frame is skipped, and the walk
//     goes on with the next one where the framing allows (complete is then false);
//   - any string tag for a CN, and a CN or name of any length.
// It does not handle indefinite lengths, multi-byte tags, or constructed (BER) strings:
// the container holding them is abandoned there (complete = false). Thread-safe.
BestEffortWalk WalkNamesBestEffort(Bytes der, NameVisitor visit);

}  // namespace pinwatch::x509
