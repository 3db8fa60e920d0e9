"""core.sql.CompiledQuery: a queryset compiled once per process (and prepared once per connection
on PostgreSQL) answers exactly what the queryset answers; a build that is not reusable is built
every time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.sql import CompiledQuery
from tests.community.factories import UserFactory


def _users(*, name: str, since):
    from community.models import User

    return User.objects.filter(username=name, date_joined__lte=since).order_by("pk").values_list("pk")


@pytest.mark.django_db
def test_compiled_once_answers_as_the_queryset():
    # given users and a query compiled once with sentinels
    people = [UserFactory(username="ann"), UserFactory(username="bob")]
    builds = []

    def build(**values):
        builds.append(values)
        return _users(**values)

    query = CompiledQuery(build, {"name": ("\x01a", "\x01b"), "since": (timezone.now(), timezone.now())}, prepare="t_c")
    now = timezone.now()

    # when it runs with different values
    first = query.rows(name="ann", since=now)
    with CaptureQueriesContext(connection) as queries:
        second = query.rows(name="bob", since=now)

    # then each answer is the queryset's, built twice in all (the two compilations), and the
    # second call is one statement
    assert first == list(_users(name="ann", since=now)) == [(people[0].pk,)]
    assert second == [(people[1].pk,)]
    assert len(builds) == 2
    assert len(queries) == 1


@pytest.mark.django_db
def test_a_build_that_reads_something_else_is_built_every_time():
    # given a build whose parameters are not its values as given (here: cut short while compiling;
    # a LIKE pattern, a value read at build time are the same case)
    UserFactory(username="ann")
    calls = []

    def build(*, name):
        calls.append(name)
        return _users(name=name[: len(calls)] if len(calls) <= 2 else name, since=timezone.now())

    query = CompiledQuery(build, {"name": ("\x01aaaa", "\x01bbbb")})

    # then it still answers right, building the queryset per call
    assert query.rows(name="ann") != [] and len(calls) == 3
    assert query.rows(name="zed") == [] and len(calls) == 4
