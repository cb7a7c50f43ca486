#!/usr/bin/env python3
"""Writes the seed corpus of the engine_request fuzz target.

Each seed is a fuzz input as engine_fuzz.c reads it: u32 sq_tail, u32
rq_tail, SQEs (64 bytes each), release offsets (u64), arena bytes. The
seeds cover every op and the classic hostile shapes so that the replay in
the default test run exercises them even without libFuzzer.
"""
import os
import struct
import sys

REQ_OFF_GUESS = 0  # the arena offset is unknown here: seeds use small values

def sqe(ud, op, flags=0, resv0=0, in_off=0, in_len=0, args=(0, 0, 0), resv1=0):
    return struct.pack('<QHHIQQ3QQ', ud, op, flags, resv0, in_off, in_len, *args, resv1)

def seed(sq_tail, rq_tail, sqes, releases=(), arena=b''):
    sq = b''.join(sqes)
    rel = b''.join(struct.pack('<Q', r) for r in releases)
    # pad the SQE and release areas to their fixed sizes
    sq = sq.ljust(8 * 64, b'\0')
    rel = rel.ljust(16 * 8, b'\0')
    return struct.pack('<II', sq_tail, rq_tail) + sq + rel + arena

def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {
        'ping': seed(1, 0, [sqe(1, 1)]),
        'ping_batch': seed(8, 0, [sqe(i, 1) for i in range(8)]),
        'echo_out_of_range': seed(1, 0, [sqe(2, 2, in_off=0, in_len=64)]),
        'echo_wrap': seed(1, 0, [sqe(3, 2, in_off=2**64 - 8, in_len=64)]),
        'echo_huge': seed(1, 0, [sqe(3, 2, in_off=1 << 20, in_len=2**63)]),
        'stats': seed(1, 0, [sqe(4, 3)]),
        'unknown_ops': seed(4, 0, [sqe(5, 200), sqe(6, 255), sqe(7, 256), sqe(8, 65535)]),
        'reserved': seed(3, 0, [sqe(9, 1, resv0=1), sqe(10, 1, resv1=1), sqe(11, 1, flags=1)]),
        'cancel': seed(2, 0, [sqe(12, 0, args=(1, 0, 0)), sqe(13, 0, args=(13, 0, 0))]),
        'sq_tail_jump': seed(0x7fffffff, 0, [sqe(14, 1)]),
        'rq_bogus': seed(0, 4, [], releases=[0, 1, 2**64 - 1, 4096]),
        'rq_tail_jump': seed(0, 0xffffff00, []),
        'mixed': seed(6, 2, [sqe(15, 1), sqe(16, 2, in_off=8192, in_len=100), sqe(17, 3),
                             sqe(18, 0, args=(16, 0, 0)), sqe(19, 2, in_len=0), sqe(20, 1)],
                      releases=[8192, 8192], arena=b'x' * 300),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus', 'engine_request'))
