"""completion_mask, prompt_mask, position_ids and padding on hand-made batches."""

from __future__ import annotations

import torch
from mathgym.agents.llm.common import (
    completion_mask,
    pad_sequences,
    position_ids_from_mask,
    prompt_mask,
)

PAD, EOS = 0, 1


def ids(rows):
    return torch.tensor(rows)


def test_eos_at_the_last_position_counts_every_token():
    out = completion_mask(ids([[5, 6, EOS]]), EOS, PAD)
    assert out.mask.tolist() == [[1, 1, 1]]
    assert out.is_truncated.tolist() == [False]
    assert out.lengths.tolist() == [3]


def test_eos_at_the_first_position_counts_only_the_eos():
    out = completion_mask(ids([[EOS, 6, 7]]), EOS, PAD)
    assert out.mask.tolist() == [[1, 0, 0]]
    assert out.is_truncated.tolist() == [False]


def test_nothing_after_the_first_eos_counts():
    out = completion_mask(ids([[5, EOS, 6, EOS]]), EOS, PAD)
    assert out.mask.tolist() == [[1, 1, 0, 0]]


def test_missing_eos_is_truncated_and_masked_out_on_request():
    batch = ids([[5, 6, 7], [5, EOS, PAD]])
    out = completion_mask(batch, EOS, PAD)
    assert out.mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert out.is_truncated.tolist() == [True, False]
    masked = completion_mask(batch, EOS, PAD, mask_truncated_completions=True)
    assert masked.mask.tolist() == [[0, 0, 0], [1, 1, 0]]
    assert masked.lengths.tolist() == [3, 2]  # lengths before masking (for overlong shaping)


def test_pad_distinct_from_eos_trailing_pad_is_padding():
    # a short completion that stopped without EOS (a stop string): its right padding never counts
    out = completion_mask(
        ids([[5, 6, PAD, PAD], [5, EOS, PAD, PAD], [PAD, PAD, PAD, PAD]]), EOS, PAD
    )
    assert out.mask.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    assert out.is_truncated.tolist() == [True, False, True]
    assert out.lengths.tolist() == [2, 2, 0]


def test_pad_inside_a_completion_counts():
    # only the trailing run is padding
    out = completion_mask(ids([[5, PAD, 6, PAD]]), EOS, PAD)
    assert out.mask.tolist() == [[1, 1, 1, 0]]


def test_pad_equal_to_eos():
    out = completion_mask(ids([[5, EOS, EOS, EOS], [5, 6, 7, 8], [EOS, EOS, EOS, EOS]]), EOS, EOS)
    assert out.mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]]
    assert out.is_truncated.tolist() == [False, True, False]


def test_pad_equal_to_eos_with_lengths_tells_a_short_truncated_row_from_a_finished_one():
    batch = ids([[5, 6, EOS, EOS], [5, EOS, EOS, EOS]])  # row 0 generated 2 tokens, no EOS
    without = completion_mask(batch, EOS, EOS)
    assert without.is_truncated.tolist() == [False, False]  # ambiguous: looks finished
    out = completion_mask(batch, EOS, EOS, lengths=torch.tensor([2, 2]))
    assert out.mask.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert out.is_truncated.tolist() == [True, False]


def test_lengths_make_a_real_trailing_pad_token_count():
    out = completion_mask(ids([[5, PAD, PAD]]), EOS, PAD, lengths=torch.tensor([2]))
    assert out.mask.tolist() == [[1, 1, 0]] and out.is_truncated.tolist() == [True]


def test_several_eos_ids():
    # chat models stop on e.g. <|im_end|> or <|endoftext|>
    out = completion_mask(ids([[5, 9, 6], [5, 6, EOS]]), [EOS, 9], PAD)
    assert out.mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert out.is_truncated.tolist() == [False, False]


def test_left_padded_prompt_mask_and_positions():
    prompts = ids([[PAD, PAD, 3, 4], [3, 4, 5, 6], [PAD, 3, PAD, 4]])
    mask = prompt_mask(prompts, PAD)
    assert mask.tolist() == [[0, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]]
    assert position_ids_from_mask(mask).tolist() == [[0, 0, 0, 1], [0, 1, 2, 3], [0, 0, 1, 2]]


def test_prompt_mask_from_lengths_when_the_prompt_starts_with_the_pad_id():
    # pad == BOS: only the lengths tell the BOS from the padding
    prompts = ids([[PAD, PAD, 3], [PAD, 3, 4]])
    assert prompt_mask(prompts, PAD, lengths=torch.tensor([2, 3])).tolist() == [
        [0, 1, 1],
        [1, 1, 1],
    ]
    assert prompt_mask(prompts, PAD).tolist() == [[0, 0, 1], [0, 1, 1]]


def test_pad_sequences_left_and_right():
    left_ids, left_mask = pad_sequences([[3, 4], [5]], PAD, side="left")
    assert left_ids.tolist() == [[3, 4], [PAD, 5]] and left_mask.tolist() == [[1, 1], [0, 1]]
    right_ids, right_mask = pad_sequences([[5, EOS], [PAD]], PAD, side="right")
    assert right_ids.tolist() == [[5, EOS], [PAD, PAD]]
    assert right_mask.tolist() == [[1, 1], [1, 0]]  # from the lengths: a real pad token counts


def test_masks_follow_the_input_device_and_dtype():
    batch = ids([[5, EOS]]).to(torch.int32)
    out = completion_mask(batch, EOS, PAD)
    assert out.mask.device == batch.device and out.mask.dtype == torch.long
