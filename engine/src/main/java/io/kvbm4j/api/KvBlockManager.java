package io.kvbm4j.api;

/**
 * A KV-cache block manager: finds cached prefixes, hands out block slots, indexes filled blocks by id,
 * counts references and evicts inactive blocks when space is needed.
 *
 * <h2>Threading contract</h2>
 * A manager is owned by one thread, the <em>serving thread</em>, which is the single writer of all block
 * metadata. Every method below except {@link #counters()} and {@link #close()} must be called from that
 * thread (checked by an {@code assert}). Calls return synchronously and see their own effects: a
 * {@code match} right after a {@code register} from the same thread finds the block. Each call also
 * publishes its events on the manager's ring, where handlers on their own threads (metrics, metadata
 * store, and later journal and transfers) see them in ring order.
 *
 * <h2>Never waits</h2>
 * No method blocks, allocates or throws on its normal paths. When the ring has no room for the call's
 * events the call changes nothing and returns {@link Status#BACK_PRESSURED}; a tier with no free or
 * evictable block gives {@link Status#NO_SPACE}. Each refusal is counted in {@link #counters()}.
 * Copies between tiers run on a transfer thread: {@link #matchOnboard} schedules, {@link #pollOnboard}
 * collects; only {@link #awaitOnboard}, which a caller chooses to call, waits (up to its deadline).
 *
 * <h2>Cost</h2>
 * Each method is O(blocks it touches): one hash-index probe per looked-up id, O(1) per slot state change.
 * A call claims the ring once and publishes one run event per kind of change it made (up to 32 blocks an
 * entry): a new block costs a share of one {@code STORED} entry through {@link #commit}, a hit a share of one
 * {@code MATCH} entry. Changes private to a request (allocating a free slot, {@link #fill}, {@link #complete},
 * releasing an unregistered block) publish nothing. A call whose runs would need more entries than the ring
 * has (more than 32 × ring.size blocks) is refused with {@link Status#INVALID_ARGUMENT}.
 *
 * <h2>Slots</h2>
 * Slots are G1 slot numbers {@code 0 .. capacity-1}; the memory behind them belongs to the inference
 * runtime. A slot handed out by {@link #allocate} is owned by the caller until it is registered or
 * released; a registered slot is shared and stays valid while the caller holds a reference.
 */
public interface KvBlockManager extends AutoCloseable
{
    /** Tokens per block. */
    int blockTokens();

    /** Number of G1 block slots. */
    int capacity();

    /**
     * Looks up the leading blocks of a sequence and pins (acquires) the cached run.
     *
     * @param ids       the sequence's block ids, position 0 first.
     * @param count     how many of {@code ids} to look up, {@code 0 .. ids.size()}.
     * @param requestId the caller's request id, recorded in events.
     * @param slotsOut  receives the slots of the matched blocks; length at least {@code count}.
     * @return k, the number of leading blocks cached (each now holds one more reference and must be
     * released), or a negative {@link Status}.
     */
    int match(BlockIds ids, int count, long requestId, int[] slotsOut);

    /**
     * {@link #match} in G1, then continues the prefix in G2: the blocks found there are pinned in G2,
     * G1 slots are allocated for them (evicting as {@link #allocate} does) and their onboard is scheduled
     * on the transfer thread. The call never waits for the copy.
     *
     * <p>Collect the result with {@link #pollOnboard} (or {@link #awaitOnboard}): it answers how many of the
     * scheduled blocks arrived intact, in order, and writes their G1 slots after the hits. Only blocks that
     * were copied and passed their checksum are ever handed out; the rest are misses (counted), and the
     * caller computes them. Every scheduled onboard must be collected (the pinned G2 blocks and the G1 slots
     * are held until then).
     *
     * @param onboard receives the ticket, the G1 hits and the number of blocks scheduled.
     * @return the number of leading blocks available: G1 hits (pinned, in {@code slotsOut[0..hits)}) plus
     * those scheduled; or a negative {@link Status} ({@link Status#INVALID_STATE} when {@code onboard} still
     * holds an onboard nobody collected). Without a lower tier this is {@link #match}.
     */
    default int matchOnboard(
        final BlockIds ids, final int count, final long requestId, final int[] slotsOut, final Onboard onboard)
    {
        onboard.set(-1, 0, 0);
        final int k = match(ids, count, requestId, slotsOut);
        if (k >= 0)
        {
            onboard.set(-1, k, 0);
        }
        return k;
    }

    /**
     * Collects a scheduled onboard without waiting.
     *
     * @return {@link Status#NOT_READY} while it runs; when finished, d, the number of leading scheduled
     * blocks now registered in G1 with one reference each for the caller, their slots in
     * {@code slotsOut[hits .. hits+d)} (0 when nothing was scheduled); or {@link Status#INVALID_ARGUMENT}
     * for a ticket that is not outstanding.
     */
    default int pollOnboard(final Onboard onboard, final int[] slotsOut)
    {
        return onboard.pending() ? Status.INVALID_ARGUMENT : 0;
    }

    /**
     * {@link #pollOnboard} until the onboard finishes or {@code timeoutNanos} pass; the only method that
     * waits, for callers that choose to. @return as pollOnboard; {@link Status#NOT_READY} at the deadline.
     */
    default int awaitOnboard(final Onboard onboard, final int[] slotsOut, final long timeoutNanos)
    {
        return pollOnboard(onboard, slotsOut);
    }

    /**
     * Hands out {@code n} free slots in state {@link BlockState#PARTIAL}, evicting inactive leaf blocks
     * (least recently used first) when the free list is short. All or nothing.
     *
     * @param n how many slots, 0 .. {@code slotsOut.length} (0 returns 0 and does nothing).
     * @return n, with the slots in {@code slotsOut[0..n)}, or a negative {@link Status}
     * ({@link Status#NO_SPACE} when fewer than n blocks are free or evictable). A {@code NO_SPACE} may
     * still have evicted some inactive cached blocks (found only while cascading up a chain whose
     * lower blocks are in use); those become misses, nothing in use is touched and no slot is taken.
     */
    int allocate(int n, long requestId, int[] slotsOut);

    /**
     * Records that {@code tokens} more tokens were written into a PARTIAL block.
     *
     * @return the block's token count after the fill, or a negative {@link Status}
     * ({@link Status#INVALID_ARGUMENT} when it would exceed {@link #blockTokens()}).
     */
    int fill(int slot, int tokens);

    /**
     * Declares a full PARTIAL block COMPLETE with its id, computed by {@code BlockHasher} or elsewhere.
     *
     * @param position the block's index in its sequence (0 for a block whose parent is the root).
     * @return 0, or a negative {@link Status} ({@link Status#INVALID_STATE} unless the block is PARTIAL
     * and holds exactly {@link #blockTokens()} tokens).
     */
    int complete(int slot, long idHi, long idLo, long parentHi, long parentLo, int position);

    /** {@link #complete(int, long, long, long, long, int)} with the id at {@code index} of {@code ids}. */
    default int complete(final int slot, final BlockIds ids, final int index)
    {
        if (index < 0 || index >= ids.size())
        {
            return Status.INVALID_ARGUMENT;
        }
        final long parentHi = index == 0 ? 0 : ids.hi(index - 1);
        final long parentLo = index == 0 ? 0 : ids.lo(index - 1);
        return complete(slot, ids.hi(index), ids.lo(index), parentHi, parentLo, index);
    }

    /**
     * Indexes a COMPLETE block by its id, making it matchable; the caller holds one reference.
     * If the id is already registered the call deduplicates: the caller gets the existing block (with one
     * more reference) and {@code slot} goes back to the free pool.
     *
     * @return the slot that now holds the id for the caller (equal to {@code slot} unless deduplicated),
     * or a negative {@link Status}.
     */
    int register(int slot);

    /**
     * Commits {@code n} blocks of one request in one call: each PARTIAL slot {@code slots[i]} is filled to
     * {@link #blockTokens()}, completed with the id at {@code firstIndex + i} of {@code ids} (its parent the id
     * before it, or the root at index 0) and registered, as {@link #fill}, {@link #complete} and
     * {@link #register} would do one by one, with one ring claim and one STORED run. Deduplication is answered
     * per block: {@code slots[i]} is overwritten with the slot that now holds the id for the caller (one
     * reference each); a deduplicated block's own slot went back to the free pool.
     *
     * <p>All or nothing: every slot must be a distinct PARTIAL G1 slot ({@link Status#INVALID_STATE}
     * otherwise) and the metadata store must have room for the new ids ({@link Status#NO_SPACE}).
     *
     * @return n, or a negative {@link Status}.
     */
    default int commit(final int[] slots, final int n, final BlockIds ids, final int firstIndex, final long requestId)
    {
        if (n < 0 || n > slots.length || firstIndex < 0 || firstIndex + n > ids.size())
        {
            return Status.INVALID_ARGUMENT;
        }
        for (int i = 0; i < n; i++)
        {
            final int slot = slots[i];
            final int tokens = blockTokens();
            int r = fill(slot, tokens);
            if (r == Status.INVALID_ARGUMENT)
            {
                r = 0; // already partly filled: complete checks it is full
            }
            r = r < 0 ? r : complete(slot, ids, firstIndex + i);
            r = r < 0 ? r : register(slot);
            if (r < 0)
            {
                return r;
            }
            slots[i] = r;
        }
        return n;
    }

    /**
     * {@link #commit(int[], int, BlockIds, int, long)} with the blocks' token ids: block i's
     * {@link #blockTokens()} tokens are {@code tokens[tokenOffset + i * blockTokens() ..)}. The manager copies
     * them (no reference is kept) into a bounded token ring so that KV events can carry them ({@code token_ids} of
     * vLLM's BlockStored, which routers that hash tokens themselves, such as Dynamo's, need). The ids are the
     * caller's, as in the bare commit (compute them with {@code BlockHasher} from the same tokens, or elsewhere);
     * a deduplicated block's tokens are not sent again. Without a token ring (no KV events configured) this is the
     * bare commit.
     *
     * @return n, or a negative {@link Status} ({@link Status#INVALID_ARGUMENT} when {@code tokens} is shorter than
     * {@code tokenOffset + n * blockTokens()}).
     */
    default int commit(
        final int[] slots, final int n, final BlockIds ids, final int firstIndex, final long requestId,
        final int[] tokens, final int tokenOffset)
    {
        if (n < 0 || tokenOffset < 0 || (long)tokenOffset + (long)n * blockTokens() > tokens.length)
        {
            return Status.INVALID_ARGUMENT;
        }
        return commit(slots, n, ids, firstIndex, requestId);
    }

    /**
     * Releases {@code n} references in one call (a slot may appear as often as the caller holds it), with one
     * ring claim and one RELEASE run. Never answers {@link Status#BACK_PRESSURED}: see {@link #release(int)}.
     *
     * <p>All or nothing for bad input: every slot must be releasable that many times, else nothing changes
     * and the status says why.
     *
     * @return n, or a negative {@link Status}.
     */
    default int release(final int[] slots, final int n)
    {
        if (n < 0 || n > slots.length)
        {
            return Status.INVALID_ARGUMENT;
        }
        for (int i = 0; i < n; i++)
        {
            final int r = release(slots[i]);
            if (r < 0)
            {
                return r;
            }
        }
        return n;
    }

    /** Adds a reference to a registered block. @return the new reference count, or a negative {@link Status}. */
    int acquire(int slot);

    /**
     * Drops the caller's reference. A registered block at zero references becomes INACTIVE (cached,
     * evictable); a PARTIAL or COMPLETE block goes straight back to the free pool.
     *
     * <p>Never answers {@link Status#BACK_PRESSURED}, so a caller never has to spin or leak a reference: when
     * the ring is full the release is applied at once and its RELEASE event is held (at most one counter per
     * G1 slot) and published ahead of the next call's events; a call that needs the ring and cannot fit those
     * first is refused with BACK_PRESSURED and changes nothing, so ring order always matches state order.
     *
     * @return the remaining reference count (0 for an unregistered block), or a negative {@link Status}.
     */
    int release(int slot);

    /** State of a slot, for diagnostics and tests. */
    BlockState state(int slot);

    /** Counters; callable from any thread. */
    EngineCounters counters();

    /**
     * Stops the ring after its handlers drain what was published (bounded by the configured shutdown
     * deadline) and frees off-heap memory. Call from the serving thread once it has stopped calling in.
     */
    @Override
    void close();
}
