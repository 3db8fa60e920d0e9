"""Health checks of persistent connections only after a pause (core/dbhealth.py)."""

from django.db import connection

from core import dbhealth


def test_a_connection_that_answered_within_a_second_is_not_checked_again(db, monkeypatch):
    dbhealth._skip_recent_checks()  # a request's start: the wrapper that notes answers goes first
    assert connection.execute_wrappers[0] is dbhealth._answered
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    # what Django's close_old_connections leaves at a request's start: a check before the first query
    connection.health_check_done = False
    dbhealth._skip_recent_checks()
    assert connection.health_check_done  # it answered just now: no SELECT 1 first

    monkeypatch.setattr(dbhealth, "HEALTHY_FOR", 0.0)  # as if it had sat idle
    connection.health_check_done = False
    dbhealth._skip_recent_checks()
    assert not connection.health_check_done  # checked before its first query, as Django does
    assert connection.execute_wrappers.count(dbhealth._answered) == 1


def test_a_connection_with_errors_is_checked(db):
    dbhealth._skip_recent_checks()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.health_check_done, connection.errors_occurred = False, True
    try:
        dbhealth._skip_recent_checks()
        assert not connection.health_check_done
    finally:
        connection.errors_occurred = False
