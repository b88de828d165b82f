"""numba kernels for Andrews–Curtis moves on AC-Solver's flat int8 layout.

Layout (AC-Solver's): a state of ``k`` relators with cap ``L`` (``max_relator_length``) is a 1-D
``int8`` array of ``k * L`` letters; relator ``i`` occupies ``state[i*L : (i+1)*L]``,
left-aligned, zero-padded. Relator lengths travel beside it in an integer array ``lengths``
of ``k`` entries (``np.int32`` recommended; any integer dtype works, numba specialises).
States must be freely reduced (every :class:`~mathgym.envs.ac.presentation.Presentation` is).

Semantics are exactly :mod:`mathgym.envs.ac.reference` (= AC-Solver's ``ACMove``), tested
differentially on more than 100,000 random moves. Move ids: :mod:`mathgym.envs.ac.moves`.

Kernels usable from your own ``@njit`` code (all ``@njit(cache=True)``; mutate in place):

``apply_move(state, lengths, move, k, cap, cyclic) -> bool``
    Apply move id ``move`` (``0 <= move < 4k^2-2k``, or ``< 4k^2-k`` for inversion moves) to
    one state. ``state``: int8[k*cap]; ``lengths``: int[k]; ``k``, ``cap``: int;
    ``cyclic``: bool (cyclically reduce every relator afterwards, AC-Solver's
    ``cyclical=True``). Returns ``True`` if the move was within the cap (applied), ``False`` if
    it was a no-op because the freely reduced result is longer than ``cap`` or empty. (An
    applied conjugation of a power of its own generator leaves the state equal.) An id out of
    range raises nothing and is a no-op returning ``False``.
``is_solved(lengths) -> bool``
    Every relator has length 1.
``total_length(lengths) -> int``
``free_reduce(word, length) -> int`` / ``cyclic_reduce(word, length) -> int``
    Reduce the first ``length`` letters of a 1-D int8 ``word`` in place (zeroing the freed
    tail) and return the new length.
``state_changes(state, lengths, move, k, cap, cyclic, scratch, scratch_lengths) -> bool``
    Would ``move`` change the state? ``scratch``/``scratch_lengths`` are work buffers shaped
    like ``state``/``lengths``.
``action_mask(state, lengths, k, cap, cyclic, n_moves, out, scratch, scratch_lengths)``
    ``out[m] = state_changes(...)`` for ``m < n_moves`` (bool array): the moves that are not
    no-ops (decided from lengths and end letters; a full trial move only in rare cases).

Example, from your own compiled code::

    from numba import njit
    from mathgym.envs.ac.kernels import apply_move, total_length

    @njit
    def child_lengths(state, lengths, cap, out):        # out[m]: total length after move m
        for m in range(12):
            s, ln = state.copy(), lengths.copy()
            apply_move(s, ln, m, 2, cap, False)
            out[m] = total_length(ln)

For ``k = 2`` move ids are decoded from constant tables (no integer division).

Batched (``N`` states; ``states``: int8[N, k*cap], ``lengths``: int[N, k]):

``apply_moves_batch(states, lengths, moves, k, cap, cyclic)``
``action_masks_batch(states, lengths, k, cap, cyclic, n_moves, out)`` (``out``: bool[N, n_moves])
``vector_step(...)``: one step of the vector env (moves, rewards, terminations, same-step
autoreset); see its docstring.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def free_reduce(word, length):
    """Free reduction of ``word[:length]`` in place; returns the new length."""
    top = 0
    for p in range(length):
        letter = word[p]
        if top > 0 and word[top - 1] == -letter:
            top -= 1
        else:
            word[top] = letter
            top += 1
    for p in range(top, length):
        word[p] = 0
    return top


@njit(cache=True, inline="always")
def _cyclic_reduce_block(state, base, length):
    """Cyclically reduce the freely reduced relator at ``state[base:base+length]``."""
    if length < 2 or state[base] != -state[base + length - 1]:
        return length
    p = 0
    while p < length // 2 and state[base + p] == -state[base + length - 1 - p]:
        p += 1
    new = length - 2 * p
    for t in range(new):
        state[base + t] = state[base + p + t]
    for t in range(new, length):
        state[base + t] = 0
    return new


@njit(cache=True)
def cyclic_reduce(word, length):
    """Free then cyclic reduction of ``word[:length]`` in place; returns the new length."""
    return _cyclic_reduce_block(word, 0, free_reduce(word, length))


@njit(cache=True, inline="always")
def _junction_cancellation(state, lengths, i, j, sign, cap):
    """How many letters cancel where ``r_i`` meets ``r_j^sign`` in ``r_i r_j^sign``."""
    bi = i * cap
    bj = j * cap
    li = lengths[i]
    lj = lengths[j]
    m = min(li, lj)
    acc = 0
    if sign > 0:
        while acc < m and state[bi + li - 1 - acc] == -state[bj + acc]:
            acc += 1
    else:
        while acc < m and state[bi + li - 1 - acc] == state[bj + lj - 1 - acc]:
            acc += 1
    return acc


@njit(cache=True, inline="always")
def _concat(state, lengths, i, j, sign, cap):
    bi = i * cap
    bj = j * cap
    li = lengths[i]
    lj = lengths[j]
    acc = _junction_cancellation(state, lengths, i, j, sign, cap)
    new = li + lj - 2 * acc
    if new > cap or new == 0:
        return False
    pos = bi + li - acc
    if sign > 0:
        for t in range(acc, lj):
            state[pos + t - acc] = state[bj + t]
    else:
        for t in range(acc, lj):
            state[pos + t - acc] = -state[bj + lj - 1 - t]
    for p in range(new, li):
        state[bi + p] = 0
    lengths[i] = new
    return True


@njit(cache=True, inline="always")
def _conj(state, lengths, i, g, cap):
    """``r_i <- g r_i g^-1`` with AC-Solver's end cancellations."""
    b = i * cap
    n = lengths[i]
    start = state[b] == -g
    end = state[b + n - 1] == g
    if start and end:
        for t in range(n - 2):
            state[b + t] = state[b + t + 1]
        state[b + n - 2] = 0
        state[b + n - 1] = 0
        lengths[i] = n - 2
        return True
    if start:
        for t in range(n - 1):
            state[b + t] = state[b + t + 1]
        state[b + n - 1] = -g
        return True
    if end:
        for t in range(n - 1, 0, -1):
            state[b + t] = state[b + t - 1]
        state[b] = g
        return True
    if n + 2 > cap:
        return False
    for t in range(n, 0, -1):
        state[b + t] = state[b + t - 1]
    state[b] = g
    state[b + n + 1] = -g
    lengths[i] = n + 2
    return True


@njit(cache=True, inline="always")
def _invert(state, lengths, i, cap):
    b = i * cap
    n = lengths[i]
    for t in range(n // 2):
        a = state[b + t]
        state[b + t] = -state[b + n - 1 - t]
        state[b + n - 1 - t] = -a
    if n % 2:
        state[b + n // 2] = -state[b + n // 2]
    return True


# k = 2 decoding as constant tables (numba freezes global arrays): kind 0 concat, 1 conj,
# 2 invert; relator i; partner j / signed generator g; sign of the concatenated relator.
_K2_KIND = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2], dtype=np.int64)
_K2_I = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1], dtype=np.int64)
_K2_OTHER = np.array([0, 1, 0, 1, -1, -2, -2, 1, 1, 2, 2, -1, 0, 0], dtype=np.int64)
_K2_SIGN = np.array([1, -1, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)


@njit(cache=True, inline="always")
def _decode(move, k):
    """``(kind, i, other, sign)``: kind 0 = concat ``r_i <- r_i r_other^sign``, 1 = conj by the
    signed generator ``other``, 2 = invert, -1 = not a move id. Tables for k = 2."""
    if k == 2:
        if 0 <= move < 14:
            return _K2_KIND[move], _K2_I[move], _K2_OTHER[move], _K2_SIGN[move]
        return -1, 0, 0, 0
    n_concat = 2 * k * (k - 1)
    n_conj = 2 * k * k
    if move < 0:
        return -1, 0, 0, 0
    if move < n_concat:
        t = (move + 1) % n_concat
        i = t % k
        t //= k
        j = (i + 1 + t % (k - 1)) % k
        return 0, i, j, -1 if t // (k - 1) else 1
    if move < n_concat + n_conj:
        t = (move + 1) % n_conj
        i = t % k
        t //= k
        g = t % k + 1
        return 1, i, -g if t // k else g, 0
    if move < n_concat + n_conj + k:
        return 2, move - n_concat - n_conj, 0, 0
    return -1, 0, 0, 0


@njit(cache=True, inline="always")
def apply_move(state, lengths, move, k, cap, cyclic):
    """Apply one move in place (see the module docstring); True if within the cap."""
    kind, i, other, sign = _decode(move, k)
    if kind == 0:
        applied = _concat(state, lengths, i, other, sign, cap)
    elif kind == 1:
        b = i * cap
        if cyclic and state[b] != -other and state[b + lengths[i] - 1] != other:
            # g r g^-1 without cancellation cyclically reduces to what r itself reduces to,
            # which the loop below produces anyway: skip the two shifts.
            applied = lengths[i] + 2 <= cap
        else:
            applied = _conj(state, lengths, i, other, cap)
    elif kind == 2:
        applied = _invert(state, lengths, i, cap)
    else:
        applied = False
    if cyclic:
        for r in range(k):
            lengths[r] = _cyclic_reduce_block(state, r * cap, lengths[r])
    return applied


@njit(cache=True)
def is_solved(lengths):
    """Every relator has length 1."""
    for r in range(lengths.shape[0]):
        if lengths[r] != 1:
            return False
    return True


@njit(cache=True)
def total_length(lengths):
    """Sum of relator lengths."""
    s = 0
    for r in range(lengths.shape[0]):
        s += lengths[r]
    return s


@njit(cache=True)
def state_changes(state, lengths, move, k, cap, cyclic, scratch, scratch_lengths):
    """Would ``move`` change ``state``? (Work buffers shaped like ``state`` / ``lengths``.)"""
    scratch[:] = state
    scratch_lengths[:] = lengths
    apply_move(scratch, scratch_lengths, move, k, cap, cyclic)
    for r in range(k):
        if scratch_lengths[r] != lengths[r]:
            return True
    for p in range(state.shape[0]):
        if scratch[p] != state[p]:
            return True
    return False


@njit(cache=True, inline="always")
def _is_power(state, b, n, letter):
    for t in range(n):
        if state[b + t] != letter:
            return False
    return True


@njit(cache=True)
def _changes_free(state, lengths, move, k, cap):
    """``state_changes`` without cyclic reduction, decided from lengths and end letters."""
    kind, i, other, sign = _decode(move, k)
    if kind == 0:
        acc = _junction_cancellation(state, lengths, i, other, sign, cap)
        new = lengths[i] + lengths[other] - 2 * acc
        return 0 < new <= cap  # r_i r_j^s = r_i only if r_j = 1, impossible
    if kind == 1:
        g = other
        b = i * cap
        n = lengths[i]
        start = state[b] == -g
        end = state[b + n - 1] == g
        if start and end:
            return True
        if start:
            return not _is_power(state, b, n, -g)  # g g^-n g^-1 = g^-n
        if end:
            return not _is_power(state, b, n, g)
        return n + 2 <= cap
    return kind == 2  # inversion: r^-1 != r for reduced non-empty r


@njit(cache=True)
def _changes_cyclic(state, lengths, move, k, cap, scratch, scratch_lengths):
    """``state_changes`` with cyclic reduction, for a state whose relators are all cyclically
    reduced: only the rewritten relator can change."""
    kind, i, other, sign = _decode(move, k)
    if kind == 0:
        inv = sign < 0
        bi = i * cap
        bj = other * cap
        li = lengths[i]
        lj = lengths[other]
        m = min(li, lj)
        acc = 0
        if inv:
            while acc < m and state[bi + li - 1 - acc] == state[bj + lj - 1 - acc]:
                acc += 1
        else:
            while acc < m and state[bi + li - 1 - acc] == -state[bj + acc]:
                acc += 1
        new = li + lj - 2 * acc
        if new == 0 or new > cap:
            return False
        # first and last letters of r_i[:li-acc] + (r_j^s)[acc:]
        if li > acc:
            first = state[bi]
        else:
            first = -state[bj + lj - 1 - acc] if inv else state[bj + acc]
        if lj > acc:
            last = -state[bj] if inv else state[bj + lj - 1]
        else:
            last = state[bi + li - acc - 1]
        if first != -last:
            return True  # already cyclically reduced and != r_i (as r_j != 1)
        return state_changes(state, lengths, move, k, cap, True, scratch, scratch_lengths)
    if kind == 1:
        g = other
        b = i * cap
        n = lengths[i]
        if state[b] == -g:  # r[-1] == g is impossible for a cyclically reduced r here
            return not _is_power(state, b, n, -g)
        if state[b + n - 1] == g:
            return not _is_power(state, b, n, g)
        return False  # g r g^-1 is over the cap or cyclically reduces back to r
    return kind == 2


@njit(cache=True)
def _all_cyclically_reduced(state, lengths, k, cap):
    for r in range(k):
        n = lengths[r]
        if n > 1 and state[r * cap] == -state[r * cap + n - 1]:
            return False
    return True


@njit(cache=True)
def action_mask(state, lengths, k, cap, cyclic, n_moves, out, scratch, scratch_lengths):
    """``out[m]`` = move ``m`` changes the state, for ``m < n_moves``."""
    if not cyclic:
        for m in range(n_moves):
            out[m] = _changes_free(state, lengths, m, k, cap)
    elif not _all_cyclically_reduced(state, lengths, k, cap):
        for m in range(n_moves):  # every move (even a no-op) cyclically reduces the state
            out[m] = True
    else:
        for m in range(n_moves):
            out[m] = _changes_cyclic(state, lengths, m, k, cap, scratch, scratch_lengths)


@njit(cache=True)
def step_and_mask(state, lengths, move, k, cap, cyclic, n_moves, mask, scratch, scratch_lengths):
    """One step of the single env: apply ``move``, fill the next action ``mask``, and return
    the total relator length (solved iff it equals ``k``, as every relator is non-empty)."""
    apply_move(state, lengths, move, k, cap, cyclic)
    action_mask(state, lengths, k, cap, cyclic, n_moves, mask, scratch, scratch_lengths)
    return total_length(lengths)


@njit(cache=True)
def apply_moves_batch(states, lengths, moves, k, cap, cyclic):
    """``apply_move`` on every row: ``states[n]`` gets ``moves[n]``."""
    for n in range(states.shape[0]):
        apply_move(states[n], lengths[n], moves[n], k, cap, cyclic)


@njit(cache=True)
def action_masks_batch(states, lengths, k, cap, cyclic, n_moves, out):
    """``action_mask`` for every row into ``out[n]``."""
    scratch = np.empty(states.shape[1], dtype=states.dtype)
    scratch_lengths = np.empty(lengths.shape[1], dtype=lengths.dtype)
    for n in range(states.shape[0]):
        action_mask(states[n], lengths[n], k, cap, cyclic, n_moves, out[n], scratch,
                    scratch_lengths)


@njit(cache=True)
def vector_step(
    states, lengths, steps, actions, max_move, next_states, next_lengths, k, cap, cyclic,
    horizon, length_reward, max_reward, rewards, terminated, truncated, totals, final_states,
    final_lengths,
):
    """One vector-env step with same-step autoreset; returns the number of finished envs.

    For every env ``n``: apply ``actions[n]``; ``steps[n] += 1``; ``terminated[n]`` = solved;
    ``truncated[n]`` = ``steps[n] >= horizon``; reward = solved ? (``max_reward`` if
    ``length_reward`` else 1) : (``-total length`` if ``length_reward`` else 0). A finished env
    copies its final state to ``final_states[n]`` / ``final_lengths[n]`` and restarts from
    ``next_states[n]`` / ``next_lengths[n]`` with ``steps[n] = 0``. ``totals[n]`` is the total
    length of the state returned (after any reset). If some action is not a move id in
    ``0..n_moves-1`` (``n_moves`` = ``max_move + 1``) nothing changes and ``-(n + 1)`` is
    returned for the first such env ``n``.
    """
    for n in range(actions.shape[0]):
        if actions[n] < 0 or actions[n] > max_move:
            return -(n + 1)
    done = 0
    for n in range(states.shape[0]):
        st = states[n]
        ln = lengths[n]
        apply_move(st, ln, actions[n], k, cap, cyclic)
        steps[n] += 1
        tot = 0
        solved = True
        for r in range(k):
            tot += ln[r]
            if ln[r] != 1:
                solved = False
        if length_reward:
            rewards[n] = max_reward if solved else -tot
        else:
            rewards[n] = 1.0 if solved else 0.0
        terminated[n] = solved
        trunc = steps[n] >= horizon
        truncated[n] = trunc
        if solved or trunc:
            done += 1
            final_states[n, :] = st
            final_lengths[n, :] = ln
            st[:] = next_states[n]
            ln[:] = next_lengths[n]
            steps[n] = 0
            tot = 0
            for r in range(k):
                tot += ln[r]
        totals[n] = tot
    return done


def lengths_of(state: np.ndarray, k: int, cap: int) -> np.ndarray:
    """Relator lengths of a flat AC-Solver state (count of non-zeros per block), as int32."""
    return np.count_nonzero(np.asarray(state).reshape(k, cap), axis=1).astype(np.int32)
