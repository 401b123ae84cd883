"""The venue coordinator: Raft leadership, the replicated venue registry, and
the services the leader runs (venue broker, bridge to the cloud, mDNS advert).

Design notes
------------
* Every coordinator-capable box runs ``adwatch-edge coordinator``; they form a
  Raft cluster. The leader runs the venue broker, the store-and-forward bridge
  and the ``_adwatch-mqtt._tcp`` advert (TXT ``term`` = its Raft term). When it
  dies, the survivors elect a new leader, which starts all three; workers
  follow the advert with the highest term (:mod:`edge.discovery`).
* The registry (devices, roles, which TV each worker watches, last seen) is a
  pure state machine (:mod:`edge.coordinator.registry`); Raft replicates its
  commands as strictly-decoded msgpack.
* Raft is **pysyncobj**, not pyraft. We checked pyraft 1.0.0 and it

  - grants votes on term alone, without checking that the candidate's log is
    up to date, so it is not correct Raft (a stale node can win and overwrite
    committed entries);
  - restores snapshots with ``eval()``, which runs code read from disk;
  - pins ``redis==3.4.1``, which breaks the redis client that the cloud needs
    (``redis.asyncio``);
  - has had no release since 2022.

  pysyncobj implements the election restriction, persists term/vote/log in a
  journal, and encrypts and authenticates every Raft message with a shared
  password (Fernet: AES-128-CBC + HMAC-SHA256, key from PBKDF2). The password is
  required here: without it pysyncobj exchanges plain pickles, which a stranger
  on the LAN could read, forge, and use to run code on a node.
"""
