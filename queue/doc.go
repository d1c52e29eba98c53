// Package queue carries outreach jobs over Redis Streams: a Producer that
// enqueues them, a Consumer that reads them in a consumer group, a delayed set
// for retries, and a dead-letter stream for entries that cannot be processed.
//
// # Keys
//
// Every key name comes from [Keys] (see [NewKeys]): the stream
// (default "outreach:jobs"), the dead-letter stream (stream+":dead") and the
// delayed sorted set (stream+":delayed"), among others. Other services enqueue with
//
//	XADD outreach:jobs * job <JSON>
//
// # Priority lanes
//
// Jobs travel in three lanes, one stream each: urgent (stream+":urgent"),
// normal (the stream itself) and bulk (stream+":bulk"). A [Producer] puts
// each job in the lane of its priority; other services may XADD to any lane
// (the main stream stays the contract). [Consumer.Read] looks at the lanes in
// that order and returns entries of the first one that has any, so an urgent
// job is read next however many bulk jobs wait; the delayed set remembers
// each job's lane and [Consumer.PromoteDue] puts it back there. Entries carry
// their lane ([Entry.Stream], [Entry.Lane]); settle them with
// [Consumer.AckRefs], Schedule or DeadLetter, which act on that lane.
//
// # How the calls fit
//
// The dispatcher drives the consumer; this package has no loop of its own:
//
//	c.EnsureGroup(ctx)                       // once, at start
//	for {
//	    entries, err := c.Read(ctx)          // new entries (nil on timeout)
//	    // now and then, on tickers:
//	    //   c.Claim(ctx)                     // every c.ClaimEvery(): entries a dead daemon left pending
//	    //   c.Keep(ctx, inFlight...)         // every c.KeepEvery(): ours are not idle
//	    //   c.RenewMany(ctx, held, lease)    // every c.LockLease()/3: our job locks
//	    //   c.PromoteDue(ctx, time.Now(), n) // retries that are due, back into the stream
//	    for _, e := range entries {
//	        // !e.HasJob or a bad job      -> c.DeadLetter(ctx, e, reason, err)
//	        // temporary failure            -> c.Schedule(ctx, e, retryAt, e.Attempt+1)
//	        //                                 (or DeadLetter with retries_exhausted)
//	        // done (sent, or already sent) -> collect e.ID
//	    }
//	    c.AckRefs(ctx, doneRefs...)          // one XACK per lane for the batch
//	}
//
// DeadLetter and Schedule ack the entry themselves, in the same MULTI/EXEC as
// their write, so an entry is never both acked and lost, nor written twice and
// still pending.
//
// # Delivery semantics
//
// Delivery is at least once. An entry stays pending in the group until it is
// acked; if its consumer dies, [Consumer.Claim] on another daemon takes it
// over after MinIdle (claims run every [Consumer.ClaimEvery], at most a
// second). Job locks ([Consumer.Lock]) are leases of [Consumer.LockLease]
// that the holder renews while it works, so a dead daemon's locks lapse
// before its entries are claimed. The client may also retry an XADD whose reply was lost,
// so the stream can hold the same job twice: consumers deduplicate on the
// job's id (the archive), not this package.
//
// Nothing here trims the stream: trimming a stream that a group reads can drop
// entries no consumer has seen. Trim with MINID below the group's
// last-delivered id if the stream must be bounded.
//
// # Lua scripts
//
// Every script is a package variable next to the call that runs it:
//
//   - lockScript (lock.go, one key): SET the job lock (or a lease) NX PX,
//     or extend it when the caller holds it already.
//   - renewScript (lock.go, one key): PEXPIRE the lock only when the
//     caller holds it (compare and set); never takes a lapsed lock back.
//   - unlockScript (lock.go, one key): DEL the lock only when the caller
//     holds it.
//   - lockManyScript, renewManyScript, unlockManyScript (lock.go): the three
//     above for the locks of one shard in one call (a read batch's).
//   - promoteScript (delayed.go): move due members of the delayed set back
//     to their lane's stream, with attempt and retry_of.
//   - releaseScript (held.go): move a resumed campaign's held jobs to the
//     delayed set.
//   - reserveScript (cap.go, one key): reserve a frequency-cap slot.
//   - countAfterScript (stats.go, one key): count stream entries after an id.
//
// The multi-key ones name only keys of one shard's family (one hash slot on
// a cluster, see below); runBatch makes one call per shard of a batch's
// locks, in one pipeline, which a cluster client splits by node.
//
// # Redis Cluster
//
// DeadLetter, Schedule and Hold are MULTI/EXEC over several keys and
// PromoteDue and ReleaseHeld are Lua scripts over several; in Redis Cluster
// all keys of one such call must live in one hash slot. Give the stream a
// hash tag, e.g. "{outreach}:jobs": every other key is built from the stream
// name, so it carries the same tag ("{outreach}:jobs:dead",
// "{outreach}:jobs:urgent", ...) and the same slot.
// [Keys.SameSlot] reports whether that holds, and [Consumer.EnsureGroup]
// refuses to start on a cluster client when it does not ([CheckKeys]).
//
// # Shards
//
// [NewShardedKeys] splits the queue into shards, each with its own lanes,
// dead letters, delayed set, held sets and locks under a hash tag of its
// own ("{outreach:0}:jobs", ...), so that on a cluster the queue spans the
// masters. A [Producer] puts a job in the shard of its id ([Keys.ShardOf]);
// a [Consumer] reads every shard, lane by lane across shards, and claims,
// promotes and counts shard by shard. One shard is [NewKeys] exactly.
//
// [Connect] makes the client from a URL: one node, a cluster (seed nodes,
// or any one node of it, detected), or a Sentinel-managed primary.
package queue
