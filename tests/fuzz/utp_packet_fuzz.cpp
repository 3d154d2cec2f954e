// libFuzzer target: uTP datagrams through the packet decoder (whatever decodes re-encodes to an
// equal packet and passes the is-uTP test), and into a fresh accepted connection. The input is a
// list of steps, each an op byte: 0 a datagram (length byte, bytes), 1 a tick that many
// 10 ms later, 2 a write (length byte, bytes), 3 close.
#include "fuzz_reader.hpp"
#include "swarm/utp_connection.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hypermount;
  using namespace hypermount::swarm;
  fuzz::Reader reader{ByteView(data, size)};
  UtpPacket syn;
  syn.type = UtpType::Syn;
  syn.conn_id = 0x4567;
  syn.seq_nr = 0x23c6;
  syn.wnd_size = 1 << 20;
  UtpEvents events;
  events.send = [](Bytes datagram) {
    if (!decode_utp_packet(datagram)) std::abort();
  };
  events.connected = [] {};
  events.data = [](ByteView) {};
  events.end = [] {};
  events.error = [](const Error&) {};
  uint64_t now_us = 1'000'000;
  auto conn = UtpConnection::accept(syn, 0x4567, UtpConfig{8192, 8192}, std::move(events), now_us);
  while (!reader.in.empty()) {
    switch (reader.byte() % 4) {
      case 0: {
        ByteView datagram = reader.take(reader.byte());
        auto packet = decode_utp_packet(datagram);
        if (!packet) break;
        if (!is_utp_datagram(datagram)) std::abort();
        auto again = decode_utp_packet(encode_utp_packet(*packet));
        if (!again || !(*again == *packet)) std::abort();
        conn->on_packet(*packet, now_us);
        break;
      }
      case 1:
        now_us += uint64_t{reader.byte()} * 10'000;
        conn->tick(now_us);
        break;
      case 2:
        (void)conn->write(reader.take(reader.byte()));
        break;
      default:
        conn->close();
        break;
    }
    if (conn->bytes_in_flight() > 8192 + kUtpMaxPayload) std::abort();
  }
  return 0;
}
