"""Fixtures of the conductor's integration tests."""
from __future__ import annotations

import pytest
from fixtures.conductor import Builder


@pytest.fixture
def build(conductor) -> Builder:  # noqa: ANN001
    """Creates resources through the real conductor, as project-a."""
    return Builder(conductor)
