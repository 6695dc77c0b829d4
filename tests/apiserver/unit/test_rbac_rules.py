"""RBAC rule matching (rbac.py) against the rules of the Kubernetes RBAC documentation.

Why: whether manifests/rbac/ is least privilege hinges on these matches: `*` wildcards, the
`resource/subresource` and `*/subresource` forms, resourceNames (a rule with names never matches a
request without a name), and non-resource URLs with a trailing `*` as a prefix.
"""

from __future__ import annotations

from typing import Any

import pytest

from fixtures.apiserver.rbac import Attributes, forbidden, rule_allows
from fixtures.apiserver.users import User, service_account_user

USER = User("u")


def attrs(
    verb: str, resource: str = "pods", *, sub: str = "", name: str = "", group: str = "", ns: str = "d"
) -> Attributes:
    return Attributes(USER, verb, True, group, resource, sub, ns, name)


PODS_READ = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}


@pytest.mark.parametrize(
    ("rule", "request_", "allowed"),
    [
        (PODS_READ, attrs("list"), True),
        (PODS_READ, attrs("create"), False),
        (PODS_READ, attrs("get", sub="log", name="p"), False),
        (PODS_READ, attrs("list", "deployments", group="apps"), False),
        ({**PODS_READ, "resources": ["pods/log"]}, attrs("get", sub="log", name="p"), True),
        ({**PODS_READ, "resources": ["*/log"]}, attrs("get", sub="log", name="p"), True),
        ({**PODS_READ, "resources": ["*"]}, attrs("get", sub="log", name="p"), True),
        ({**PODS_READ, "apiGroups": ["*"]}, attrs("list", "pods", group="apps"), True),
        ({**PODS_READ, "verbs": ["*"]}, attrs("deletecollection"), True),
        ({**PODS_READ, "resourceNames": ["a"]}, attrs("get", name="a"), True),
        ({**PODS_READ, "resourceNames": ["a"]}, attrs("get", name="b"), False),
        ({**PODS_READ, "resourceNames": ["a"]}, attrs("list"), False),
    ],
)
def test_resource_rules(rule: dict[str, Any], request_: Attributes, allowed: bool) -> None:
    assert rule_allows(rule, request_) is allowed


@pytest.mark.parametrize(
    ("urls", "path", "allowed"),
    [
        (["/healthz"], "/healthz", True),
        (["/apis/*"], "/apis/apps/v1", True),
        (["/apis/*"], "/api", False),
        (["*"], "/x", True),
    ],
)
def test_non_resource_rules(urls: list[str], path: str, allowed: bool) -> None:
    rule = {"verbs": ["get"], "nonResourceURLs": urls}
    assert rule_allows(rule, Attributes(USER, "get", False, path=path)) is allowed


def test_service_account_users() -> None:
    user = service_account_user("ns", "gw")
    assert user.name == "system:serviceaccount:ns:gw"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated")
    assert user.service_account() == ("ns", "gw")
    assert User("alice").service_account() is None


def test_forbidden_texts() -> None:
    named = forbidden(attrs("get", sub="log", name="p"))
    assert named.message == (
        'pods "p" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "d"'
    )
    grouped = forbidden(attrs("list", "deployments", group="apps", ns=""), "RBAC: x")
    assert grouped.message == (
        'deployments.apps is forbidden: User "u" cannot list resource "deployments" in API group "apps" '
        "at the cluster scope: RBAC: x"
    )
    assert grouped.details == {"kind": "deployments", "group": "apps"}
