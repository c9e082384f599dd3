// Strict and best-effort certificate walks (RFC 5280 §4.1). See cert_view.h.
#include "x509/cert_view.h"

#include <algorithm>

namespace pinwatch::x509 {
namespace {

using der::Element;
using der::Failure;
using der::Reader;
using der::Rules;

template <size_t N>
bool OidIs(Bytes oid, const std::array<uint8_t, N>& want) {
  return std::ranges::equal(oid, want);
}

// ParseAlgorithmIdentifier parses
//   AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }
Status ParseAlgorithmIdentifier(Reader& r, std::string_view field, AlgorithmIdentifierView& out) {
  std::optional<Element> seq = r.Next(der::kSequence);
  if (!seq) return r.Fail(field);
  Reader in(*seq, Rules::kDer);
  //   algorithm OBJECT IDENTIFIER
  std::optional<Element> oid = in.Next(der::kObjectIdentifier);
  if (!oid) return in.Fail(field);
  if (!der::IsValidOid(oid->contents)) return der::MalformedAt(field, Failure::kBadValue, oid->offset);
  //   parameters ANY DEFINED BY algorithm OPTIONAL
  Bytes parameters;
  if (!in.empty()) {
    std::optional<Element> p = in.Next();
    if (!p) return in.Fail(field);
    parameters = p->tlv;
  }
  if (!in.ExpectEnd()) return in.Fail(field);
  out = {.tlv = seq->tlv, .algorithm = oid->contents, .parameters = parameters};
  return OkStatus();
}

// ParseName validates
//   Name ::= SEQUENCE OF RelativeDistinguishedName
//   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
//   AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY }
// and returns the Name TLV. Attribute values are not decoded.
Status ParseName(Reader& r, std::string_view field, Bytes& out) {
  std::optional<Element> name = r.Next(der::kSequence);
  if (!name) return r.Fail(field);
  Reader rdns(*name, Rules::kDer);
  while (!rdns.empty()) {
    std::optional<Element> rdn = rdns.Next(der::kSet);
    if (!rdn) return rdns.Fail(field);
    if (rdn->contents.empty()) return der::MalformedAt(field, Failure::kBadValue, rdn->offset);
    Reader atvs(*rdn, Rules::kDer);
    while (!atvs.empty()) {
      std::optional<Element> atv = atvs.Next(der::kSequence);
      if (!atv) return atvs.Fail(field);
      Reader in(*atv, Rules::kDer);
      std::optional<Element> type = in.Next(der::kObjectIdentifier);
      if (!type) return in.Fail(field);
      if (!der::IsValidOid(type->contents)) {
        return der::MalformedAt(field, Failure::kBadValue, type->offset);
      }
      if (!in.Next() || !in.ExpectEnd()) return in.Fail(field);
    }
  }
  out = name->tlv;
  return OkStatus();
}

// ParseTime reads Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }.
Status ParseTimeField(Reader& r, std::string_view field, int64_t& out_unix_s) {
  std::optional<uint8_t> tag = r.PeekTag();
  std::optional<Element> t = r.Next(tag == der::kGeneralizedTime ? der::kGeneralizedTime : der::kUtcTime);
  if (!t) return r.Fail(field);
  std::optional<int64_t> v = der::ParseTime(*t);
  if (!v) return der::MalformedAt(field, Failure::kBadValue, t->offset);
  out_unix_s = *v;
  return OkStatus();
}

// ParseGeneralNames validates GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName and
// counts dNSName and iPAddress entries.
Status ParseSubjectAltName(const ExtensionView& ext, size_t value_offset, TbsView& tbs) {
  constexpr std::string_view kField = "tbsCertificate.extensions.subjectAltName";
  Reader value(ext.value, value_offset, Rules::kDer);
  std::optional<Element> names = value.Next(der::kSequence);
  if (!names) return value.Fail(kField);
  if (!value.ExpectEnd()) return value.Fail(kField);
  if (names->contents.empty()) return der::MalformedAt(kField, Failure::kBadValue, names->offset);
  Reader r(*names, Rules::kDer);
  while (!r.empty()) {
    std::optional<Element> name = r.Next();
    if (!name) return r.Fail(kField);
    // GeneralName ::= CHOICE { otherName [0], rfc822Name [1], dNSName [2], ... } (IMPLICIT).
    if ((name->tag & der::kClassMask) != der::kContextSpecificClass) {
      return der::MalformedAt(kField, Failure::kWrongTag, name->offset);
    }
    const uint8_t number = name->tag & 0x1f;
    if (number == 2) {
      // dNSName [2] IA5String: primitive
      if (name->tag != kGeneralNameDns) return der::MalformedAt(kField, Failure::kWrongTag, name->offset);
      ++tbs.san_dns_name_count;
    } else if (number == 7) {
      // iPAddress [7] OCTET STRING: 4 (IPv4) or 16 (IPv6) octets in a SAN (§4.2.1.6)
      if (name->tag != kGeneralNameIp) return der::MalformedAt(kField, Failure::kWrongTag, name->offset);
      if (name->contents.size() != 4 && name->contents.size() != 16) {
        return der::MalformedAt(kField, Failure::kBadValue, name->offset);
      }
      ++tbs.san_ip_address_count;
    }
  }
  tbs.has_san = true;
  tbs.san_body = names->contents;
  return OkStatus();
}

//   Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
Status ParseExtensions(const Element& wrapper, TbsView& tbs) {
  constexpr std::string_view kField = "tbsCertificate.extensions";
  Reader outer(wrapper, Rules::kDer);
  std::optional<Element> seq = outer.Next(der::kSequence);
  if (!seq) return outer.Fail(kField);
  if (!outer.ExpectEnd()) return outer.Fail(kField);
  if (seq->contents.empty()) return der::MalformedAt(kField, Failure::kBadValue, seq->offset);
  Reader r(*seq, Rules::kDer);
  while (!r.empty()) {
    //   Extension ::= SEQUENCE {
    std::optional<Element> ext = r.Next(der::kSequence);
    if (!ext) return r.Fail(kField);
    Reader in(*ext, Rules::kDer);
    //     extnID OBJECT IDENTIFIER,
    std::optional<Element> oid = in.Next(der::kObjectIdentifier);
    if (!oid) return in.Fail("tbsCertificate.extensions.extnID");
    if (!der::IsValidOid(oid->contents)) {
      return der::MalformedAt("tbsCertificate.extensions.extnID", Failure::kBadValue, oid->offset);
    }
    //     critical BOOLEAN DEFAULT FALSE,
    // An explicit FALSE is not DER (X.690 §11.5) but is accepted: it occurs in the wild
    // and changes nothing we extract.
    bool critical = false;
    if (in.PeekTag() == der::kBoolean) {
      std::optional<Element> b = in.Next(der::kBoolean);
      if (!b) return in.Fail("tbsCertificate.extensions.critical");
      std::optional<bool> v = der::ParseBoolean(b->contents);
      if (!v) return der::MalformedAt("tbsCertificate.extensions.critical", Failure::kBadValue, b->offset);
      critical = *v;
    }
    //     extnValue OCTET STRING }
    std::optional<Element> value = in.Next(der::kOctetString);
    if (!value) return in.Fail("tbsCertificate.extensions.extnValue");
    if (!in.ExpectEnd()) return in.Fail("tbsCertificate.extensions");
    ExtensionView view{.tlv = ext->tlv, .oid = oid->contents, .critical = critical,
                       .value = value->contents};
    if (OidIs(view.oid, kOidSubjectAltName)) {
      if (tbs.has_san) return der::MalformedAt("tbsCertificate.extensions.subjectAltName (duplicate)", Failure::kBadValue, ext->offset);
      if (Status s = ParseSubjectAltName(view, value->contents_offset, tbs); !s.ok()) return s;
    } else if (OidIs(view.oid, kOidCtPoison)) {
      // RFC 6962 §3.1: "extnValue OCTET STRING which MUST be ASN.1 NULL data (0x05 0x00)".
      if (tbs.has_poison || !std::ranges::equal(view.value, std::array<uint8_t, 2>{der::kNull, 0})) {
        return der::MalformedAt("tbsCertificate.extensions.ctPoison", Failure::kBadValue, ext->offset);
      }
      tbs.has_poison = true;
      tbs.poison_critical = critical;
    } else if (OidIs(view.oid, kOidCtSctList)) {
      if (tbs.has_sct_list) return der::MalformedAt("tbsCertificate.extensions.sctList (duplicate)", Failure::kBadValue, ext->offset);
      tbs.has_sct_list = true;
    }
  }
  tbs.extensions_tlv = wrapper.tlv;
  tbs.extensions_body = seq->contents;
  return OkStatus();
}

Status ParseTbs(Reader& outer, TbsView& tbs) {
  // TBSCertificate ::= SEQUENCE {
  std::optional<Element> seq = outer.Next(der::kSequence);
  if (!seq) return outer.Fail("tbsCertificate");
  tbs.tlv = seq->tlv;
  Reader r(*seq, Rules::kDer);
  //   version [0] EXPLICIT Version DEFAULT v1,   Version ::= INTEGER { v1(0), v2(1), v3(2) }
  if (r.PeekTag() == der::ContextConstructed(0)) {
    std::optional<Element> wrapper = r.Next(der::ContextConstructed(0));
    if (!wrapper) return r.Fail("tbsCertificate.version");
    Reader v(*wrapper, Rules::kDer);
    std::optional<Element> version = v.Next(der::kInteger);
    if (!version) return v.Fail("tbsCertificate.version");
    if (!v.ExpectEnd()) return v.Fail("tbsCertificate.version");
    std::optional<int64_t> n = der::ParseSmallInteger(version->contents);
    // DER omits a DEFAULT value (X.690 §11.5), so an explicit v1 (0) is rejected too.
    if (!n || *n < 1 || *n > 2) {
      return der::MalformedAt("tbsCertificate.version", Failure::kBadValue, version->offset);
    }
    tbs.version = static_cast<int>(*n);
  }
  //   serialNumber CertificateSerialNumber,   CertificateSerialNumber ::= INTEGER
  std::optional<Element> serial = r.Next(der::kInteger);
  if (!serial) return r.Fail("tbsCertificate.serialNumber");
  if (!der::IsMinimalInteger(serial->contents)) {
    return der::MalformedAt("tbsCertificate.serialNumber", Failure::kBadValue, serial->offset);
  }
  tbs.serial = serial->contents;
  //   signature AlgorithmIdentifier,
  if (Status s = ParseAlgorithmIdentifier(r, "tbsCertificate.signature", tbs.signature); !s.ok()) return s;
  //   issuer Name,
  if (Status s = ParseName(r, "tbsCertificate.issuer", tbs.issuer); !s.ok()) return s;
  //   validity Validity,   Validity ::= SEQUENCE { notBefore Time, notAfter Time }
  std::optional<Element> validity = r.Next(der::kSequence);
  if (!validity) return r.Fail("tbsCertificate.validity");
  tbs.validity.tlv = validity->tlv;
  Reader times(*validity, Rules::kDer);
  if (Status s = ParseTimeField(times, "tbsCertificate.validity.notBefore", tbs.validity.not_before_unix_s); !s.ok()) return s;
  if (Status s = ParseTimeField(times, "tbsCertificate.validity.notAfter", tbs.validity.not_after_unix_s); !s.ok()) return s;
  if (!times.ExpectEnd()) return times.Fail("tbsCertificate.validity");
  //   subject Name,
  if (Status s = ParseName(r, "tbsCertificate.subject", tbs.subject); !s.ok()) return s;
  //   subjectPublicKeyInfo SubjectPublicKeyInfo,
  //   SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  std::optional<Element> spki = r.Next(der::kSequence);
  if (!spki) return r.Fail("tbsCertificate.subjectPublicKeyInfo");
  {
    Reader in(*spki, Rules::kDer);
    AlgorithmIdentifierView alg;
    if (Status s = ParseAlgorithmIdentifier(in, "tbsCertificate.subjectPublicKeyInfo.algorithm", alg); !s.ok()) return s;
    if (!in.Next(der::kBitString) || !in.ExpectEnd()) return in.Fail("tbsCertificate.subjectPublicKeyInfo.subjectPublicKey");
  }
  tbs.subject_public_key_info = spki->tlv;
  //   issuerUniqueID [1] IMPLICIT UniqueIdentifier OPTIONAL,  -- v2 or v3
  if (r.PeekTag() == der::ContextPrimitive(1)) {
    std::optional<Element> id = r.Next(der::ContextPrimitive(1));
    if (!id) return r.Fail("tbsCertificate.issuerUniqueID");
    if (tbs.version < 1) return der::MalformedAt("tbsCertificate.issuerUniqueID (v1)", Failure::kBadValue, id->offset);
    tbs.issuer_unique_id = id->contents;
  }
  //   subjectUniqueID [2] IMPLICIT UniqueIdentifier OPTIONAL,  -- v2 or v3
  if (r.PeekTag() == der::ContextPrimitive(2)) {
    std::optional<Element> id = r.Next(der::ContextPrimitive(2));
    if (!id) return r.Fail("tbsCertificate.subjectUniqueID");
    if (tbs.version < 1) return der::MalformedAt("tbsCertificate.subjectUniqueID (v1)", Failure::kBadValue, id->offset);
    tbs.subject_unique_id = id->contents;
  }
  //   extensions [3] EXPLICIT Extensions OPTIONAL  -- v3 only
  if (r.PeekTag() == der::ContextConstructed(3)) {
    std::optional<Element> wrapper = r.Next(der::ContextConstructed(3));
    if (!wrapper) return r.Fail("tbsCertificate.extensions");
    if (tbs.version != 2) return der::MalformedAt("tbsCertificate.extensions (not v3)", Failure::kBadValue, wrapper->offset);
    if (Status s = ParseExtensions(*wrapper, tbs); !s.ok()) return s;
  }
  // }
  if (!r.ExpectEnd()) return r.Fail("tbsCertificate");
  return OkStatus();
}

}  // namespace

Extensions::Iterator& Extensions::Iterator::operator++() {
  // Each body element was validated by ParseExtensions; a failure here means the view was
  // built by hand from unvalidated bytes, and iteration simply ends.
  std::optional<Element> ext = der::TakeElement(rest_);
  if (!ext) {
    at_end_ = true;
    current_ = {};
    return *this;
  }
  Bytes body = ext->contents;
  std::optional<Element> oid = der::TakeElement(body);
  bool critical = false;
  std::optional<Element> next = der::TakeElement(body);
  if (next && next->tag == der::kBoolean) {
    critical = der::ParseBoolean(next->contents).value_or(false);
    next = der::TakeElement(body);
  }
  if (!oid || !next) {
    at_end_ = true;
    current_ = {};
    return *this;
  }
  current_ = {.tlv = ext->tlv, .oid = oid->contents, .critical = critical, .value = next->contents};
  return *this;
}

TaggedValues::Iterator& TaggedValues::Iterator::operator++() {
  while (std::optional<Element> e = der::TakeElement(rest_)) {
    if (e->tag == tag_) {
      current_ = e->contents;
      return *this;
    }
  }
  at_end_ = true;
  current_ = {};
  return *this;
}

CommonNames::Iterator& CommonNames::Iterator::operator++() {
  for (;;) {
    while (std::optional<Element> atv = der::TakeElement(atvs_rest_)) {
      Bytes body = atv->contents;
      std::optional<Element> type = der::TakeElement(body);
      std::optional<Element> value = der::TakeElement(body);
      if (type && value && type->tag == der::kObjectIdentifier && OidIs(type->contents, kOidCommonName)) {
        current_ = {.string_tag = value->tag, .value = value->contents};
        return *this;
      }
    }
    std::optional<Element> rdn = der::TakeElement(rdns_rest_);
    if (!rdn) break;
    atvs_rest_ = rdn->contents;
  }
  at_end_ = true;
  current_ = {};
  return *this;
}

CommonNames TbsView::SubjectCommonNames() const {
  Bytes name = subject;
  std::optional<Element> seq = der::TakeElement(name);
  return CommonNames(seq ? seq->contents : Bytes{});
}

Result<TbsView> ParseTbsCertificate(Bytes tbs) {
  Reader r(tbs);
  TbsView view;
  if (Status s = ParseTbs(r, view); !s.ok()) return s;
  if (!r.ExpectEnd()) return r.Fail("tbsCertificate (after)");
  return view;
}

Result<CertificateView> ParseCertificate(Bytes der) {
  Reader outer(der);
  // Certificate ::= SEQUENCE {
  std::optional<Element> cert = outer.Next(der::kSequence);
  if (!cert) return outer.Fail("certificate");
  if (!outer.ExpectEnd()) return outer.Fail("certificate (after)");
  CertificateView view{.tlv = cert->tlv};
  Reader r(*cert, Rules::kDer);
  //   tbsCertificate TBSCertificate,
  if (Status s = ParseTbs(r, view.tbs); !s.ok()) return s;
  //   signatureAlgorithm AlgorithmIdentifier,
  if (Status s = ParseAlgorithmIdentifier(r, "signatureAlgorithm", view.signature_algorithm); !s.ok()) return s;
  //   signatureValue BIT STRING }
  std::optional<Element> sig = r.Next(der::kBitString);
  if (!sig) return r.Fail("signatureValue");
  if (sig->contents.empty() || sig->contents[0] > 7) {
    return der::MalformedAt("signatureValue", Failure::kBadValue, sig->offset);
  }
  view.signature_value = sig->contents;
  if (!r.ExpectEnd()) return r.Fail("certificate");
  return view;
}

// ---------------------------------------------------------------------------------------
// Best-effort walk. Everything is read with Rules::kLenient; see the header for what is
// tolerated. Each helper returns false when it had to skip something.
namespace {

// WalkName reports the commonName values of a Name body.
bool WalkName(Bytes name_body, NameVisitor& visit, BestEffortWalk& walk) {
  bool complete = true;
  Bytes rdns = name_body;
  while (!rdns.empty()) {
    std::optional<Element> rdn = der::TakeElement(rdns, Rules::kLenient);
    if (!rdn) return false;
    if (rdn->clamped) complete = false;
    Bytes atvs = rdn->contents;
    while (!atvs.empty()) {
      std::optional<Element> atv = der::TakeElement(atvs, Rules::kLenient);
      if (!atv) { complete = false; break; }
      if (atv->clamped) complete = false;
      Bytes body = atv->contents;
      std::optional<Element> type = der::TakeElement(body, Rules::kLenient);
      if (!type || type->tag != der::kObjectIdentifier || !OidIs(type->contents, kOidCommonName)) {
        if (!type) complete = false;
        continue;
      }
      std::optional<Element> value = der::TakeElement(body, Rules::kLenient);
      if (!value || value->clamped) { complete = false; continue; }
      visit({.source = NameSource::kSubjectCommonName, .tag = value->tag, .value = value->contents});
      ++walk.names_found;
    }
  }
  return complete;
}

// WalkGeneralNames reports dNSName and iPAddress entries of a SAN extnValue.
bool WalkGeneralNames(Bytes value, NameVisitor& visit, BestEffortWalk& walk) {
  std::optional<Element> seq = der::TakeElement(value, Rules::kLenient);
  if (!seq || seq->tag != der::kSequence) return false;
  bool complete = !seq->clamped;
  Bytes names = seq->contents;
  while (!names.empty()) {
    std::optional<Element> name = der::TakeElement(names, Rules::kLenient);
    if (!name) return false;
    if (name->clamped) { complete = false; continue; }
    if (name->tag == kGeneralNameDns) {
      visit({.source = NameSource::kSanDnsName, .tag = name->tag, .value = name->contents});
      ++walk.names_found;
    } else if (name->tag == kGeneralNameIp) {
      visit({.source = NameSource::kSanIpAddress, .tag = name->tag, .value = name->contents});
      ++walk.names_found;
    }
  }
  return complete;
}

// WalkExtensions walks an Extensions SEQUENCE (inside the [3] wrapper).
bool WalkExtensions(Bytes wrapper_body, NameVisitor& visit, BestEffortWalk& walk) {
  std::optional<Element> seq = der::TakeElement(wrapper_body, Rules::kLenient);
  if (!seq) return false;
  bool complete = !seq->clamped && seq->tag == der::kSequence;
  Bytes exts = seq->contents;
  while (!exts.empty()) {
    std::optional<Element> ext = der::TakeElement(exts, Rules::kLenient);
    if (!ext) return false;
    if (ext->clamped) complete = false;
    Bytes body = ext->contents;
    std::optional<Element> oid = der::TakeElement(body, Rules::kLenient);
    if (!oid) { complete = false; continue; }
    if (!OidIs(oid->contents, kOidSubjectAltName)) continue;
    // Skip a critical BOOLEAN of any content, then expect the OCTET STRING.
    std::optional<Element> value = der::TakeElement(body, Rules::kLenient);
    if (value && value->tag == der::kBoolean) value = der::TakeElement(body, Rules::kLenient);
    if (!value || value->tag != der::kOctetString) { complete = false; continue; }
    if (value->clamped) complete = false;
    if (!WalkGeneralNames(value->contents, visit, walk)) complete = false;
  }
  return complete;
}

}  // namespace

BestEffortWalk WalkNamesBestEffort(Bytes der_bytes, NameVisitor visit) {
  BestEffortWalk walk;
  Bytes rest = der_bytes;
  std::optional<Element> outer = der::TakeElement(rest, Rules::kLenient);
  if (!outer) return walk;
  bool complete = !outer->clamped;
  // Certificate or TBSCertificate? A Certificate's first element is the TBS SEQUENCE; a
  // TBS starts with [0] version or the serial INTEGER.
  Bytes tbs_body = outer->contents;
  {
    Bytes probe = outer->contents;
    std::optional<Element> first = der::TakeElement(probe, Rules::kLenient);
    if (!first) return walk;
    if (first->tag == der::kSequence) {
      tbs_body = first->contents;
      if (first->clamped) complete = false;
    }
  }
  Bytes fields = tbs_body;
  Bytes probe = fields;
  std::optional<Element> first = der::TakeElement(probe, Rules::kLenient);
  if (first && first->tag == der::ContextConstructed(0)) fields = probe;  // skip the version
  // serialNumber, signature, issuer, validity: skipped by position, whatever they hold.
  for (int i = 0; i < 4; ++i) {
    std::optional<Element> skipped = der::TakeElement(fields, Rules::kLenient);
    if (!skipped) return walk;
    if (skipped->clamped) complete = false;
  }
  std::optional<Element> subject = der::TakeElement(fields, Rules::kLenient);
  if (!subject) return walk;
  walk.reached_subject = true;
  if (subject->clamped) complete = false;
  if (!WalkName(subject->contents, visit, walk)) complete = false;
  // subjectPublicKeyInfo, the unique IDs and anything unexpected, up to the first [3].
  while (!fields.empty()) {
    std::optional<Element> e = der::TakeElement(fields, Rules::kLenient);
    if (!e) { complete = false; break; }
    if (e->tag != der::ContextConstructed(3)) continue;
    walk.reached_extensions = true;
    if (e->clamped) complete = false;
    if (!WalkExtensions(e->contents, visit, walk)) complete = false;
    break;
  }
  walk.complete = complete;
  return walk;
}

}  // namespace pinwatch::x509
