#!/usr/bin/env python3
"""Where a profile's CPU goes, by category: reads folded stacks (inferno-collapse-perf output,
first frame = thread name) and charges each sample to the innermost frame matching a category.
Usage: profile_categories.py FILE.folded   (used by bench/profile.sh)"""
import sys, collections, re
# folded stacks: "comm;frame;frame... count"
cats = [
 ("ledger and hard-state writes and syncs", re.compile(r"HardStateFile|sync_all|fdatasync|fsync|__GI___libc_write.*ledger|ledger::.*write|BufWriter<W>::flush_buf")),
 ("TLS record crypto (AES-GCM, rustls)", re.compile(r"rustls::|aes_gcm|aead_aes|aes_hw|gcm_ghash|tokio_rustls")),
 ("node-to-node channel crypto", re.compile(r"quorate_node::channel::")),
 ("SHA-256 / Merkle / commit evidence", re.compile(r"sha256|Sha256|merkle|Merkle|CommitEvidence")),
 ("ECDSA signing (signature txs)", re.compile(r"ecdsa|Ecdsa|p384|sign_es384|sign_prehashed|emit_signature")),
 ("KV store / tx / entry encode-decode", re.compile(r"quorate_kv::|imbl::")),
 ("consensus engine", re.compile(r"quorate_consensus::")),
 ("JSON (serde_json)", re.compile(r"serde_json::")),
 ("HTTP (hyper, http, headers)", re.compile(r"hyper::|hyper_util::|http::header|smallvec")),
 ("malloc/free", re.compile(r"malloc|_int_free|cfree|unlink_chunk|realloc|malloc_consolidate")),
 ("kernel TCP / loopback", re.compile(r"tcp_|sock_|__netif|net_rx|loopback|ip_|inet_|skb")),
 ("scheduler / wakeups / futex", re.compile(r"finish_task_switch|__schedule|futex|try_to_wake_up|schedule|epoll|park|unpark")),
]
def classify(frames):
    # innermost-first: pick the innermost frame matching any category, scanning from leaf up
    for frame in reversed(frames):
        for name, rx in cats:
            if rx.search(frame):
                return name
    return "other"
by_thread = collections.Counter(); by_cat = collections.Counter(); total = 0
by_thread_cat = collections.defaultdict(collections.Counter)
for line in open(sys.argv[1]):
    stack, _, count = line.rstrip().rpartition(" ")
    count = int(count); frames = stack.split(";")
    thread = re.sub(r"[-_]?\d+$", "", frames[0])
    total += count; by_thread[thread] += count
    c = classify(frames[1:]); by_cat[c] += count; by_thread_cat[thread][c] += count
print("samples", total)
for t, n in by_thread.most_common(): print(f"thread {t}: {100*n/total:.1f}%")
print()
print("| where the node CPU goes (leaf-most matching frame) | share |\n|---|---:|")
for c, n in by_cat.most_common(): print(f"| {c} | {100*n/total:.1f}% |")
for t in by_thread:
    print("\n", t, ", ".join(f"{c} {100*n/by_thread[t]:.0f}%" for c, n in by_thread_cat[t].most_common(8)))
