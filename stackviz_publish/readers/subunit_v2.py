# Copyright stackviz-publish developers.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""A strict, fast reader of subunit v2 packets.

python-subunit's parser reads a byte at a time to find packets and builds datetime
objects for every packet; this reader works on large buffered blocks and yields plain
tuples, which is what lets the export run close to the speed of the parse alone.
Every packet's CRC32 is checked. Damage does not stop the read: a bad packet is skipped
and reading resumes at the next packet whose checksum is right, with a warning that
says how much was lost. A stream cut in the middle of a packet keeps every packet
before the cut.

Time stays linear in the input whatever the damage. The search for the next 0xB3
reads each byte once, each byte takes part in at most six header checks, every byte
of a good packet is checksummed once, and the checksums of candidates that prove
false (bytes that only look like a header, claiming up to 4 MB each) are paid from a
credit of CREDIT_PER_BYTE bytes per input byte read plus CREDIT_START: a candidate
the credit cannot pay for is skipped unchecked. The last RESERVE bytes of the credit
go only to candidates followed by a 0xB3 byte or by the end of the stream, as real
packets are: so the random bytes of binary test output cannot use it all up before
the next real packet. A clean stream never spends any.

Event tuple: (test_id, status, tags, timestamp_us, file_name, file_bytes, eof,
route_code), where timestamp_us is an int of microseconds since the epoch, between
FIRST_STAMP and LAST_STAMP, or None.
"""
import struct
import zlib

SIGNATURE = 0xB3
BLOCK = 1 << 20
MAX_PACKET = (1 << 22) - 1     # the largest length a 3-byte length field can say
CREDIT_PER_BYTE = 4
CREDIT_START = 2 * MAX_PACKET
RESERVE = MAX_PACKET           # of the credit, kept for candidates that end well
# The years 1 to 9999 (UTC) in microseconds: what datetime and a four-digit ISO 8601
# year can say. v2 times (32-bit seconds from 1970) always fall inside.
FIRST_STAMP = -62135596800 * 1000000
LAST_STAMP = 253402300800 * 1000000 - 1
STATUSES = (None, 'exists', 'inprogress', 'success', 'uxsuccess', 'skip', 'fail',
            'xfail')
FLAG_TEST_ID = 0x0800
FLAG_ROUTE_CODE = 0x0400
FLAG_TIMESTAMP = 0x0200
FLAG_TAGS = 0x0080
FLAG_MIME_TYPE = 0x0020
FLAG_EOF = 0x0010
FLAG_FILE_CONTENT = 0x0040


_unpack_ii = struct.Struct('>II').unpack_from


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
        # Seconds, then the nanoseconds' varint, which is mostly four bytes (0xC0
        # first): one unpack for both. The buffer holds the CRC after the body, so
        # the eight bytes are there unless the packet lies about its fields.
        seconds, nanos = _unpack_ii(buf, pos)
        if nanos >> 30 == 3:
            nanos &= 0x3FFFFFFF
            pos += 8
        else:
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
        # The mime type is not used: attachments are decoded as UTF-8 text.
        n = buf[pos]
        if n < 0x40:
            pos += 1 + n
        else:
            n, pos = _varint(buf, pos)
            pos += n
    if flags & FLAG_FILE_CONTENT:
        n = buf[pos]
        if n < 0x40:
            stop = pos + 1 + n
            if stop > end:
                raise _Bad('file name runs past the packet end')
            file_name = buf[pos + 1:stop].decode('utf-8', 'replace')
            pos = stop
        else:
            file_name, pos = _utf8(buf, pos, end)
        length = buf[pos]
        if length < 0x40:
            pos += 1
        else:
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
        self.wasted_crc_bytes = 0   # checksum work on candidates that proved false
        self.unchecked = 0          # candidates skipped because the credit ran out
        self.clamped = 0            # v1 times outside the years 1 to 9999, moved in

    def mark(self):
        return (self.skipped_bytes, self.bad_packets, self.first_offset)

    def rewind(self, mark):
        """Forget what was noted since ``mark`` (it was the tail of a cut stream)."""
        self.skipped_bytes, self.bad_packets, self.first_offset = mark

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
        if self.unchecked:
            out.append('%d packet header(s) after damage left unchecked: checking them '
                       'would have cost more than the bound on checksum work'
                       % self.unchecked)
        elif self.skipped_bytes:
            out.append('%d byte(s) of non-subunit data skipped (first at byte %d)'
                       % (self.skipped_bytes, self.first_offset))
        if self.clamped:
            out.append('%d time(s) outside the years 1 to 9999 (UTC) were moved to the '
                       'nearest of those bounds' % self.clamped)
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
    spent = 0         # checksum bytes spent on candidates that proved false
    # The first candidate that runs past the end of the stream, with the damage
    # noted before it: a cut stream if no good packet follows, else a false header.
    pending = None
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
                break
            if buf[pos] != SIGNATURE:
                nxt = buf.find(b'\xb3', pos)
                if nxt < 0:
                    nxt = size
                damage.note(base + pos, nxt - pos)
                pos = nxt
                continue
            if avail < 6:
                if pending is None:
                    pending = (base + pos, damage.mark())
                break
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
            end = pos + length
            if end < size and length >= hdr + 4 and not spent:
                # The hot path: a whole packet in the buffer and no damage so far.
                if crc32(view[pos:end - 4]) == from_bytes(buf[end - 4:end], 'big'):
                    try:
                        event = decode(buf, pos + hdr, end - 4, flags)
                    except (_Bad, IndexError, struct.error):
                        pass
                    else:
                        pending = None
                        packets += 1
                        pos = end
                        yield event
                        continue
                spent += length
                damage.note(base + pos, 1, bad_packet=True)
                pos += 1
                continue
            if length < hdr + 4:
                end = -1
            elif end >= size and not eof:
                # (end == size too: the byte after the packet is wanted below)
                buf, view, eof = _refill(stream, buf, pos, max(BLOCK, end - size))
                size = len(buf)
                base += pos
                pos = 0
                continue
            elif end > size:
                if pending is None:
                    pending = (base + pos, damage.mark())
                end = -1
            elif spent and spent + length > CREDIT_PER_BYTE * (base + pos) + CREDIT_START - (
                    0 if end == size or buf[end] == SIGNATURE else RESERVE):
                # A packet followed by another (or by the end) may use the reserve;
                # false headers in random bytes almost never are.
                damage.unchecked += 1
                end = -1
            elif crc32(view[pos:end - 4]) != from_bytes(buf[end - 4:end], 'big'):
                spent += length
                end = -1
            else:
                try:
                    event = decode(buf, pos + hdr, end - 4, flags)
                except (_Bad, IndexError, struct.error):
                    spent += length
                    end = -1
            if end < 0:
                damage.note(base + pos, 1, bad_packet=True)
                pos += 1
                continue
            pending = None
            packets += 1
            pos = end
            yield event
        if pending is not None:
            damage.rewind(pending[1])
            damage.truncated_at = pending[0]
    finally:
        damage.packets += packets
        damage.wasted_crc_bytes += spent


def find_packet(buf, start=0):
    """Offset of the first packet in ``buf[start:]`` whose checksum is right, or -1;
    checksum work is bounded as in read_packets."""
    damage = Damage()
    for _event in read_packets(_Empty, damage, bytes(buf[start:])):
        return start + damage.skipped_bytes   # every byte before it was noted once
    return -1


class _Empty:
    """A stream with nothing more in it."""

    @staticmethod
    def read(_size):
        return b''
