"""The pieces of solving while training: AC-Solver's selection schedule, the per-env path
buffer of ``TrainingACVectorEnv`` and its reward (clipped, then scaled, as AC-Solver does)."""

from __future__ import annotations

import numpy as np
from mathgym.agents.rl.common.schedule import SelectionSchedule
from mathgym.agents.rl.common.training_env import TrainingACVectorEnv
from mathgym.envs.ac.presentation import Presentation

CAP = 12


def _starts(texts: list[str]) -> np.ndarray:
    return np.stack([Presentation.parse(t).to_array(CAP) for t in texts]).astype(np.int8)


def test_schedule_first_pass_in_order_then_three_quarters_unsolved():
    s = SelectionSchedule(10, seed=0)
    assert [s.draw() for _ in range(10)] == list(range(10))
    for j in (0, 1, 2, 3, 4):
        s.mark_solved(j)
    draws = np.array([s.draw() for _ in range(4000)])
    share_unsolved = np.mean(draws >= 5)
    assert abs(share_unsolved - 0.75) < 0.03, share_unsolved
    again = SelectionSchedule(10, seed=0)
    again.set_state(s.state())
    assert [again.draw() for _ in range(50)] == [s.draw() for _ in range(50)]


def test_paths_are_recorded_and_rewards_clipped_then_scaled():
    # two presentations one AC move from trivial (the move is found by trying all 12)
    starts = _starts(["x y, y", "x, y x"])
    found: list[tuple[int, list[int], int]] = []
    env = TrainingACVectorEnv(starts, SelectionSchedule(2, seed=0), 2, CAP, 50, "length",
                              reward_scale=0.5, reward_clip=(-3.0, 7.0),
                              on_solved=lambda j, p, t: found.append((j, p, t)))
    env.reset()
    assert env.instance.tolist() == [0, 1]
    # find a one-move solution of each start by trying every move in a fresh env
    solutions = []
    for j in range(2):
        for move in range(12):
            probe = TrainingACVectorEnv(starts[j:j + 1], SelectionSchedule(1, 0), 1, CAP, 50,
                                        "length")
            probe.reset()
            _, _, term, _, _ = probe.step(np.array([move]))
            if term[0]:
                solutions.append(move)
                break
    assert len(solutions) == 2
    _, rewards, term, _, _ = env.step(np.array([solutions[0], 11 if solutions[1] != 11 else 0]))
    assert term[0] and not term[1]
    assert rewards[0] == 7.0 * 0.5  # max_reward clipped to 7, then scaled
    assert rewards[1] == -3.0 * 0.5  # minus the total length (3 or more) clipped to -3
    assert found == [(0, [solutions[0]], 2)]  # cost: the run's env steps after this step
    assert env.total_steps == 2


def test_cyclic_paths_expand_to_plain_paths_through_the_same_states():
    from mathgym.agents.rl.common.cyclic import expand_cyclic_path
    from mathgym.envs.ac.datasets import miller_schupp
    from mathgym.envs.ac.reference import apply_move, apply_moves

    rng = np.random.default_rng(0)
    cap = 18
    for ms in miller_schupp()[:40]:
        start = tuple(tuple(int(x) for x in r) for r in ms.presentation.relators)
        path = [int(m) for m in rng.integers(0, 12, 60)]
        plain = expand_cyclic_path(start, path, cap)
        assert len(plain) >= len(path)
        cyclic = start
        for m in path:
            cyclic = apply_move(cyclic, m, cap, cyclic_reduction=True)
        assert apply_moves(start, plain, cap) == cyclic
