"""A strict, fast reader of subunit v2 packets.

python-subunit's parser reads a byte at a time to find packets and builds datetime
objects for every packet; this reader works on large buffered blocks and yields plain
tuples, which is what lets the export run close to the speed of the parse alone.
Every packet's CRC32 is checked. Damage does not stop the read: a bad packet is skipped
and reading resumes at the next packet whose checksum is right, with a warning that
says how much was lost. A stream cut in the middle of a packet keeps every packet
before the cut.

Event tuple: (test_id, status, tags, timestamp_us, file_name, file_bytes, eof,
route_code), where timestamp_us is an int of microseconds since the epoch or None.
"""
import zlib

SIGNATURE = 0xB3
BLOCK = 1 << 20
STATUSES = (None, 'exists', 'inprogress', 'success', 'uxsuccess', 'skip', 'fail',
            'xfail')
FLAG_TEST_ID = 0x0800
FLAG_ROUTE_CODE = 0x0400
FLAG_TIMESTAMP = 0x0200
FLAG_TAGS = 0x0080
FLAG_MIME_TYPE = 0x0020
FLAG_EOF = 0x0010
FLAG_FILE_CONTENT = 0x0040


class _Bad(Exception):
    """A packet that does not decode although its checksum matched."""


def _varint(buf, pos):
    b0 = buf[pos]
    kind = b0 & 0xC0
    if kind == 0:
        return b0, pos + 1
    if kind == 0x40:
        return ((b0 & 0x3F) << 8) | buf[pos + 1], pos + 2
    if kind == 0x80:
        return ((b0 & 0x3F) << 16) | (buf[pos + 1] << 8) | buf[pos + 2], pos + 3
    return (((b0 & 0x3F) << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8)
            | buf[pos + 3]), pos + 4


def _utf8(buf, pos, end):
    length, pos = _varint(buf, pos)
    stop = pos + length
    if stop > end:
        raise _Bad('string runs past the packet end')
    return buf[pos:stop].decode('utf-8', 'replace'), stop


def _decode(buf, pos, end, flags):
    """Decode the fields of the packet body buf[pos:end] (CRC excluded).

    The hot path of the read: one- and two-byte varints are decoded inline.
    """
    timestamp = test_id = tags = file_name = file_bytes = route_code = None
    if flags & FLAG_TIMESTAMP:
        seconds = int.from_bytes(buf[pos:pos + 4], 'big')
        nanos, pos = _varint(buf, pos + 4)
        timestamp = seconds * 1000000 + nanos // 1000
    if flags & FLAG_TEST_ID:
        n = buf[pos]
        if n < 0x40:
            pos += 1
        elif n < 0x80:
            n = ((n & 0x3F) << 8) | buf[pos + 1]
            pos += 2
        else:
            n, pos = _varint(buf, pos)
        stop = pos + n
        if stop > end:
            raise _Bad('test id runs past the packet end')
        test_id = buf[pos:stop].decode('utf-8', 'replace')
        pos = stop
    if flags & FLAG_TAGS:
        count, pos = _varint(buf, pos)
        tags = []
        for _ in range(count):
            tag, pos = _utf8(buf, pos, end)
            tags.append(tag)
    if flags & FLAG_MIME_TYPE:
        n, pos = _varint(buf, pos)
        pos += n   # the mime type is not used: attachments are decoded as UTF-8 text
    if flags & FLAG_FILE_CONTENT:
        file_name, pos = _utf8(buf, pos, end)
        length, pos = _varint(buf, pos)
        if pos + length > end:
            raise _Bad('file content runs past the packet end')
        file_bytes = buf[pos:pos + length]
        pos += length
    if flags & FLAG_ROUTE_CODE:
        route_code, pos = _utf8(buf, pos, end)
    if pos > end:
        raise _Bad('fields run past the packet end')
    return (test_id, STATUSES[flags & 7], tags, timestamp, file_name, file_bytes,
            bool(flags & FLAG_EOF), route_code)


class Damage:
    """What a read met that was not clean subunit v2, for the warnings."""

    def __init__(self):
        self.skipped_bytes = 0      # bytes outside any valid packet
        self.bad_packets = 0        # packets dropped for a bad checksum or layout
        self.first_offset = None    # where the first damage was seen
        self.truncated_at = None    # offset of a packet cut by the end of the stream
        self.packets = 0

    def note(self, offset, nbytes, bad_packet=False):
        self.skipped_bytes += nbytes
        self.bad_packets += bad_packet
        if self.first_offset is None:
            self.first_offset = offset

    def messages(self):
        out = []
        if self.bad_packets:
            out.append('%d damaged subunit packet(s) or line(s) skipped (first at byte '
                       '%d); reading resumed at the next good one'
                       % (self.bad_packets, self.first_offset))
        elif self.skipped_bytes:
            out.append('%d byte(s) of non-subunit data skipped (first at byte %d)'
                       % (self.skipped_bytes, self.first_offset))
        if self.truncated_at is not None:
            out.append('stream cut short: it ends inside a packet or test at byte %d; '
                       'everything before was kept' % self.truncated_at)
        return out


def _refill(stream, buf, pos, want):
    """Drop the consumed ``buf[:pos]`` and append up to ``want`` more bytes.
    Returns (buffer, memoryview of it, whether the stream has ended)."""
    more = stream.read(want)
    buf = buf[pos:] + more
    return buf, memoryview(buf), not more


def read_packets(stream, damage, head=b''):
    """Yield event tuples from the binary ``stream`` (``head``: bytes already read
    from it). Damage is recorded in ``damage``, never raised."""
    buf = head
    view = memoryview(buf)
    size = len(buf)
    pos = 0
    base = 0          # stream offset of buf[0]
    eof = False
    crc32 = zlib.crc32
    decode = _decode
    from_bytes = int.from_bytes
    packets = 0
    try:
        while True:
            avail = size - pos
            if avail < 6 and not eof:
                buf, view, eof = _refill(stream, buf, pos, BLOCK)
                size = len(buf)
                base += pos
                pos = 0
                continue
            if avail == 0:
                return
            if buf[pos] != SIGNATURE:
                nxt = buf.find(b'\xb3', pos)
                if nxt < 0:
                    nxt = size
                damage.note(base + pos, nxt - pos)
                pos = nxt
                continue
            if avail < 6:
                damage.truncated_at = base + pos
                return
            flags = (buf[pos + 1] << 8) | buf[pos + 2]
            b3 = buf[pos + 3]
            kind = b3 & 0xC0
            if flags >> 12 != 2 or kind == 0xC0:
                # Not a version 2 header: a stray 0xB3 byte in non-subunit data.
                damage.note(base + pos, 1)
                pos += 1
                continue
            if kind == 0x40:
                length, hdr = ((b3 & 0x3F) << 8) | buf[pos + 4], 5
            elif kind == 0:
                length, hdr = b3, 4
            else:
                length, hdr = ((b3 & 0x3F) << 16) | (buf[pos + 4] << 8) | buf[pos + 5], 6
            if length < hdr + 4:
                damage.note(base + pos, 1, bad_packet=True)
                pos += 1
                continue
            end = pos + length
            if end > size:
                if eof:
                    # Either the stream was cut, or this 0xB3 is no real packet start.
                    if _later_packet(buf, pos + 1):
                        damage.note(base + pos, 1, bad_packet=True)
                        pos += 1
                        continue
                    damage.truncated_at = base + pos
                    return
                buf, view, eof = _refill(stream, buf, pos, max(BLOCK, end - size))
                size = len(buf)
                base += pos
                pos = 0
                continue
            if crc32(view[pos:end - 4]) != from_bytes(buf[end - 4:end], 'big'):
                damage.note(base + pos, 1, bad_packet=True)
                pos += 1
                continue
            try:
                event = decode(buf, pos + hdr, end - 4, flags)
            except (_Bad, IndexError):
                damage.note(base + pos, 1, bad_packet=True)
                pos += 1
                continue
            packets += 1
            pos = end
            yield event
    finally:
        damage.packets += packets


def _later_packet(buf, start):
    """True if a packet with a good checksum starts somewhere in buf[start:]."""
    pos = buf.find(b'\xb3', start)
    while 0 <= pos < len(buf) - 6:
        flags = (buf[pos + 1] << 8) | buf[pos + 2]
        b3 = buf[pos + 3]
        kind = b3 & 0xC0
        if flags >> 12 == 2 and kind != 0xC0:
            if kind == 0:
                length = b3
            elif kind == 0x40:
                length = ((b3 & 0x3F) << 8) | buf[pos + 4]
            else:
                length = ((b3 & 0x3F) << 16) | (buf[pos + 4] << 8) | buf[pos + 5]
            end = pos + length
            if 10 <= length and end <= len(buf) and zlib.crc32(
                    memoryview(buf)[pos:end - 4]) == int.from_bytes(buf[end - 4:end], 'big'):
                return True
        pos = buf.find(b'\xb3', pos + 1)
    return False
