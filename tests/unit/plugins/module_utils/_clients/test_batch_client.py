# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parts of the Batch client: OData query encoding, id checks, the limit."""

from __future__ import annotations

import pytest

from ansible_collections.signet.azure.plugins.module_utils._clients.batch import check_id, odata_query, take
from ansible_collections.signet.azure.plugins.module_utils._errors import ConfigError


def test_query_is_encoded_once_with_percent_20():
    q = odata_query("2025-06-01.21.0", "state eq 'active' and startswith(id,'a+b')", ["id", " state"], ["stats"], 50)
    assert q == (
        "api-version=2025-06-01.21.0&$filter=state%20eq%20%27active%27%20and%20startswith%28id%2C%27a%2Bb%27%29"
        "&$select=id%2Cstate&$expand=stats&maxresults=50"
    )


def test_only_api_version_by_default():
    assert odata_query("v") == "api-version=v"


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [({"odata_filter": "  "}, "filter"), ({"max_results": 0}, "max_results"), ({"max_results": 1001}, "max_results")],
)
def test_bad_options_name_the_option(kwargs, option):
    with pytest.raises(ConfigError) as exc:
        odata_query("v", **kwargs)
    assert exc.value.msg.startswith(option)


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "x" * 65, "é"])
def test_check_id_rejects(bad):
    with pytest.raises(ConfigError) as exc:
        check_id("job_id", bad)
    assert exc.value.msg.startswith("job_id")


def test_check_id_accepts():
    assert check_id("job_id", "Render_job-01") == "Render_job-01"


def test_take_stops_the_generator_early():
    pulled = []

    def gen():
        for i in range(10):
            pulled.append(i)
            yield {"id": i}

    assert [j["id"] for j in take(gen(), 3)] == [0, 1, 2]
    assert pulled == [0, 1, 2]
    assert len(take(iter([{"id": 1}]), None)) == 1
    with pytest.raises(ConfigError):
        take(gen(), 0)
