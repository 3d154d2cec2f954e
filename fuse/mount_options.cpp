#include "fuse/mount_options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <functional>

namespace hypermount::fuse {

namespace {

using Setter = std::function<Status(MountConfig&, std::string_view value)>;

struct OptionSpec {
  std::string_view name;
  bool takes_value;
  Setter set;
};

Result<uint64_t> parse_uint(std::string_view name, std::string_view text, int base = 10) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid("option {}: '{}' is not a number", name, text);
  }
  return value;
}

Result<double> parse_seconds(std::string_view name, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Error::invalid("option {}: '{}' is not a number of seconds", name, text);
  }
  return value;
}

Setter flag(bool MountOptions::*field, bool value) {
  return [field, value](MountConfig& c, std::string_view) -> Status {
    c.fuse.*field = value;
    return {};
  };
}

Setter seconds(double MountOptions::*field, std::string_view name) {
  return [field, name](MountConfig& c, std::string_view v) -> Status {
    HM_TRY_ASSIGN(c.fuse.*field, parse_seconds(name, v));
    return {};
  };
}

Setter owner(std::optional<uint32_t> MountOptions::*field, std::string_view name) {
  return [field, name](MountConfig& c, std::string_view v) -> Status {
    HM_TRY_ASSIGN(uint64_t id, parse_uint(name, v));
    c.fuse.*field = static_cast<uint32_t>(id);
    return {};
  };
}

Setter ignored() {
  return [](MountConfig&, std::string_view) -> Status { return {}; };
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = {
      {"ro", false,
       [](MountConfig& c, std::string_view) -> Status {
         c.fuse.read_only = true;
         c.ro_requested = true;
         return {};
       }},
      {"rw", false,
       [](MountConfig& c, std::string_view) -> Status {
         c.fuse.read_only = false;
         c.ro_requested = false;
         return {};
       }},
      {"allow_other", false, flag(&MountOptions::allow_other, true)},
      {"default_permissions", false, flag(&MountOptions::default_permissions, true)},
      {"debug", false,
       [](MountConfig& c, std::string_view) -> Status {
         c.fuse.debug = true;
         c.foreground = true;
         return {};
       }},
      {"uid", true, owner(&MountOptions::uid, "uid")},
      {"gid", true, owner(&MountOptions::gid, "gid")},
      {"umask", true,
       [](MountConfig& c, std::string_view v) -> Status {
         HM_TRY_ASSIGN(uint64_t mask, parse_uint("umask", v, 8));
         c.fuse.umask = static_cast<uint32_t>(mask & 07777);
         return {};
       }},
      {"entry_timeout", true, seconds(&MountOptions::entry_timeout, "entry_timeout")},
      {"attr_timeout", true, seconds(&MountOptions::attr_timeout, "attr_timeout")},
      {"negative_timeout", true, seconds(&MountOptions::negative_timeout, "negative_timeout")},
      {"store", true,
       [](MountConfig& c, std::string_view v) -> Status {
         c.store = v;
         return {};
       }},
      {"protocol", true,
       [](MountConfig& c, std::string_view v) -> Status {
         if (v != "7" && v != "8" && v != "auto") {
           return Error::invalid("option protocol: '{}' is not 7, 8 or auto", v);
         }
         c.protocol = v;
         return {};
       }},
      {"peer", true,
       [](MountConfig& c, std::string_view v) -> Status {
         if (v.find(':') == std::string_view::npos) {
           return Error::invalid("option peer: '{}' is not HOST:PORT", v);
         }
         c.peers.emplace_back(v);
         return {};
       }},
      {"listen", true,
       [](MountConfig& c, std::string_view v) -> Status {
         if (v != "off" && v.find(':') == std::string_view::npos) {
           return Error::invalid("option listen: '{}' is neither HOST:PORT nor off", v);
         }
         c.listen = v;
         return {};
       }},
      {"bootstrap", true,
       [](MountConfig& c, std::string_view v) -> Status {
         if (!c.bootstrap) c.bootstrap.emplace();
         if (v == "none") return {};
         if (v.find(':') == std::string_view::npos) {
           return Error::invalid("option bootstrap: '{}' is not HOST:PORT (or none)", v);
         }
         c.bootstrap->emplace_back(v);
         return {};
       }},
      {"mdns", true,
       [](MountConfig& c, std::string_view v) -> Status {
         in_addr parsed{};
         if (v != "on" && v != "off" && inet_pton(AF_INET, std::string(v).c_str(), &parsed) != 1) {
           return Error::invalid("option mdns: '{}' is not on, off or an interface's IPv4 address", v);
         }
         c.mdns = v;
         return {};
       }},
      {"version", true,
       [](MountConfig& c, std::string_view v) -> Status {
         HM_TRY_ASSIGN(c.version, parse_uint("version", v));
         return {};
       }},
      {"fetch_timeout", true,
       [](MountConfig& c, std::string_view v) -> Status {
         HM_TRY_ASSIGN(c.fetch_timeout, parse_seconds("fetch_timeout", v));
         return {};
       }},
      {"logfile", true,
       [](MountConfig& c, std::string_view v) -> Status {
         c.logfile = v;
         return {};
       }},
      // fstab and mount(8) options that mean nothing to a FUSE file system.
      {"defaults", false, ignored()},
      {"auto", false, ignored()},
      {"noauto", false, ignored()},
      {"user", false, ignored()},
      {"nouser", false, ignored()},
      {"users", false, ignored()},
      {"_netdev", false, ignored()},
      {"nofail", false, ignored()},
      {"dev", false, ignored()},
      {"nodev", false, ignored()},
      {"suid", false, ignored()},
      {"nosuid", false, ignored()},
      {"exec", false, ignored()},
      {"noexec", false, ignored()},
      {"atime", false, ignored()},
      {"noatime", false, ignored()},
  };
  return table;
}

}  // namespace

Status apply_mount_options(std::string_view list, MountConfig& config) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty() || item.starts_with("x-")) continue;  // x-systemd.* and friends
    size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : option_table()) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return Error::invalid("unknown mount option '{}'", name);
    if (spec->takes_value && eq == std::string_view::npos) {
      return Error::invalid("mount option {} needs a value", name);
    }
    if (!spec->takes_value && eq != std::string_view::npos) {
      return Error::invalid("mount option {} takes no value", name);
    }
    HM_TRY(spec->set(config, eq == std::string_view::npos ? "" : item.substr(eq + 1)));
  }
  return {};
}

std::vector<std::string_view> mount_option_names() {
  std::vector<std::string_view> names;
  for (const OptionSpec& s : option_table()) names.push_back(s.name);
  return names;
}

}  // namespace hypermount::fuse
