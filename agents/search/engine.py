"""Compiled (numba) search engine over Andrews–Curtis states: node store, hash set, heap, loops.

Why one engine: greedy, weighted A*, BFS, beam and the bidirectional agent differ only in the
order nodes are expanded, so they share one node store, one exact hash set and one move call.
Nothing here runs Python per node.

State representation
    A state is the int8 flat AC-Solver array (``num_relators`` blocks of ``L`` letters, zero
    padded; letters ``±1..±k``). For hashing, equality and ordering it is packed into ``W``
    uint64 words: each letter ``v`` becomes the ``b``-bit code ``v + k`` (``b`` = bits for
    ``2k+1`` codes), most significant first. The packing is injective (so the hash set keys on
    the *full* state: a hash collision only lengthens a probe, it never merges two states) and
    order preserving (unsigned comparison of the words, word by word, is exactly Python's
    lexicographic comparison of ``tuple(state)``, AC-Solver's final tie-break).

Node store (preallocated arrays; ``n`` nodes used)
    ``keys[n, W]`` packed state, ``parent[n]`` (-1 for roots), ``move[n]`` (move that produced
    the node from its parent, -1 for roots), ``depth[n]``, ``length[n]`` (total length),
    ``prio[n]`` (float64 priority for best-first orders).

Hash set
    Open addressing with linear probing over ``table`` (int32, power-of-two size, 0 = empty,
    otherwise node index + 1). Probes compare all ``W`` words.

Symmetry
    Optional (``sym_map``/``sym_swap`` non-empty): every state is replaced by its canonical form
    under the 16 relabelings of :mod:`mathgym.agents.search.symmetry` before it is stored, so
    the store holds one representative per orbit. Parent links are then moves between canonical
    forms; :func:`mathgym.agents.search.symmetry.lift_path` turns them into real moves.

Resuming
    ``best_first`` and ``breadth_first`` keep their loop counters in ``ctr`` and stop with
    ``STATUS_PAUSED`` once ``stop_at`` nodes exist (checked where the budget is checked, after
    a full expansion). Calling again with the same arrays continues exactly where it stopped, so
    a search can run in chunks, be checkpointed between them and be resumed in a new process
    (:mod:`mathgym.agents.search.checkpoint`) with results identical to one uninterrupted run.

Moves
    Applied by the AC-core kernel (``mathgym.envs.ac.kernels``) through :func:`child_into`;
    this module has no move implementation of its own.
"""

from __future__ import annotations

import numpy as np
from mathgym.agents.search.moves_bridge import child_into, relator_lengths
from mathgym.agents.search.symmetry import canonicalize
from numba import njit

STATUS_EXHAUSTED = 0  # node budget reached
STATUS_SOLVED = 1  # a generated child is trivial (or, bidirectional, is in the goal table)
STATUS_EMPTY = 2  # frontier empty: every state reachable within the cap was generated
STATUS_PAUSED = 3  # stopped at ``stop_at`` nodes; the arrays and ``ctr`` resume it exactly


# ----------------------------------------------------------------------------- packing


def packing_params(state_size: int, num_generators: int) -> tuple[int, int, int]:
    """(bits per letter, letters per word, words per state) for the packed representation."""
    codes = 2 * num_generators + 1
    bits = max(1, int(codes - 1).bit_length())
    per_word = 64 // bits
    words = -(-state_size // per_word)
    return bits, per_word, words


@njit(cache=True)
def pack_into(state, k, bits, per_word, out):
    """Pack int8 ``state`` into ``out`` (uint64[W]); injective and order preserving.

    Letter ``j`` sits in word ``j // per_word`` at shift ``64 - bits * (j % per_word + 1)``;
    the loops walk that layout without divisions (this runs 12 times per expansion).
    """
    size = state.shape[0]
    j = 0
    for w in range(out.shape[0]):
        acc = np.uint64(0)
        shift = 64 - bits
        for _ in range(per_word):
            if j >= size:
                break
            acc |= np.uint64(state[j] + k) << np.uint64(shift)
            shift -= bits
            j += 1
        out[w] = acc
    return


@njit(cache=True)
def unpack_into(words, k, bits, per_word, out):
    """Inverse of :func:`pack_into` (``out`` has the state's length)."""
    mask = np.uint64((1 << bits) - 1)
    size = out.shape[0]
    j = 0
    for w in range(words.shape[0]):
        word = words[w]
        shift = 64 - bits
        for _ in range(per_word):
            if j >= size:
                break
            out[j] = np.int8(np.int64((word >> np.uint64(shift)) & mask) - k)
            shift -= bits
            j += 1
    return


@njit(cache=True)
def hash_words(words):
    """splitmix64-style mix of all words (the table index; equality is checked separately)."""
    h = np.uint64(0x9E3779B97F4A7C15)
    for i in range(words.shape[0]):
        z = h ^ words[i]
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h = z ^ (z >> np.uint64(31))
    return h


@njit(cache=True)
def _words_equal(keys, node, words):
    for i in range(words.shape[0]):
        if keys[node, i] != words[i]:
            return False
    return True


@njit(cache=True)
def table_find(table, keys, words):
    """Node index holding ``words``, or -1."""
    mask = np.uint64(table.shape[0] - 1)
    slot = hash_words(words) & mask
    while True:
        entry = table[slot]
        if entry == 0:
            return -1
        if _words_equal(keys, entry - 1, words):
            return entry - 1
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True)
def table_insert(table, keys, n, words):
    """Insert ``words`` as node ``n`` unless present. Returns (node index, inserted?)."""
    mask = np.uint64(table.shape[0] - 1)
    slot = hash_words(words) & mask
    while True:
        entry = table[slot]
        if entry == 0:
            table[slot] = n + 1
            for i in range(words.shape[0]):
                keys[n, i] = words[i]
            return n, True
        if _words_equal(keys, entry - 1, words):
            return entry - 1, False
        slot = (slot + np.uint64(1)) & mask


def table_size_for(capacity: int) -> int:
    """Power of two >= 2 * capacity (load factor <= 1/2)."""
    size = 16
    while size < 2 * capacity:
        size *= 2
    return size


# ----------------------------------------------------------------------------- heap


@njit(cache=True)
def _before(a, b, prio, depth, keys):
    """Strict order (priority, depth, packed state) = AC-Solver's (length, path length, state)."""
    if prio[a] != prio[b]:
        return prio[a] < prio[b]
    if depth[a] != depth[b]:
        return depth[a] < depth[b]
    for i in range(keys.shape[1]):
        if keys[a, i] != keys[b, i]:
            return keys[a, i] < keys[b, i]
    return False


@njit(cache=True)
def heap_push(heap, size, node, prio, depth, keys):
    i = size
    heap[i] = node
    while i > 0:
        p = (i - 1) // 2
        if _before(heap[i], heap[p], prio, depth, keys):
            heap[i], heap[p] = heap[p], heap[i]
            i = p
        else:
            break
    return size + 1


@njit(cache=True)
def heap_pop(heap, size, prio, depth, keys):
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        best = left
        right = left + 1
        if right < size and _before(heap[right], heap[left], prio, depth, keys):
            best = right
        if _before(heap[best], heap[i], prio, depth, keys):
            heap[i], heap[best] = heap[best], heap[i]
            i = best
        else:
            break
    return top, size


# ----------------------------------------------------------------------------- helpers


@njit(cache=True)
def total_length(state):
    n = 0
    for j in range(state.shape[0]):
        if state[j] != 0:
            n += 1
    return n


@njit(cache=True)
def _goal_hit(goal_table, goal_keys, words):
    if goal_table.shape[0] == 0:
        return -1
    return table_find(goal_table, goal_keys, words)


# ----------------------------------------------------------------------------- expansion


@njit(cache=True)
def work_buffers(size, k, words):
    """Per-search scratch arrays: (state, child, canonicalization tmp, relator lengths of the
    state and of the child, packed key)."""
    return (np.empty(size, np.int8), np.empty(size, np.int8), np.empty(size, np.int8),
            np.empty(k, np.int32), np.empty(k, np.int32), np.empty(words, np.uint64))


@njit(cache=True)
def add_root(root, n, k, bits, per_word, cap, keys, parent, move, depth, length, table,
             sym_map, sym_swap, bufs):
    """Insert ``root`` (canonicalized) as node ``n`` unless present; return the new node count."""
    state, _, tmp, _, _, words = bufs
    state[:] = root
    canonicalize(state, cap, sym_map, sym_swap, tmp)
    pack_into(state, k, bits, per_word, words)
    _, inserted = table_insert(table, keys, n, words)
    if not inserted:
        return n
    parent[n] = -1
    move[n] = -1
    depth[n] = 0
    length[n] = total_length(root)
    return n + 1


@njit(cache=True)
def expand(cur, num_moves, k, bits, per_word, cap, cyclic, stop_on_trivial,
           keys, parent, move, depth, length, table, goal_table, goal_keys, sym_map, sym_swap,
           n, best, bufs, hit):
    """Generate the children of node ``cur`` in move order; the one expansion every search uses.

    Unseen children become nodes ``n, n + 1, ...`` in move order (parent, move, depth, total
    length set; the caller adds its own per-node data, e.g. priorities). The expansion stops at
    the first child that is trivial (when ``stop_on_trivial``) or lies in the goal table —
    before the duplicate check, as in AC-Solver: then ``hit`` = (move, goal node or -1),
    otherwise ``hit[0] = -1``. Returns (node count, node of minimal total length).
    """
    state, child, tmp, plen, clens, words = bufs
    hit[0] = -1
    hit[1] = -1
    unpack_into(keys[cur], k, bits, per_word, state)
    relator_lengths(state, cap, plen)
    for m in range(num_moves):
        clen = child_into(state, plen, m, cap, cyclic, child, clens)
        if stop_on_trivial and clen == k:
            hit[0] = m
            return n, best
        canonicalize(child, cap, sym_map, sym_swap, tmp)
        pack_into(child, k, bits, per_word, words)
        g = _goal_hit(goal_table, goal_keys, words)
        if g >= 0:
            hit[0] = m
            hit[1] = g
            return n, best
        _, inserted = table_insert(table, keys, n, words)
        if inserted:
            parent[n] = cur
            move[n] = m
            depth[n] = depth[cur] + 1
            length[n] = clen
            if clen < length[best]:
                best = n
            n += 1
    return n, best


@njit(cache=True, inline="always")
def _stop_status(hit, n, max_nodes, stop_at):
    """After a full expansion: the status to stop with (solved, then budget, then pause), or
    -1 to go on. This is where every search checks its budget."""
    if hit[0] >= 0:
        return STATUS_SOLVED
    if n >= max_nodes:
        return STATUS_EXHAUSTED
    if n >= stop_at:
        return STATUS_PAUSED
    return -1


@njit(cache=True)
def _report(out, status, n, hit_parent, hit, best):
    out[0] = status
    out[1] = n
    out[2] = hit_parent
    out[3] = hit[0]
    out[4] = hit[1]
    out[5] = best


# ----------------------------------------------------------------------------- best first


#: ``len_weight`` of "greedy, deepest first among equal lengths": 2**32 > any depth, and
#: 72 * 2**32 + depth is exact in float64, so the order is (length, -depth, state) exactly.
DEEP_LEN_WEIGHT = float(2**32)


@njit(cache=True)
def best_first(
    start, num_moves, k, bits, per_word, max_relator_length, cyclic, max_nodes, len_weight, weight,
    keys, parent, move, depth, length, prio, table, heap, goal_table, goal_keys,
    sym_map, sym_swap, ctr, stop_at, out,
):
    """Best-first search with priority ``len_weight * length + weight * depth``.

    ``(1, 0)`` is AC-Solver's greedy search and ``(1, w)`` weighted A*; ``(DEEP_LEN_WEIGHT, -1)``
    is greedy with the deepest node first among equal total lengths (exact in float64 while
    depth < 2**32: the length term dominates every depth difference).

    Ties: smaller depth, then lexicographically smaller state (AC-Solver's heap tuple).
    Success as soon as a generated child is trivial (total length == k) or, when a goal table
    is given, is a state of that table — before the duplicate check. The budget counts unique
    states including the start and is checked after each full expansion.

    ``ctr`` (int64[3]: nodes, heap size, node of minimal length) is all the loop state besides
    the arrays; ``ctr[0] == 0`` starts a new search from ``start``, otherwise the search
    continues (see "Resuming" above). ``out`` (int64[6]) receives: status, nodes, parent node
    of the success child (or -1), success move, goal-table node hit (or -1), node of minimal
    total length.
    """
    bufs = work_buffers(start.shape[0], k, keys.shape[1])
    hit = np.full(2, -1, np.int64)
    n, hsize, best = ctr[0], ctr[1], ctr[2]
    if n == 0:
        n = add_root(start, 0, k, bits, per_word, max_relator_length, keys, parent, move,
                     depth, length, table, sym_map, sym_swap, bufs)
        prio[0] = len_weight * length[0]
        best = 0
        hsize = heap_push(heap, 0, 0, prio, depth, keys)
    status = STATUS_EMPTY
    cur = -1
    while hsize > 0:
        cur, hsize = heap_pop(heap, hsize, prio, depth, keys)
        first_new = n
        n, best = expand(cur, num_moves, k, bits, per_word, max_relator_length, cyclic, True,
                         keys, parent, move, depth, length, table, goal_table, goal_keys,
                         sym_map, sym_swap, n, best, bufs, hit)
        for x in range(first_new, n):  # same pushes, same order as pushing during expansion
            prio[x] = len_weight * length[x] + weight * depth[x]
            hsize = heap_push(heap, hsize, x, prio, depth, keys)
        stop = _stop_status(hit, n, max_nodes, stop_at)
        if stop >= 0:
            status = stop
            break
    ctr[0], ctr[1], ctr[2] = n, hsize, best
    _report(out, status, n, cur if status == STATUS_SOLVED else -1, hit, best)


# ----------------------------------------------------------------------------- breadth first


@njit(cache=True)
def breadth_first(
    starts, num_moves, k, bits, per_word, max_relator_length, cyclic, max_nodes, stop_on_trivial,
    keys, parent, move, depth, length, table, goal_table, goal_keys,
    sym_map, sym_swap, ctr, stop_at, out,
):
    """FIFO search from one or more roots (``starts`` is int8[roots, size]).

    The queue is the node store itself (nodes are appended in generation order), so BFS needs
    no extra memory. With ``stop_on_trivial`` it stops as soon as a child is trivial (AC-Solver
    semantics, shortest paths); without it, it grows the ball until the budget or exhaustion
    (used to build the backward goal table from the trivial presentations). ``ctr`` (int64[3]:
    nodes, queue head, node of minimal length) resumes as in :func:`best_first`; output as
    there.
    """
    bufs = work_buffers(starts.shape[1], k, keys.shape[1])
    hit = np.full(2, -1, np.int64)
    n, head, best = ctr[0], ctr[1], ctr[2]
    if n == 0:
        for r in range(starts.shape[0]):
            n = add_root(starts[r], n, k, bits, per_word, max_relator_length, keys, parent,
                         move, depth, length, table, sym_map, sym_swap, bufs)
        best = 0
        head = 0
    status = STATUS_EMPTY
    cur = -1
    while head < n:
        cur = head
        head += 1
        n, best = expand(cur, num_moves, k, bits, per_word, max_relator_length, cyclic,
                         stop_on_trivial, keys, parent, move, depth, length, table, goal_table,
                         goal_keys, sym_map, sym_swap, n, best, bufs, hit)
        stop = _stop_status(hit, n, max_nodes, stop_at)
        if stop >= 0:
            status = stop
            break
    ctr[0], ctr[1], ctr[2] = n, head, best
    _report(out, status, n, cur if status == STATUS_SOLVED else -1, hit, best)


# ----------------------------------------------------------------------------- beam


@njit(cache=True)
def beam(
    start, num_moves, k, bits, per_word, max_relator_length, cyclic, max_nodes, width,
    keys, parent, move, depth, length, prio, table, heap, goal_table, goal_keys,
    sym_map, sym_swap, out,
):
    """Beam search: each level keeps the ``width`` best new children by (length, state).

    Children are generated for the whole beam (success as soon as one is trivial or in the goal
    table); unseen children enter the node store (so the budget counts unique states, as in the
    other searches) and the ``width`` smallest by (total length, packed state) form the next
    beam. Stops when the budget is reached (checked after each expansion) or the beam is empty.
    """
    bufs = work_buffers(start.shape[0], k, keys.shape[1])
    hit = np.full(2, -1, np.int64)
    n = add_root(start, 0, k, bits, per_word, max_relator_length, keys, parent, move, depth,
                 length, table, sym_map, sym_swap, bufs)
    prio[0] = length[0]
    best = 0
    heap[0] = 0  # the current beam (node indices) lives in heap[:beam_size]
    beam_size = 1
    status = STATUS_EMPTY
    cur = -1
    done = False
    while beam_size > 0 and not done:
        first_new = n
        for b in range(beam_size):
            cur = heap[b]
            n, best = expand(cur, num_moves, k, bits, per_word, max_relator_length, cyclic,
                             True, keys, parent, move, depth, length, table, goal_table,
                             goal_keys, sym_map, sym_swap, n, best, bufs, hit)
            stop = _stop_status(hit, n, max_nodes, max_nodes)
            if stop >= 0:
                status = stop
                done = True
                break
        if done:
            break
        # select the `width` best new nodes (by total length, then state) via a heap
        hsize = 0
        candidates = np.empty(n - first_new, np.int32)
        for x in range(first_new, n):
            prio[x] = length[x]
            hsize = heap_push(candidates, hsize, x, prio, depth, keys)
        beam_size = 0
        while hsize > 0 and beam_size < width:
            x, hsize = heap_pop(candidates, hsize, prio, depth, keys)
            heap[beam_size] = x
            beam_size += 1
    _report(out, status, n, cur if status == STATUS_SOLVED else -1, hit, best)
