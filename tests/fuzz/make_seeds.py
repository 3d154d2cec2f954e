#!/usr/bin/env python3
# Writes seed inputs for one fuzz target from the JS-generated vectors (shared/spec/vectors) into
# its corpus folder, in the input layout each target's comment describes. Usage: VECTORS OUT TARGET
import hashlib
import json
import os
import sys


def load(vectors, name):
    path = os.path.join(vectors, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def walk(value):
    """Every dict inside a JSON value."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def all_of(vectors, names):
    for name in names:
        doc = load(vectors, name)
        if doc is not None:
            yield from walk(doc)


HANDSHAKES = ['wire-handshake-v7.json', 'wire-handshake-v8.json']
SESSIONS = ['wire-session-v7.json', 'wire-session-v8.json']
DRIVES = ['hyperdrive-10.8.16.json', 'hyperdrive-10.21.0.json']


def transport_frames(vectors):
    """Per recorded scenario, the decrypted transport bytes of each side."""
    for doc in all_of(vectors, SESSIONS):
        if 'transcript' not in doc:
            continue
        sides = {}
        for step in doc['transcript']:
            if step.get('phase') == 'transport':
                sides.setdefault(step['from'], b'')
                sides[step['from']] += bytes.fromhex(step['plaintext'])
        yield from sides.values()


def data_bodies(vectors):
    for d in all_of(vectors, SESSIONS + ['wire-messages.json']):
        if d.get('typeName') == 'Data' or (d.get('type') == 'Data' and 'body' in d):
            yield bytes.fromhex(d['body'])


def seeds_bitfield_rle_fuzz(vectors):
    doc = load(vectors, 'hypercore-bitfield-proof.json') or {}
    bitfield = doc.get('bitfield', {})
    for case in bitfield.get('rle', []):
        yield bytes.fromhex(case['encoded'])
    page_size = bitfield.get('pageSize', 1024)
    for case in bitfield.get('cases', []):
        for rle in case.get('haveBitfieldRle', {}).values():
            yield bytes.fromhex(rle)
        # The target loads at most 16 pages.
        for page in [p for p in case.get('pages', []) if p['page'] < 16]:
            data = bytearray(page_size * (page['page'] + 1))
            for start, count, byte in page['nonZeroRuns']:
                data[page_size * page['page'] + start:][:count] = bytes([byte]) * count
            yield bytes(data)


def seeds_core_storage_fuzz(vectors):
    names = ['tree', 'bitfield', 'signatures', 'data', 'key', 'secret_key']
    for d in all_of(vectors, ['hypercore-storage.json']):
        files = d.get('files')
        if isinstance(files, dict) and 'tree' in files:
            for i, name in enumerate(names):
                if 'hex' in (files.get(name) or {}):
                    yield bytes([i]) + bytes.fromhex(files[name]['hex'])


def seeds_wire_frame_fuzz(vectors):
    doc = load(vectors, 'wire-messages.json') or {}
    for case in doc.get('cases', []) + doc.get('extensions', []):
        yield bytes([16]) + bytes.fromhex(case['frame'])
    for stream in transport_frames(vectors):
        yield bytes([3]) + stream


def seeds_trie_node_fuzz(vectors):
    for d in all_of(vectors, ['hypertrie.json'] + DRIVES):
        if 'seq' in d and 'hex' in d:
            yield bytes.fromhex(d['hex'])


def seeds_stat_fuzz(vectors):
    for d in all_of(vectors, DRIVES):
        if 'valueHex' in d and d['valueHex']:
            yield bytes.fromhex(d['valueHex'])


def seeds_drive_url_fuzz(vectors):
    for d in all_of(vectors, DRIVES):
        key = d.get('publicKey')
        if key:
            yield key.encode()
            yield ('hyper://%s+7/' % key).encode()
            yield ('dat://%s' % key).encode()


def seeds_handshake_fuzz(vectors):
    payload = b''
    doc = load(vectors, 'wire-messages.json')
    if doc:
        payload = bytes.fromhex(doc['noisePayload']['body'])
    streams = list(transport_frames(vectors)) or [b'']
    # Against a real peer, each role and version, the peer's payload as the reference sends it.
    for config in [0, 1, 2, 3, 4, 5, 8 | 4, 8 | 5, 128 | 4, 128 | 8 | 4, 32 | 3, 64 | 2]:
        messages = 2 if config & 1 else 1
        body = (bytes([len(payload)]) + payload + b'\0') * messages
        yield bytes([config]) + body + streams[config % len(streams)]
    # Raw: the recorded messages of the other side, each version.
    for version, name in enumerate(HANDSHAKES):
        doc = load(vectors, name)
        if not doc:
            continue
        raw = {m['seq']: bytes.fromhex(m['raw']) for m in doc['messages']}
        yield bytes([16 | version << 1 | 1]) + raw.get(0, b'') + raw.get(2, b'')
        yield bytes([16 | version << 1]) + raw.get(1, b'')


def seeds_proof_fuzz(vectors):
    for body in data_bodies(vectors):
        yield bytes([1]) + body
    # One genuine reply per block, then every mutation of block 1's.
    yield bytes([0]) + b''.join(bytes([0, block, 0, 0, 0]) for block in range(8))
    for mutation in range(12):
        yield bytes([0, 0, 1, mutation, 3, 5, 2, 1, 0, 0, 0])


def seeds_dht_message_fuzz(vectors):
    """The DHT datagrams captured from the JS nodes, kept beside the swarm unit tests."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', 'unit', 'swarm', 'dht_datagrams.json')
    with open(path) as f:
        for datagram in json.load(f)['datagrams']:
            yield bytes.fromhex(datagram['hex'])


def seeds_trie_extension_fuzz(vectors):
    # hypertrie.md §13.2: a get {head, key}, an iterator {head, key, flags}, a cache message
    def varint(n):
        out = b''
        while n >= 0x80:
            out += bytes([n & 0x7f | 0x80])
            n >>= 7
        return out + bytes([n])

    def field(tag, payload):
        return varint(tag) + varint(len(payload)) + payload
    yield field(0x1a, b'\x08' + varint(150) + field(0x12, b'd3/f10'))
    yield field(0x12, b'\x08' + varint(150) + field(0x12, b'd3') + b'\x18\x01')
    yield field(0x12, b'\x08' + varint(150) + field(0x12, b'') + b'\x18\x00')
    yield field(0x0a, b'\x08\x01\x10\x05' + field(0x1a, b'\x01\x02\x04'))


def main():
    vectors, out, target = sys.argv[1:4]
    make = globals().get('seeds_' + target)
    if make is None or not os.path.isdir(vectors):
        return
    os.makedirs(out, exist_ok=True)
    count = 0
    for seed in make(vectors):
        name = 'seed-' + hashlib.sha1(seed).hexdigest()
        with open(os.path.join(out, name), 'wb') as f:
            f.write(seed)
        count += 1
    print('%s: %d seeds from %s' % (target, count, vectors))


if __name__ == '__main__':
    main()
