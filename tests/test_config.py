import pytest

import mmfuse
from mmfuse._config import report_errors, show_progress
from mmfuse.io import MMFuseInputError


def test_config_context_restores():
    before = mmfuse.get_config()
    with mmfuse.config_context(device="cpu", working_memory=8, on_error="skip"):
        cfg = mmfuse.get_config()
        assert (cfg["device"], cfg["working_memory"], cfg["on_error"]) == ("cpu", 8, "skip")
    assert mmfuse.get_config() == before


@pytest.mark.parametrize("kw", [{"device": "tpu"}, {"on_error": "ignore"},
                                {"working_memory": 0}, {"progress": "yes"}])
def test_set_config_validates(kw):
    with pytest.raises(ValueError):
        mmfuse.set_config(**kw)


def test_show_progress_resolution():
    assert show_progress(True) is True
    assert show_progress(False) is False
    with mmfuse.config_context(progress=True):
        assert show_progress(None) is True


def test_collect_errors_nested_blocks():
    err = MMFuseInputError("bad", row=3, column="image")
    with mmfuse.collect_errors() as outer:
        report_errors([err])
        with mmfuse.collect_errors() as inner:
            report_errors([err])
    assert len(outer) == 2 and len(inner) == 1
    report_errors([err])  # no active block: dropped silently
    assert len(outer) == 2
