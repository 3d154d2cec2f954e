// Stat codec: every Stat the JS reference wrote in both vector files decodes to its decoded
// fields and re-encodes to the same bytes; factories and xattr edits reproduce JS blocks;
// malformed bytes are Corrupt, never a crash.
#include "drive/stat.hpp"

#include <doctest/doctest.h>

#include <random>

#include "vectors.hpp"

using namespace hypermount;
using namespace hypermount::drive;

namespace {

constexpr uint64_t kClock = 1600000000000;

Bytes hex(const std::string& s) { return *from_hex(s); }

// Every metadata block (of the drive and of drive B) whose decoded value is a Stat.
std::vector<nlohmann::json> stat_blocks(const nlohmann::json& v) {
  std::vector<nlohmann::json> out;
  for (const auto& op : v["operations"]) {
    for (const auto& b : op["metadataBlocks"]) {
      if (b["decoded"].contains("stat")) out.push_back(b["decoded"]);
    }
  }
  for (const auto& b : v["otherCores"]["driveB.metadata"]) {
    if (b["decoded"].contains("stat")) out.push_back(b["decoded"]);
  }
  return out;
}

void check_fields(const Stat& st, const nlohmann::json& j) {
  CHECK(st.mode == j["mode"].get<uint32_t>());
  CHECK(st.uid == j["uid"].get<uint32_t>());
  CHECK(st.gid == j["gid"].get<uint32_t>());
  CHECK(st.size == j["size"].get<uint64_t>());
  CHECK(st.blocks == j["blocks"].get<uint64_t>());
  CHECK(st.offset == j["offset"].get<uint64_t>());
  CHECK(st.byte_offset == j["byteOffset"].get<uint64_t>());
  CHECK(st.mtime_ms == j["mtime"].get<uint64_t>());
  CHECK(st.ctime_ms == j["ctime"].get<uint64_t>());
  CHECK(st.linkname.value_or("") == j["linkname"].get<std::string>());
  if (j["mount"].is_null()) {
    CHECK_FALSE(st.mount.has_value());
  } else {
    REQUIRE(st.mount.has_value());
    CHECK(to_hex(st.mount->key) == j["mount"]["key"].get<std::string>());
    CHECK(st.mount->version.value_or(0) == j["mount"]["version"].get<uint64_t>());
    CHECK(st.mount->hypercore == j["mount"]["hypercore"].get<bool>());
    CHECK_FALSE(st.mount->hash.has_value());
  }
  REQUIRE(st.metadata.size() == j["metadata"].size());
  size_t i = 0;
  for (const auto& [name, value] : j["metadata"].items()) {
    CHECK(st.metadata[i].name == name);
    if (value.is_null()) {
      CHECK_FALSE(st.metadata[i].value.has_value());
    } else {
      CHECK(st.metadata[i].value == hex(value.get<std::string>()));
    }
    ++i;
  }
}

Stat decode_hex(const std::string& s) {
  auto st = decode_stat(hex(s));
  REQUIRE(st.ok());
  return *st;
}

}  // namespace

TEST_CASE("every Stat in the vectors decodes and re-encodes byte for byte") {
  for (const char* file : {"hyperdrive-10.8.16.json", "hyperdrive-10.21.0.json"}) {
    CAPTURE(file);
    auto v = test::load_vectors(file);
    auto blocks = stat_blocks(v);
    CHECK(blocks.size() >= 20);
    for (const auto& d : blocks) {
      CAPTURE(d["key"].get<std::string>());
      CAPTURE(d["seqField"].get<uint64_t>());
      const std::string value_hex = d["valueHex"].get<std::string>();
      Stat st = decode_hex(value_hex);
      check_fields(st, d["stat"]);
      CHECK(to_hex(encode_stat(st)) == value_hex);
      CHECK(st.mode == std::stoul(d["stat"]["modeOctal"].get<std::string>(), nullptr, 8));
    }
  }
}

TEST_CASE("factories write what mkdir, writeFile and symlink wrote") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  const auto& ops = v["operations"];
  // mkdir('/dir') with an empty content core.
  CHECK(to_hex(encode_stat(Stat::directory(kClock))) ==
        ops[1]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>());
  // writeFile('/dir/small.txt', 12 bytes) as content block 0.
  Stat small = Stat::file(kClock);
  small.size = 12;
  small.blocks = 1;
  CHECK(to_hex(encode_stat(small)) ==
        ops[2]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>());
  // symlink('/dir/small.txt', '/link') and the relative 'small.txt'.
  CHECK(to_hex(encode_stat(Stat::symlink("/dir/small.txt", kClock))) ==
        ops[5]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>());
  CHECK(to_hex(encode_stat(Stat::symlink("small.txt", kClock))) ==
        ops[6]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>());
  // Given permissions replace the default; type bits are OR-ed on.
  CHECK(Stat::file(0, 0600).mode == 0100600);
  CHECK(Stat::directory(0, 0700).mode == 040700);
  CHECK(Stat::file(0, 0100755).mode == 0100755);
  // Permissions 0 with the type bits given stay 0 (the default applies to a whole mode of 0),
  // and decode as 0: mode 0100000 is varint 80 80 02.
  CHECK(Stat::file(0, kModeRegular).mode == 0100000);
  CHECK(Stat::directory(0, kModeDirectory).mode == 040000);
  CHECK(Stat::special(kModeFifo, 0, kModeFifo).mode == 010000);
  CHECK(to_hex(encode_stat(Stat::file(0, kModeRegular))).starts_with("08808002"));
  CHECK(decode_hex("08808002").mode == 0100000);
}

TEST_CASE("an access time set explicitly is a metadata entry, never an attribute") {
  // The fields of a file Stat at kClock after the mode (0100644: a4 83 02).
  const std::string rest =
      "1000" "1800" "2000" "2800" "3000" "3800" "40" "8080babbc82e" "48" "8080babbc82e";
  Stat st = Stat::file(kClock);
  CHECK(st.access_time_ms() == kClock);  // none set: the mtime
  st.atime_ms = 1900000000000;
  // { key "hypermount.atime", value "1900000000000" }: 2 + 16 + 2 + 13 bytes.
  const std::string atime_entry =
      "6221" "0a10" "68797065726d6f756e742e6174696d65" "120d" "31393030303030303030303030";
  CHECK(to_hex(encode_stat(st)) == "08a48302" + rest + atime_entry);
  Stat decoded = decode_hex("08a48302" + rest + atime_entry);
  CHECK(decoded == st);
  CHECK(decoded.access_time_ms() == 1900000000000);
  CHECK(decoded.metadata.empty());
  CHECK(decoded.xattr_names().empty());
  // After the attributes and the device number; a stored attribute of that name is not
  // written twice.
  st.set_xattr("user.a", Bytes{'1'});
  st.metadata.push_back(Xattr{std::string(kAccessTimeKey), Bytes{'5'}});
  CHECK(to_hex(encode_stat(st)) ==
        "08a48302" + rest + "620b" "0a06757365722e61" "120131" + atime_entry);
  // A value that is not a canonical decimal number below 2^64 is dropped.
  auto atime_of = [&](const std::string& value) {
    const std::string entry = "0a10" "68797065726d6f756e742e6174696d65" "12" +
                              fmt::format("{:02x}", value.size()) +
                              to_hex(Bytes(value.begin(), value.end()));
    const std::string length = fmt::format("{:02x}", entry.size() / 2);
    auto decoded_with = decode_stat(hex("08a48302" "62" + length + entry));
    REQUIRE(decoded_with.ok());
    CHECK(decoded_with->metadata.empty());
    return decoded_with->atime_ms;
  };
  CHECK(atime_of("0") == uint64_t{0});
  CHECK(atime_of("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(atime_of("18446744073709551616").has_value());
  CHECK_FALSE(atime_of("01").has_value());
  CHECK_FALSE(atime_of("-1").has_value());
  CHECK_FALSE(atime_of("").has_value());
}

TEST_CASE("xattr edits reproduce setMetadata / removeMetadata blocks") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  const auto& ops = v["operations"];
  auto value_of = [&](size_t op) {
    return ops[op]["metadataBlocks"][0]["decoded"]["valueHex"].get<std::string>();
  };
  Stat st = decode_hex(value_of(2));  // dir/small.txt as written
  st.set_xattr("user.color", Bytes{'b', 'l', 'u', 'e'});
  CHECK(to_hex(encode_stat(st)) == value_of(9));
  st.set_xattr("user.size", Bytes{'X', 'L'});
  CHECK(to_hex(encode_stat(st)) == value_of(10));
  CHECK(st.remove_xattr("user.size"));
  CHECK(to_hex(encode_stat(st)) == value_of(11));
  // The removed attribute stays as a value-less entry but reads as absent.
  CHECK(st.metadata.size() == 2);
  CHECK_FALSE(st.xattr("user.size").has_value());
  CHECK(st.xattr("user.color") == Bytes{'b', 'l', 'u', 'e'});
  CHECK(st.xattr_names() == std::vector<std::string>{"user.color"});
  CHECK_FALSE(st.remove_xattr("user.size"));
  CHECK_FALSE(st.remove_xattr("user.never"));
  // Setting an existing name keeps its position.
  st.set_xattr("user.size", Bytes{'S'});
  st.set_xattr("user.color", Bytes{'r'});
  CHECK(st.metadata[0].name == "user.color");
  CHECK(st.metadata[1].name == "user.size");
}

TEST_CASE("entry kinds use S_IFMT, not the reference's bit test") {
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  const auto& ops = v["operations"];
  auto stat_of = [&](size_t op, size_t block = 0) {
    return decode_hex(ops[op]["metadataBlocks"][block]["decoded"]["valueHex"].get<std::string>());
  };
  CHECK(stat_of(1).kind() == EntryKind::Directory);
  CHECK(stat_of(2).kind() == EntryKind::File);
  Stat link = stat_of(5);
  CHECK(link.kind() == EntryKind::Symlink);
  CHECK(link.is_symlink());
  CHECK_FALSE(link.is_file());  // the reference's isFile() says true here (§4.3)
  CHECK(v["reads"]["lstat"]["/link"]["isFile"].get<bool>());
  CHECK(stat_of(12, 1).kind() == EntryKind::DriveMount);  // mount('/mnt', driveB)
  CHECK(stat_of(12, 1).is_directory());
  CHECK(stat_of(14).kind() == EntryKind::CoreMount);  // mount('/core', {hypercore: true})
  Stat socket;
  socket.mode = kModeSocket | 0644;
  CHECK(socket.kind() == EntryKind::Other);
  CHECK_FALSE(socket.is_file());
  CHECK_FALSE(socket.is_directory());
}

TEST_CASE("FIFOs, sockets and devices: type bits in mode, a device's number in metadata") {
  // The fields of a file Stat at kClock with nothing in it, after the mode.
  const std::string rest =
      "1000" "1800" "2000" "2800" "3000" "3800" "40" "8080babbc82e" "48" "8080babbc82e";
  // mknod c 1 3 with mode 0660: 020660 is varint b0 43; the number is one map entry
  // { key "hypermount.rdev", value "1:3" }, length 2 + 15 + 2 + 3.
  Stat null_device = Stat::special(kModeCharDevice, kClock, 0660, DeviceNumber{1, 3});
  const std::string device_entry = "6216" "0a0f" "68797065726d6f756e742e72646576" "1203" "313a33";
  CHECK(to_hex(encode_stat(null_device)) == "08b043" + rest + device_entry);
  Stat decoded = decode_hex("08b043" + rest + device_entry);
  CHECK(decoded == null_device);
  CHECK(decoded.device == DeviceNumber{1, 3});
  CHECK(decoded.metadata.empty());  // not an attribute
  CHECK(decoded.xattr_names().empty());
  CHECK(decoded.kind() == EntryKind::Other);
  CHECK(decoded.is_device());
  // A block device: 060640 is varint a0 c3 01; the largest numbers fit.
  Stat disk = Stat::special(kModeBlockDevice, kClock, 0640, DeviceNumber{4294967295, 0});
  CHECK(to_hex(encode_stat(disk)).starts_with("08a0c301"));
  CHECK(decode_stat(encode_stat(disk)).value().device == DeviceNumber{4294967295, 0});
  // A FIFO and a socket keep no number; mode 0 takes the file default, as for files.
  Stat fifo = Stat::special(kModeFifo, kClock, 0600, DeviceNumber{1, 3});
  CHECK_FALSE(fifo.device.has_value());
  CHECK(to_hex(encode_stat(fifo)) == "088023" + rest);  // 010600
  CHECK(Stat::special(kModeSocket, kClock, 0).mode == 0140644);
  // The number comes after the attributes; a stored attribute of that name is never written
  // twice (the field wins).
  Stat tagged = null_device;
  tagged.set_xattr("user.a", Bytes{'1'});
  tagged.metadata.push_back(Xattr{std::string(kDeviceKey), Bytes{'9', ':', '9'}});
  CHECK(to_hex(encode_stat(tagged)) ==
        "08b043" + rest + "620b" "0a06757365722e61" "120131" + device_entry);
  // A number that is not MAJOR:MINOR in canonical decimal is dropped, the rest decodes.
  auto device_of = [&](const std::string& value_hex) {
    const std::string value =
        value_hex.empty() ? "" : "12" + fmt::format("{:02x}", value_hex.size() / 2) + value_hex;
    const std::string entry = "0a0f" "68797065726d6f756e742e72646576" + value;
    auto st = decode_stat(hex("08b043" "62" + fmt::format("{:02x}", entry.size() / 2) + entry));
    REQUIRE(st.ok());
    CHECK(st->metadata.empty());
    return st->device;
  };
  CHECK(device_of("383a31") == DeviceNumber{8, 1});  // "8:1"
  CHECK_FALSE(device_of("").has_value());             // a removed entry
  CHECK_FALSE(device_of("383a").has_value());          // "8:"
  CHECK_FALSE(device_of("30383a31").has_value());      // "08:1"
  CHECK_FALSE(device_of("2b383a31").has_value());      // "+8:1"
  CHECK_FALSE(device_of("382c31").has_value());        // "8,1"
  CHECK_FALSE(device_of("343239343936373239363a30").has_value());  // 4294967296:0
}

TEST_CASE("decoder edge cases follow the JS decoder") {
  // mode only: every other field takes its default.
  Stat minimal = decode_hex("08a48302");
  CHECK(minimal.mode == 0100644);
  CHECK(minimal.size == 0);
  CHECK_FALSE(minimal.linkname.has_value());
  // An empty linkname is "no link".
  CHECK_FALSE(decode_hex("08a483025200").linkname.has_value());
  // Unknown fields are skipped (field 31 varint, field 30 length-delimited).
  CHECK(decode_hex("08a48302f80105f2010161") == minimal);
  // A repeated attribute keeps its first position and takes the last value.
  Stat dup = decode_hex("08a48302" "6206" "0a0161" "120131" "6206" "0a0162" "120132"
                        "6206" "0a0161" "120133");
  REQUIRE(dup.metadata.size() == 2);
  CHECK(dup.metadata[0].name == "a");
  CHECK(dup.metadata[0].value == Bytes{'3'});
  CHECK(dup.metadata[1].name == "b");
  // Array-index names come first on the wire, ascending, as JS enumerates object keys.
  Stat order = Stat::file(0);
  order.set_xattr("user.b", Bytes{'1'});
  order.set_xattr("10", Bytes{'2'});
  order.set_xattr("2", Bytes{'3'});
  order.set_xattr("02", Bytes{'4'});
  const std::string fields = "08a48302" "1000" "1800" "2000" "2800" "3000" "3800" "4000" "4800";
  CHECK(to_hex(encode_stat(order)) == fields +
                                          "6206" "0a0132" "120133" +      // "2"
                                          "6207" "0a023130" "120132" +    // "10"
                                          "620b" "0a06757365722e62" "120131" +  // "user.b"
                                          "6207" "0a023032" "120134");    // "02"
  CHECK(order.xattr_names() == std::vector<std::string>{"2", "10", "user.b", "02"});
  // Decoding puts them in that order too (a JS object enumerates its keys so), whatever the
  // wire order: what decodes re-encodes to the same Stat.
  Stat reordered = decode_hex("08a48302" "6206" "0a0161" "120131" "6206" "0a0130" "120132");
  REQUIRE(reordered.metadata.size() == 2);
  CHECK(reordered.metadata[0].name == "0");
  CHECK(reordered.metadata[1].name == "a");
  // Found by stat_fuzz: empty-named and array-index attributes out of JS order.
  Stat fuzzed = decode_hex(
      "62006200620020206200882f4e31315f5f636200620062006200624020203030302f3030303030080830303030"
      "30620020206200882f181818182d0a013030303030303030303062620a0a01005d623030303030303030300808"
      "083008080808080e08081008");
  CHECK(decode_stat(encode_stat(fuzzed)).value() == fuzzed);
}

TEST_CASE("malformed Stat bytes are Corrupt") {
  auto corrupt = [](const std::string& h) {
    auto st = decode_stat(hex(h));
    return !st.ok() && st.error().code() == Errc::Corrupt;
  };
  CHECK(corrupt(""));                 // no mode
  CHECK(corrupt("1000"));             // uid only: mode is required
  CHECK(corrupt("08"));               // truncated varint
  CHECK(corrupt("08ff"));
  CHECK(corrupt("08a483025205616263"));  // string longer than the input
  CHECK(corrupt("08a48302ffffffffffffffffffff01"));  // overlong tag
  // A mount needs a key, and a 32-byte one.
  CHECK(corrupt("08ed83015a022001"));
  CHECK(corrupt("08ed83015a040a020102"));

  // Every prefix of a real Stat (with a mount and xattrs) is either valid or Corrupt.
  auto v = test::load_vectors("hyperdrive-10.8.16.json");
  Bytes full = hex(v["operations"][11]["metadataBlocks"][0]["decoded"]["valueHex"]);
  Bytes mount = hex(v["operations"][12]["metadataBlocks"][1]["decoded"]["valueHex"]);
  for (const Bytes* b : {&full, &mount}) {
    for (size_t n = 0; n < b->size(); ++n) {
      auto st = decode_stat(ByteView(b->data(), n));
      if (!st.ok()) CHECK(st.error().code() == Errc::Corrupt);
    }
  }
  // Seeded random bytes and random single-byte corruptions.
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    Bytes bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (auto& x : bytes) x = static_cast<uint8_t>(rng());
    } else {
      bytes = mount;
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    }
    auto st = decode_stat(bytes);
    if (!st.ok()) {
      CHECK(st.error().code() == Errc::Corrupt);
    } else {
      // Whatever decodes re-decodes to the same value after encoding.
      auto again = decode_stat(encode_stat(*st));
      REQUIRE(again.ok());
      CHECK(*again == *st);
    }
  }
}
