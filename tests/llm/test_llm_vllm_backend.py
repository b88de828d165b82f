"""``backend="vllm"`` of the ``llm`` agent: a clear error naming what is missing, and vllm is
never imported unless that backend is selected.

vLLM cannot be installed on this machine (no CUDA GPU; its wheels need one), so the success
path is not exercised here; the tests check the error path and the import boundary, and skip
the error-message check on a machine where vLLM and a GPU are both present.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from mathgym.agents.llm.agent import LLMAgent
from mathgym.agents.llm.common import vllm_backend


def test_importing_the_agent_and_the_backend_module_never_imports_vllm():
    code = ("import sys, mathgym.agents.llm.agent, mathgym.agents.llm.multiturn, "
            "mathgym.agents.llm.common.vllm_backend as vb\n"
            "from mathgym.harness.registry import get_agent\n"
            "a = get_agent('llm', device='cpu')\n"
            "vb.missing()\n"
            "print('vllm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_backend_vllm_without_vllm_or_a_gpu_is_one_clear_error():
    why = vllm_backend.missing()
    if why is None:
        pytest.skip("vllm and a CUDA GPU are both present here; the error path cannot show")
    with pytest.raises(RuntimeError, match="backend='vllm' cannot run: ") as err:
        LLMAgent(backend="vllm")
    message = str(err.value)
    assert why in message and "backend='transformers'" in message
    assert ("vllm package is not installed" in message) or ("no CUDA GPU" in message)


def test_bad_backend_and_vllm_combinations_name_the_fix():
    with pytest.raises(ValueError, match=r"backend must be one of \('transformers', 'vllm'\)"):
        LLMAgent(backend="tgi")
    with pytest.raises(ValueError, match="does not support beams > 1"):
        LLMAgent(backend="vllm", beams=2)
    with pytest.raises(ValueError, match="guided sampling"):
        LLMAgent(backend="vllm", guide_system_prompt="be terse", guide_lambda=0.5)


def test_the_default_backend_leaves_the_config_as_it_was():
    config = LLMAgent(backend="transformers").config
    assert "backend" not in config and "turns" not in config
