# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure Batch data plane (``<account>.<region>.batch.azure.com`` and the China / US Gov suffixes).

Follows BatchService.json 2025-06-01.21.0 (``Jobs_ListJobs``, ``Jobs_GetJob``, ``Jobs_CreateJob`` - ``POST /jobs``,
``201`` with ``ETag``, ``Last-Modified`` and ``DataServiceId``, ``409 JobExists`` -, ``Tasks_ListTasks``,
``Tasks_GetTask``) and Microsoft's "Authenticate requests to Azure Batch". Implemented independently of the
collection (nothing under ``plugins/`` is imported), so a signing bug in the collection cannot be hidden by the same
bug here.

Seeded account: ``signetbatch`` (region ``eastus``; the same account also answers on
``signetbatch.chinanorth3.batch.chinacloudapi.cn`` and ``signetbatch.usgovvirginia.batch.usgovcloudapi.net`` for
sovereign-cloud tests) with a random 64-byte base64 primary and secondary key (``twin.json`` -> ``batch``), 2,500 jobs
by default (``POST /_twin/batch/seed {"jobs": N}`` reseeds), three tasks on every tenth job and 1,500 tasks on job
``bigjob-tasks``.

Authentication:

* ``Authorization: SharedKey <account>:<signature>``: date from ``ocp-date`` (else ``Date``), requests older than 15
  minutes are refused with ``Request date header too old``. The string-to-sign is VERB, the eleven standard headers as
  sent (Date empty when ``ocp-date`` is present), the ``ocp-*`` headers, then ``/<account><encoded path>`` and one
  ``\\nname:value`` per query parameter. A request that sends *no* Content-Type is also checked against the Batch
  Content-Type ``application/json; odata=minimalmetadata; charset=utf-8``, and that is the string the 403 reports:
  Azure's own 403 for such a GET showed it (StackOverflow question 59024892), while Microsoft's Python SDK, which sends
  no Content-Type on GET and signs an empty line, works against Azure. Future-dated requests are not refused
  (Azure's behaviour there is unverified).
* ``Authorization: Bearer <token>`` issued by the twin's Entra for the Batch resource of the host's cloud.

Errors use the Batch OData shape ``{"odata.metadata", "code", "message": {"lang", "value"}, "values": [...]}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import os
import random
import re
import uuid
from urllib.parse import quote, unquote

from .plugin import DEFAULT_BATCH_REGIONS, Cloud, Plugin, Request, Response, TokenError, not_implemented

ACCOUNT = "signetbatch"
REGION = "eastus"
SOVEREIGN_HOSTS = {
    "AzureChinaCloud": "chinanorth3",
    "AzureUSGovernment": "usgovvirginia",
}
DEFAULT_JOBS = 2500
BIG_JOB = "bigjob-tasks"
BIG_JOB_TASKS = 1500
BATCH_CONTENT_TYPE = "application/json; odata=minimalmetadata; charset=utf-8"
RESPONSE_CONTENT_TYPE = "application/json;odata=minimalmetadata"
MAX_AGE = dt.timedelta(minutes=15)
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}\.\d+\.\d+$")
_SIGNED = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)
JOB_FILTER_PROPS = {
    "id",
    "displayName",
    "state",
    "priority",
    "creationTime",
    "lastModified",
    "stateTransitionTime",
    "previousState",
    "onAllTasksComplete",
    "onTaskFailure",
    "maxParallelTasks",
    "poolInfo/poolId",
    "executionInfo/poolId",
    "executionInfo/startTime",
    "executionInfo/endTime",
}
TASK_FILTER_PROPS = {
    "id",
    "displayName",
    "state",
    "creationTime",
    "stateTransitionTime",
    "commandLine",
    "requiredSlots",
    "executionInfo/exitCode",
    "executionInfo/result",
    "executionInfo/startTime",
    "executionInfo/endTime",
    "nodeInfo/nodeId",
}


# ---------------------------------------------------------------------------------------------------- seed data
def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (t.microsecond * 10)


def _etag(rng: random.Random) -> str:
    return "0x8D%013X" % rng.getrandbits(52)


def make_tasks(rng: random.Random, job_created: dt.datetime, count: int, job_state: str) -> list[dict]:
    """Realistic BatchTask objects (without ``url``, added per request host)."""
    tasks = []
    for i in range(count):
        created = job_created + dt.timedelta(seconds=5 + i)
        state = "completed" if job_state == "completed" else rng.choice(["active", "running", "completed", "completed"])
        task = {
            "id": "task-%04d" % i,
            "displayName": "step %d" % i,
            "eTag": _etag(rng),
            "lastModified": _iso(created),
            "creationTime": _iso(created),
            "state": state,
            "stateTransitionTime": _iso(created + dt.timedelta(seconds=30)),
            "commandLine": "/bin/sh -c 'python run.py --part %d'" % i,
            "userIdentity": {"autoUser": {"scope": "pool", "elevationLevel": "nonadmin"}},
            "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "retentionTime": "P7D", "maxTaskRetryCount": 0},
            "requiredSlots": 1,
            "executionInfo": {"retryCount": 0, "requeueCount": 0},
        }
        if state != "active":
            task["previousState"] = "active" if state == "running" else "running"
            task["previousStateTransitionTime"] = _iso(created + dt.timedelta(seconds=10))
            task["executionInfo"]["startTime"] = _iso(created + dt.timedelta(seconds=12))
            task["nodeInfo"] = {
                "affinityId": "TVM:tvmps_%064x" % rng.getrandbits(256),
                "nodeId": "tvmps_%064x" % rng.getrandbits(256),
                "poolId": "pool-linux",
            }
        if state == "completed":
            code = rng.choice([0, 0, 0, 1])
            task["executionInfo"].update(
                endTime=_iso(created + dt.timedelta(seconds=40)), exitCode=code, result="success" if code == 0 else "failure"
            )
        tasks.append(task)
    return tasks


def make_jobs(count: int, seed: int = 2026) -> tuple[list[dict], dict[str, list[dict]]]:
    """``count`` realistic BatchJob objects (without ``url``) and the tasks of some of them, deterministically."""
    rng = random.Random(seed)
    base = dt.datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=dt.timezone.utc)
    prefixes = ["render", "etl", "ml-train", "nightly", "report"]
    pools = ["pool-linux", "pool-gpu", "pool-win"]
    jobs: list[dict] = []
    tasks: dict[str, list[dict]] = {}
    for i in range(count):
        job_id = BIG_JOB if i == 7 else "%s-%05d" % (prefixes[i % len(prefixes)], i)
        created = base + dt.timedelta(minutes=3 * i, microseconds=rng.randrange(10**6))
        roll = rng.random()
        state = "active" if roll < 0.6 else "completed" if roll < 0.9 else "disabled"
        pool = pools[rng.randrange(len(pools))]
        job = {
            "id": job_id,
            "displayName": "%s job %d" % (job_id.split("-")[0], i),
            "usesTaskDependencies": False,
            "eTag": _etag(rng),
            "lastModified": _iso(created + dt.timedelta(seconds=2)),
            "creationTime": _iso(created),
            "state": state,
            "stateTransitionTime": _iso(created + dt.timedelta(seconds=2)),
            "priority": rng.randrange(-1000, 1001),
            "allowTaskPreemption": False,
            "maxParallelTasks": -1,
            "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": rng.choice([0, 0, 3])},
            "poolInfo": {"poolId": pool},
            "executionInfo": {"startTime": _iso(created + dt.timedelta(seconds=1)), "poolId": pool},
            "onAllTasksComplete": rng.choice(["noaction", "terminatejob"]),
            "onTaskFailure": rng.choice(["noaction", "performexitoptionsjobaction"]),
        }
        if state != "active":
            job["previousState"] = "active"
            job["previousStateTransitionTime"] = _iso(created + dt.timedelta(seconds=1))
        if state == "completed":
            job["executionInfo"].update(
                endTime=_iso(created + dt.timedelta(minutes=2)), terminateReason=rng.choice(["AllTasksComplete", "UserTerminate"])
            )
        if i % 4 == 0:
            job["metadata"] = [{"name": "owner", "value": "team-%s" % "abc"[i % 3]}]
        jobs.append(job)
        if job_id == BIG_JOB:
            tasks[job_id] = make_tasks(rng, created, BIG_JOB_TASKS, state)
        elif i % 10 == 0:
            tasks[job_id] = make_tasks(rng, created, 3, state)
    return jobs, tasks


def job_stats(job: dict, url: str, ntasks: int) -> dict:
    """A BatchJobStatistics object for ``$expand=stats`` (numbers derived from the job, stable)."""
    n = int(hashlib.sha256(job["id"].encode()).hexdigest()[:6], 16)
    return {
        "url": url,
        "startTime": job["creationTime"],
        "lastUpdateTime": job["lastModified"],
        "userCPUTime": "PT%dM%dS" % (n % 50, n % 60),
        "kernelCPUTime": "PT%dS" % (n % 30),
        "wallClockTime": "PT%dM" % (1 + n % 90),
        "readIOps": str(n % 5000),
        "writeIOps": str(n % 3000),
        "readIOGiB": round((n % 1000) / 100.0, 2),
        "writeIOGiB": round((n % 500) / 100.0, 2),
        "numSucceededTasks": str(ntasks),
        "numFailedTasks": "0",
        "numTaskRetries": "0",
        "waitTime": "PT%dS" % (n % 40),
    }


# ---------------------------------------------------------------------------------------------------- OData $filter
class FilterError(ValueError):
    """The $filter clause is not valid (answered 400 InvalidQueryParameterValue)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<dt>datetime'[^']*')|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<punc>[(),])|(?P<name>[A-Za-z_][A-Za-z0-9_/]*))",
    re.I,
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}


def _parse_dt(text: str) -> dt.datetime:
    """ISO 8601 (7 fractional digits and ``Z`` as Batch writes them) -> aware datetime; FilterError otherwise."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$", text.strip())
    if not m:
        raise FilterError("%r is not a valid DateTime" % text)
    micro = "." + m.group(2)[:6].ljust(6, "0") if m.group(2) else ""
    tz = m.group(3) or "Z"
    try:
        return dt.datetime.fromisoformat(m.group(1) + micro + ("+00:00" if tz == "Z" else tz))
    except ValueError:
        raise FilterError("%r is not a valid DateTime" % text) from None


class ODataFilter:
    """A small, safe OData ``$filter`` evaluator: comparisons (``eq ne gt ge lt le``), ``and``/``or``/``not``,
    parentheses, ``startswith(prop,'x')`` / ``endswith(prop,'x')``, string / number / boolean / ``null`` /
    ``datetime'...'`` literals, and ``a/b`` property paths from an allow list. Never uses eval.
    """

    MAX_LENGTH = 2048
    MAX_DEPTH = 32

    def __init__(self, text: str, allowed: set[str]):
        if len(text) > self.MAX_LENGTH:
            raise FilterError("the filter clause is longer than %d characters" % self.MAX_LENGTH)
        self.allowed = allowed
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.tree = self._or(0)
        if self.pos != len(self.tokens):
            raise FilterError("unexpected %r at the end of the filter clause" % (self.tokens[self.pos][1],))

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, object]]:
        tokens: list[tuple[str, object]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise FilterError("unexpected character %r at position %d" % (text[pos : pos + 1], pos))
            pos = m.end()
            if m.group("dt"):
                tokens.append(("lit", _parse_dt(m.group("dt")[9:-1])))
            elif m.group("str"):
                tokens.append(("lit", m.group("str")[1:-1].replace("''", "'")))
            elif m.group("num"):
                num = m.group("num")
                tokens.append(("lit", float(num) if "." in num else int(num)))
            elif m.group("punc"):
                tokens.append((m.group("punc"), m.group("punc")))
            else:
                word = m.group("name")
                low = word.lower()
                if low in ("true", "false"):
                    tokens.append(("lit", low == "true"))
                elif low == "null":
                    tokens.append(("lit", None))
                elif low in _COMPARE or low in ("and", "or", "not", "startswith", "endswith"):
                    tokens.append(("kw", low))
                else:
                    tokens.append(("name", word))
        return tokens

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _take(self, kind, value=None):
        tok = self._peek()
        if tok[0] != kind or (value is not None and tok[1] != value):
            raise FilterError("expected %s but found %r" % (value or kind, tok[1]))
        self.pos += 1
        return tok[1]

    def _or(self, depth):
        if depth > self.MAX_DEPTH:
            raise FilterError("the filter clause is nested too deeply")
        node = self._and(depth)
        while self._peek() == ("kw", "or"):
            self.pos += 1
            node = ("or", node, self._and(depth))
        return node

    def _and(self, depth):
        node = self._unary(depth)
        while self._peek() == ("kw", "and"):
            self.pos += 1
            node = ("and", node, self._unary(depth))
        return node

    def _unary(self, depth):
        if self._peek() == ("kw", "not"):
            self.pos += 1
            return ("not", self._unary(depth + 1))
        if self._peek()[0] == "(":
            self.pos += 1
            node = self._or(depth + 1)
            self._take(")")
            return node
        if self._peek()[0] == "kw" and self._peek()[1] in ("startswith", "endswith"):
            func = self._take("kw")
            self._take("(")
            prop = self._prop()
            self._take(",")
            lit = self._take("lit")
            self._take(")")
            if not isinstance(lit, str):
                raise FilterError("%s needs a string literal" % func)
            return (func, prop, lit)
        left = self._operand()
        op = self._peek()
        if op[0] != "kw" or op[1] not in _COMPARE:
            raise FilterError("expected a comparison operator but found %r" % (op[1],))
        self.pos += 1
        right = self._operand()
        return ("cmp", op[1], left, right)

    def _prop(self):
        name = self._take("name")
        if name not in self.allowed:
            raise FilterError("the property %r is not supported in this filter" % name)
        return ("prop", name)

    def _operand(self):
        if self._peek()[0] == "name":
            return self._prop()
        return ("lit", self._take("lit"))

    # -- evaluation --------------------------------------------------------------------------------------------
    @staticmethod
    def _value(node, item):
        if node[0] == "lit":
            return node[1]
        cur = item
        for part in node[1].split("/"):
            cur = cur.get(part) if isinstance(cur, dict) else None
        return cur

    def _cmp(self, op, a, b):
        if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
            try:
                a = a if isinstance(a, dt.datetime) or a is None else _parse_dt(a)
                b = b if isinstance(b, dt.datetime) or b is None else _parse_dt(b)
            except FilterError:
                return False
        if op == "eq":
            return a == b
        if op == "ne":
            return a != b
        if a is None or b is None or isinstance(a, str) != isinstance(b, str):
            return False
        return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]

    def _eval(self, node, item) -> bool:
        kind = node[0]
        if kind == "or":
            return self._eval(node[1], item) or self._eval(node[2], item)
        if kind == "and":
            return self._eval(node[1], item) and self._eval(node[2], item)
        if kind == "not":
            return not self._eval(node[1], item)
        if kind in ("startswith", "endswith"):
            value = self._value(node[1], item)
            return isinstance(value, str) and (value.startswith(node[2]) if kind == "startswith" else value.endswith(node[2]))
        return self._cmp(node[1], self._value(node[2], item), self._value(node[3], item))

    def matches(self, item: dict) -> bool:
        """Does ``item`` satisfy the filter?"""
        return self._eval(self.tree, item)


# ---------------------------------------------------------------------------------------------------- Shared Key
def parse_query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """(decoded name, decoded value) per ``&``-separated part, decoding exactly once (``+`` stays ``+``)."""
    out = []
    for chunk in raw_query.split("&") if raw_query else []:
        if chunk:
            key, _sep, val = chunk.partition("=")
            out.append((unquote(key), unquote(val)))
    return out


def server_string_to_sign(request: Request, account: str, content_type: str | None) -> str:
    """What the twin signs, per "Authenticate requests to Azure Batch", for ``request`` (``content_type`` overrides the
    Content-Type line; None = as sent)."""
    sent = {}
    for name, value in request.headers.items():
        sent.setdefault(name.lower(), value.strip())
    fields = []
    for name in _SIGNED:
        if name == "content-type" and content_type is not None:
            fields.append(content_type)
        elif name == "date" and sent.get("ocp-date"):
            fields.append("")
        else:
            fields.append(sent.get(name, ""))
    ocp: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        if name.lower().startswith("ocp-"):
            ocp.setdefault(name.lower(), []).append(" ".join(value.split()))
    canonical_headers = "".join(f"{n}:{','.join(ocp[n])}\n" for n in sorted(ocp))
    path = request.raw_path.split("?", 1)[0]
    params: dict[str, list[str]] = {}
    for key, val in parse_query_pairs(request.raw_query):
        params.setdefault(key.lower(), []).append(val)
    resource = f"/{account}{path}" + "".join(f"\n{n}:{','.join(sorted(params[n]))}" for n in sorted(params))
    return request.method + "\n" + "\n".join(fields) + "\n" + canonical_headers + resource


def _mac(key_b64: str, text: str) -> str:
    return base64.b64encode(hmac.new(base64.b64decode(key_b64), text.encode("utf-8"), hashlib.sha256).digest()).decode()


# ---------------------------------------------------------------------------------------------------- the plugin
class Batch(Plugin):
    """The Batch data plane: jobs and tasks (read), Shared Key and Entra ID auth, OData options, paging."""

    name = "batch"

    @classmethod
    def hosts(cls, cloud: Cloud, batch_regions=DEFAULT_BATCH_REGIONS) -> list[str]:
        """``*.<region>.<batch suffix>`` for every configured region (a wildcard covers one label only)."""
        return [f"*.{region}.{cloud.batch_suffix}" for region in batch_regions]

    @classmethod
    def seed(cls, state, state_dir) -> None:
        """The account, its two keys, and DEFAULT_JOBS jobs."""
        data = state.ns(cls.name)
        primary = base64.b64encode(os.urandom(64)).decode()
        secondary = base64.b64encode(os.urandom(64)).decode()
        state.register_secret(primary)
        state.register_secret(secondary)
        data["account"] = {"name": ACCOUNT, "region": REGION, "keys": [primary, secondary]}
        cls._reseed(data, DEFAULT_JOBS)
        state.info[cls.name] = {
            "account": ACCOUNT,
            "region": REGION,
            "endpoint": f"https://{ACCOUNT}.{REGION}.batch.azure.com",
            "endpoints": {
                "AzureCloud": f"https://{ACCOUNT}.{REGION}.batch.azure.com",
                "AzureChinaCloud": f"https://{ACCOUNT}.{SOVEREIGN_HOSTS['AzureChinaCloud']}.batch.chinacloudapi.cn",
                "AzureUSGovernment": f"https://{ACCOUNT}.{SOVEREIGN_HOSTS['AzureUSGovernment']}.batch.usgovcloudapi.net",
            },
            "primary_key": primary,
            "secondary_key": secondary,
            "jobs": DEFAULT_JOBS,
            "big_job": BIG_JOB,
            "big_job_tasks": BIG_JOB_TASKS,
            "scope": "https://batch.core.windows.net/.default",
        }

    @staticmethod
    def _reseed(data: dict, count: int) -> None:
        jobs, tasks = make_jobs(count)
        data["jobs"] = jobs
        data["by_id"] = {j["id"]: j for j in jobs}
        data["tasks"] = tasks

    def control(self, action: str, payload):
        """``seed`` ``{"jobs": N}`` replaces the jobs (deterministic content); ``info`` returns counts."""
        if action == "seed":
            count = int((payload or {}).get("jobs", DEFAULT_JOBS))
            if not 0 <= count <= 100000:
                return Response(400, {"error": "jobs must be 0..100000"})
            with self.state.lock:
                self._reseed(self.data, count)
                self.state.info[self.name]["jobs"] = count
            return {"jobs": count}
        if action == "info":
            with self.state.lock:
                return {"jobs": len(self.data["jobs"]), "tasks": {k: len(v) for k, v in self.data["tasks"].items()}}
        return super().control(action, payload)

    # -- responses ---------------------------------------------------------------------------------------------
    @staticmethod
    def _meta(request: Request) -> str:
        return f"https://{request.host}/$metadata"

    def error(self, request: Request, status: int, code: str, message: str, values=None, headers=None) -> Response:
        """The Batch OData error body, with RequestId and Time in the message as Azure writes them."""
        rid = str(uuid.uuid4())
        now = dt.datetime.now(dt.timezone.utc)
        body = {
            "odata.metadata": self._meta(request) + "#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
            "code": code,
            "message": {"lang": "en-US", "value": f"{message}\nRequestId:{rid}\nTime:{_iso(now)}"},
        }
        if values:
            body["values"] = [{"key": k, "value": v} for k, v in values]
        hdrs = {"Content-Type": RESPONSE_CONTENT_TYPE, "request-id": rid}
        hdrs.update(headers or {})
        return Response(status, json.dumps(body, separators=(",", ":")).encode(), hdrs)

    def _ok(self, request: Request, body: dict, extra=None) -> Response:
        hdrs = {"Content-Type": RESPONSE_CONTENT_TYPE, "request-id": str(uuid.uuid4())}
        if (request.headers.get("return-client-request-id") or "").lower() == "true" and request.headers.get("client-request-id"):
            hdrs["client-request-id"] = request.headers.get("client-request-id")
        hdrs.update(extra or {})
        return Response(200, json.dumps(body, separators=(",", ":")).encode(), hdrs)

    def _bad_param(self, request: Request, name: str, value: str, reason: str) -> Response:
        return self.error(
            request,
            400,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
            [("QueryParameterName", name), ("QueryParameterValue", value), ("Reason", reason)],
        )

    # -- auth --------------------------------------------------------------------------------------------------
    def _account_for(self, request: Request) -> str | None:
        labels = request.host.split(".")
        if len(labels) < 3:
            return None
        account, region = labels[0], labels[1]
        expected_region = REGION if request.cloud_name == "AzureCloud" else SOVEREIGN_HOSTS.get(request.cloud_name or "")
        return account if account == ACCOUNT and region == expected_region else None

    def authenticate(self, request: Request, account: str) -> Response | None:
        """None when the request is authenticated, else the error response."""
        value = request.headers.get("Authorization") or ""
        scheme, _sep, cred = value.partition(" ")
        if scheme.lower() == "bearer":
            try:
                request.bearer_claims(request.cloud.audiences("batch"))
            except TokenError as exc:
                login = request.cloud.login_host
                return self.error(
                    request,
                    401,
                    "AuthenticationFailed",
                    "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
                    [("AuthenticationErrorDetail", exc.message)],
                    {
                        "WWW-Authenticate": f'Bearer authorization_uri="https://{login}/{self.state.tenant_id}", error="invalid_token"'
                    },
                )
            return None
        if scheme != "SharedKey" or ":" not in cred:
            return self.error(
                request,
                401,
                "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
                [("AuthenticationErrorDetail", "The Authorization header is missing or its scheme is not SharedKey or Bearer.")],
            )
        name, _sep, signature = cred.strip().partition(":")
        fail = "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature."
        if name != account:
            return self.error(
                request,
                403,
                "AuthenticationFailed",
                fail,
                [
                    (
                        "AuthenticationErrorDetail",
                        f"The account name '{name}' in the Authorization header does not match the account being accessed.",
                    )
                ],
            )
        date_value = request.headers.get("ocp-date") or request.headers.get("Date")
        if not date_value:
            return self.error(
                request, 403, "AuthenticationFailed", fail, [("AuthenticationErrorDetail", "Request date header not specified")]
            )
        try:
            when = email.utils.parsedate_to_datetime(date_value)
            if when.tzinfo is None:
                raise ValueError(date_value)
        except (TypeError, ValueError, IndexError):
            return self.error(
                request,
                403,
                "AuthenticationFailed",
                fail,
                [("AuthenticationErrorDetail", f"The date header '{date_value}' is not a valid RFC 1123 date")],
            )
        if dt.datetime.now(dt.timezone.utc) - when > MAX_AGE:
            return self.error(
                request,
                403,
                "AuthenticationFailed",
                fail,
                [("AuthenticationErrorDetail", f"Request date header too old: '{date_value}'")],
            )
        sent_ct = request.headers.get("Content-Type")
        candidates = [server_string_to_sign(request, account, None)]
        if sent_ct is None:
            candidates.insert(0, server_string_to_sign(request, account, BATCH_CONTENT_TYPE))
        with self.state.lock:
            keys = list(self.data["account"]["keys"])
        for sts in candidates:
            for key in keys:
                if hmac.compare_digest(_mac(key, sts), signature):
                    return None
        shown = candidates[0].replace("\n", "\\n")
        detail = f"The MAC signature found in the HTTP request '{signature}' is not the same as any computed signature. Server used following string to sign: '{shown}'."
        return self.error(request, 403, "AuthenticationFailed", fail, [("AuthenticationErrorDetail", detail)])

    # -- routing -----------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        account = self._account_for(request)
        if account is None:
            return self.error(
                request, 404, "AccountNotFound", f"The Batch account for host {request.host} does not exist in the twin."
            )
        api_version = request.query_one("api-version")
        if api_version is None:
            return self.error(
                request,
                400,
                "MissingRequiredQueryParameter",
                "A query parameter that's mandatory for this request is not specified.",
                [("QueryParameterName", "api-version")],
            )
        if not _API_VERSION.match(api_version):
            return self._bad_param(request, "api-version", api_version, "The specified api version is not supported.")
        denied = self.authenticate(request, account)
        if denied is not None:
            return denied
        parts = [p for p in request.path.split("/") if p]
        if request.method == "POST" and parts == ["jobs"]:
            return self._add_job(request)
        if request.method != "GET":
            return not_implemented("Batch", request)
        if parts == ["jobs"]:
            return self._list(request, "jobs", None)
        if len(parts) == 2 and parts[0] == "jobs":
            return self._get_job(request, parts[1])
        if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "tasks":
            return self._list(request, "tasks", parts[1])
        if len(parts) == 4 and parts[0] == "jobs" and parts[2] == "tasks":
            return self._get_task(request, parts[1], parts[3])
        return not_implemented("Batch", request)

    # -- shaping -----------------------------------------------------------------------------------------------
    def _options(self, request: Request, kind: str):
        """Parse $filter / $select / $expand / maxresults; returns (filter, select, expand, maxresults) or a Response."""
        pairs = dict((k, v) for k, v in parse_query_pairs(request.raw_query))
        flt = None
        if "$filter" in pairs:
            try:
                flt = ODataFilter(pairs["$filter"], JOB_FILTER_PROPS if kind == "jobs" else TASK_FILTER_PROPS)
            except FilterError as exc:
                return self._bad_param(request, "$filter", pairs["$filter"], str(exc))
        select = None
        if pairs.get("$select"):
            select = [s.strip() for s in pairs["$select"].split(",")]
            known = _JOB_PROPS if kind == "jobs" else _TASK_PROPS
            bad = [s for s in select if s not in known]
            if bad:
                return self._bad_param(request, "$select", pairs["$select"], f"Unknown property {bad[0]!r}.")
        expand = []
        if pairs.get("$expand"):
            expand = [e.strip() for e in pairs["$expand"].split(",")]
            if any(e != "stats" for e in expand):
                return self._bad_param(request, "$expand", pairs["$expand"], "Only 'stats' can be expanded.")
        maxresults = 1000
        if "maxresults" in pairs:
            try:
                maxresults = int(pairs["maxresults"])
            except ValueError:
                maxresults = 0
            if not 1 <= maxresults <= 1000:
                return self._bad_param(request, "maxresults", pairs["maxresults"], "The value must be between 1 and 1000.")
        return flt, select, expand, maxresults

    def _shape(self, request: Request, item: dict, url: str, select, expand, ntasks: int = 0) -> dict:
        full = dict(item)
        full["url"] = url
        if "stats" in (expand or []) and "id" in item and "poolInfo" in item:
            full["stats"] = job_stats(item, url, ntasks)
        order = [k for k in (_JOB_PROPS if "poolInfo" in item else _TASK_PROPS) if k in full]
        ordered = {k: full[k] for k in order}
        if select:
            return {k: ordered[k] for k in select if k in ordered}
        return ordered

    def _list(self, request: Request, kind: str, job_id: str | None) -> Response:
        opts = self._options(request, kind)
        if isinstance(opts, Response):
            return opts
        flt, select, expand, maxresults = opts
        pairs = parse_query_pairs(request.raw_query)
        token = dict(pairs).get("$skiptoken")
        start = 0
        if token is not None:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(token.encode() + b"==="))["o"])
            except (ValueError, KeyError, TypeError):
                return self._bad_param(request, "$skiptoken", token, "The continuation token is not valid.")
        with self.state.lock:
            if kind == "jobs":
                items = self.data["jobs"]
            else:
                if job_id not in self.data["by_id"]:
                    return self.error(request, 404, "JobNotFound", "The specified job does not exist.")
                items = self.data["tasks"].get(job_id, [])
            tasks = self.data["tasks"]
        base = f"https://{request.host}/jobs"
        page, index, more = [], start, False
        while index < len(items):
            item = items[index]
            index += 1
            if flt is None or flt.matches(item):
                if len(page) == maxresults:
                    more = True
                    index -= 1
                    break
                url = f"{base}/{quote(item['id'])}" if kind == "jobs" else f"{base}/{quote(job_id)}/tasks/{quote(item['id'])}"
                page.append(
                    self._shape(request, item, url, select, expand, len(tasks.get(item["id"], [])) if kind == "jobs" else 0)
                )
        body = {"odata.metadata": self._meta(request) + ("#jobs" if kind == "jobs" else "#tasks"), "value": page}
        if more:
            keep = [(k, v) for k, v in pairs if k != "$skiptoken"]
            if not any(k == "maxresults" for k, _ in keep):
                keep.append(("maxresults", str(maxresults)))
            tok = base64.urlsafe_b64encode(json.dumps({"o": index}).encode()).decode().rstrip("=")
            keep.append(("$skiptoken", tok))
            query = "&".join(f"{quote(k, safe='$-')}={quote(v, safe='')}" for k, v in keep)
            body["odata.nextLink"] = f"https://{request.host}{request.raw_path.split('?', 1)[0]}?{query}"
        return self._ok(request, body)

    def _get_job(self, request: Request, job_id: str) -> Response:
        opts = self._options(request, "jobs")
        if isinstance(opts, Response):
            return opts
        _, select, expand, _ = opts
        with self.state.lock:
            job = self.data["by_id"].get(job_id)
            ntasks = len(self.data["tasks"].get(job_id, []))
        if job is None:
            return self.error(request, 404, "JobNotFound", "The specified job does not exist.")
        if request.headers.get("If-None-Match") == job["eTag"]:
            return Response(304, None, {"ETag": job["eTag"], "request-id": str(uuid.uuid4())})
        body = {"odata.metadata": self._meta(request) + "#jobs/@Element"}
        body.update(self._shape(request, job, f"https://{request.host}/jobs/{quote(job_id)}", select, expand, ntasks))
        return self._ok(request, body, {"ETag": job["eTag"], "Last-Modified": _http_date(job["lastModified"])})

    def _add_job(self, request: Request) -> Response:
        """``Jobs_CreateJob``: a BatchJobCreateOptions body (``id`` and ``poolInfo`` required) becomes an active job."""
        try:
            body = json.loads(request.body.decode("utf-8-sig") or "null")
        except (UnicodeDecodeError, ValueError):
            return self.error(request, 400, "InvalidRequestBody", "The specified Request Body is not syntactically valid.")
        if not isinstance(body, dict):
            return self.error(request, 400, "InvalidRequestBody", "The specified Request Body is not syntactically valid.")
        for prop in ("id", "poolInfo"):
            if not body.get(prop):
                return self.error(
                    request,
                    400,
                    "MissingRequiredProperty",
                    "A required property was not specified in the request body.",
                    [("PropertyName", prop)],
                )
        job_id = str(body["id"])
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", job_id):
            return self.error(
                request,
                400,
                "InvalidPropertyValue",
                "The value provided for one of the properties in the request body is invalid.",
                [("PropertyName", "id"), ("PropertyValue", job_id)],
            )
        now = _iso(dt.datetime.now(dt.timezone.utc))
        job = {k: v for k, v in body.items() if k in _JOB_PROPS and k not in ("url", "eTag", "stats")}
        job.update(
            eTag="0x8D%013X" % random.getrandbits(52), lastModified=now, creationTime=now, stateTransitionTime=now, state="active"
        )
        job.setdefault("priority", 0)
        job.setdefault("onAllTasksComplete", "noaction")
        job.setdefault("onTaskFailure", "noaction")
        job["executionInfo"] = {"startTime": now, "poolId": (body.get("poolInfo") or {}).get("poolId")}
        with self.state.lock:
            if job_id.lower() in {j.lower() for j in self.data["by_id"]}:
                return self.error(request, 409, "JobExists", "The specified job already exists.")
            self.data["jobs"].append(job)
            self.data["by_id"][job_id] = job
        url = f"https://{request.host}/jobs/{quote(job_id)}"
        headers = {"ETag": job["eTag"], "Last-Modified": _http_date(now), "DataServiceId": url, "request-id": str(uuid.uuid4())}
        return Response(201, None, headers)

    def _get_task(self, request: Request, job_id: str, task_id: str) -> Response:
        opts = self._options(request, "tasks")
        if isinstance(opts, Response):
            return opts
        _, select, expand, _ = opts
        with self.state.lock:
            if job_id not in self.data["by_id"]:
                return self.error(request, 404, "JobNotFound", "The specified job does not exist.")
            task = next((t for t in self.data["tasks"].get(job_id, []) if t["id"] == task_id), None)
        if task is None:
            return self.error(request, 404, "TaskNotFound", "The specified task does not exist.")
        body = {"odata.metadata": self._meta(request) + "#tasks/@Element"}
        body.update(
            self._shape(request, task, f"https://{request.host}/jobs/{quote(job_id)}/tasks/{quote(task_id)}", select, expand)
        )
        return self._ok(request, body, {"ETag": task["eTag"], "Last-Modified": _http_date(task["lastModified"])})


def _http_date(iso: str) -> str:
    return email.utils.format_datetime(_parse_dt(iso).astimezone(dt.timezone.utc), usegmt=True)


_JOB_PROPS = [
    "id",
    "displayName",
    "usesTaskDependencies",
    "url",
    "eTag",
    "lastModified",
    "creationTime",
    "state",
    "stateTransitionTime",
    "previousState",
    "previousStateTransitionTime",
    "priority",
    "allowTaskPreemption",
    "maxParallelTasks",
    "constraints",
    "jobManagerTask",
    "jobPreparationTask",
    "jobReleaseTask",
    "commonEnvironmentSettings",
    "poolInfo",
    "onAllTasksComplete",
    "onTaskFailure",
    "networkConfiguration",
    "metadata",
    "executionInfo",
    "stats",
]
_TASK_PROPS = [
    "id",
    "displayName",
    "url",
    "eTag",
    "lastModified",
    "creationTime",
    "exitConditions",
    "state",
    "stateTransitionTime",
    "previousState",
    "previousStateTransitionTime",
    "commandLine",
    "containerSettings",
    "resourceFiles",
    "outputFiles",
    "environmentSettings",
    "affinityInfo",
    "constraints",
    "requiredSlots",
    "userIdentity",
    "executionInfo",
    "nodeInfo",
    "multiInstanceSettings",
    "stats",
    "dependsOn",
    "applicationPackageReferences",
    "authenticationTokenSettings",
]
