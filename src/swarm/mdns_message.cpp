#include "swarm/mdns_message.hpp"

namespace hypermount::swarm {

namespace {

constexpr uint16_t kClassIn = 1;

void put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// Dotted labels; empty ones (a dot in a decoded label, leading or doubled dots) are left out,
// since a zero length would end the name there.
void put_name(Bytes& out, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    const size_t length = std::min<size_t>(dot - start, 63);
    if (length == 0) {
      start = dot + 1;
      continue;
    }
    out.push_back(static_cast<uint8_t>(length));
    out.insert(out.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
               name.begin() + static_cast<std::ptrdiff_t>(start + length));
    start = dot + 1;
  }
  out.push_back(0);
}

void put_record(Bytes& out, const DnsRecord& r) {
  put_name(out, r.name);
  put16(out, r.type);
  put16(out, kClassIn);
  out.insert(out.end(), {0, 0, 0, 0});  // TTL 0
  Bytes data;
  if (r.type == kDnsTypeSrv) {
    put16(data, 0);  // priority
    put16(data, 0);  // weight
    put16(data, r.port);
    put_name(data, r.target);
  } else if (r.type == kDnsTypeTxt) {
    for (const Bytes& text : r.texts) {
      data.push_back(static_cast<uint8_t>(std::min<size_t>(text.size(), 255)));
      data.insert(data.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(text.size(), 255)));
    }
  } else if (r.type == kDnsTypeA) {
    data.insert(data.end(), r.address.begin(), r.address.end());
  }
  put16(out, static_cast<uint16_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

// A bounds-checked reader over one packet.
struct Reader {
  ByteView in;
  size_t at = 0;
  bool ok = true;

  uint16_t u16() {
    if (at + 2 > in.size()) return fail16();
    uint16_t v = static_cast<uint16_t>((in[at] << 8) | in[at + 1]);
    at += 2;
    return v;
  }
  uint16_t fail16() {
    ok = false;
    return 0;
  }
  // A name at the cursor, following compression pointers (each must point backwards, so the
  // walk ends); the cursor moves past the name as written here.
  std::string name() {
    std::string out;
    size_t pos = at;
    bool jumped = false;
    for (;;) {
      if (pos >= in.size()) return fail_name();
      const uint8_t length = in[pos];
      if ((length & 0xc0) == 0xc0) {
        if (pos + 1 >= in.size()) return fail_name();
        const size_t target = static_cast<size_t>((length & 0x3f) << 8 | in[pos + 1]);
        if (target >= pos) return fail_name();
        if (!jumped) at = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((length & 0xc0) != 0) return fail_name();
      if (length == 0) {
        if (!jumped) at = pos + 1;
        return out;
      }
      if (pos + 1 + length > in.size() || out.size() + length + 1 > kMaxDnsName) return fail_name();
      if (!out.empty()) out.push_back('.');
      out.append(reinterpret_cast<const char*>(in.data()) + pos + 1, length);
      pos += 1 + length;
    }
  }
  std::string fail_name() {
    ok = false;
    return {};
  }
};

}  // namespace

std::string mdns_name(ByteView topic) { return to_hex(topic.first(std::min<size_t>(topic.size(), 20))) + ".hyperswarm.local"; }

Bytes encode_dns(const DnsPacket& packet) {
  Bytes out;
  put16(out, 0);  // id
  put16(out, packet.response ? 0x8400 : 0);
  put16(out, static_cast<uint16_t>(packet.questions.size()));
  put16(out, static_cast<uint16_t>(packet.answers.size()));
  put16(out, 0);
  put16(out, 0);
  for (const DnsQuestion& q : packet.questions) {
    put_name(out, q.name);
    put16(out, q.type);
    put16(out, kClassIn);
  }
  for (const DnsRecord& r : packet.answers) put_record(out, r);
  return out;
}

std::optional<DnsPacket> decode_dns(ByteView packet) {
  if (packet.size() > kMaxDnsPacket) return std::nullopt;
  Reader r{packet};
  DnsPacket out;
  r.u16();  // id
  const uint16_t flags = r.u16();
  const uint16_t questions = r.u16();
  const uint32_t records = uint32_t{r.u16()} + r.u16() + r.u16();
  if (!r.ok) return std::nullopt;
  out.response = (flags & 0x8000) != 0;
  for (uint16_t i = 0; i < questions && r.ok; ++i) {
    DnsQuestion q;
    q.name = r.name();
    q.type = r.u16();
    r.u16();  // class (and the QU bit)
    if (r.ok) out.questions.push_back(std::move(q));
  }
  for (uint32_t i = 0; i < records && r.ok; ++i) {
    DnsRecord record;
    record.name = r.name();
    record.type = r.u16();
    r.u16();  // class (and the cache-flush bit)
    r.u16();  // TTL
    r.u16();
    const uint16_t length = r.u16();
    if (!r.ok || r.at + length > packet.size()) return std::nullopt;
    const size_t end = r.at + length;
    if (record.type == kDnsTypeSrv) {
      if (length < 7) return std::nullopt;
      r.u16();
      r.u16();
      record.port = r.u16();
      record.target = r.name();
      if (r.at != end) return std::nullopt;
    } else if (record.type == kDnsTypeTxt) {
      while (r.at < end) {
        const size_t n = packet[r.at];
        if (r.at + 1 + n > end) return std::nullopt;
        record.texts.emplace_back(packet.begin() + static_cast<std::ptrdiff_t>(r.at + 1),
                                  packet.begin() + static_cast<std::ptrdiff_t>(r.at + 1 + n));
        r.at += 1 + n;
      }
    } else if (record.type == kDnsTypeA) {
      if (length != 4) return std::nullopt;
      std::copy(packet.begin() + static_cast<std::ptrdiff_t>(r.at), packet.begin() + static_cast<std::ptrdiff_t>(end),
                record.address.begin());
      r.at = end;
    } else {
      r.at = end;  // a record type we have no use for
      continue;
    }
    if (r.ok) out.answers.push_back(std::move(record));
  }
  if (!r.ok) return std::nullopt;
  return out;
}

}  // namespace hypermount::swarm
